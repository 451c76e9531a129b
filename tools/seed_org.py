"""Seed a demo AWS Organization in the emulator and write a matching inventory.

The management account is moto's default account (123456789012). The seed adds
an `audit` account (log archive / security) and N member accounts spread over
two OUs, `Workloads` and `Sandbox`, then writes an inventory in the shape of
inventory/hosts.yml.

    python tools/seed_org.py --members 3 --inventory inventory/demo.yml

With --nested (seed(nested=True)) the members go to nested OUs instead,
/Workloads/Prod, /Workloads/Prod/Payments, /Workloads/Dev and /Sandbox, and the
workload accounts carry tags (environment, and data-class on Payments), for the
organizations inventory plugin's tests:

    python tools/seed_org.py --nested --members 50

It talks only to the endpoint in AWS_ENDPOINT_URL (set by tools/emulator.py),
and refuses to run without one, so it can never touch real AWS.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import boto3
import yaml

AUDIT_ACCOUNT_NAME = "audit"
MEMBER_OUS = ("Workloads", "Sandbox")
NESTED_MEMBER_OUS = ("/Workloads/Prod", "/Workloads/Dev", "/Workloads/Prod/Payments", "/Sandbox")
NESTED_TAGS = {
    "/Workloads/Prod": {"environment": "prod"},
    "/Workloads/Prod/Payments": {"environment": "prod", "data-class": "pci"},
    "/Workloads/Dev": {"environment": "dev"},
}


def _client(service):
    if not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
        sys.exit("seed_org: AWS_ENDPOINT_URL must point at the local emulator (run through tools/emulator.py)")
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def _create_account(org, name):
    status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(f"creating account {name} failed: {status}")
    return status["AccountId"]


def _create_ou_path(org, root_id, ou_ids, path):
    """Create each OU of `path` ("/Workloads/Prod") not in `ou_ids` yet; return the last one's ID."""
    parent_id, walked = root_id, ""
    for name in path.strip("/").split("/"):
        walked = f"{walked}/{name}"
        if walked not in ou_ids:
            ou_ids[walked] = org.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]
        parent_id = ou_ids[walked]
    return parent_id


def seed(members=3, ous=MEMBER_OUS, feature_set="ALL", nested=False):
    """Create the organization; return a description of what was made.

    Members are spread round-robin over `ous` (top-level OU names) or, when
    `nested`, over NESTED_MEMBER_OUS, with NESTED_TAGS on their accounts.
    """
    org = _client("organizations")
    organization = org.create_organization(FeatureSet=feature_set)["Organization"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    member_ous = NESTED_MEMBER_OUS if nested else tuple(f"/{name}" for name in ous)
    ou_ids = {}
    for path in member_ous:
        _create_ou_path(org, root_id, ou_ids, path)
    security_ou = _create_ou_path(org, root_id, ou_ids, "/Security")

    audit_id = _create_account(org, AUDIT_ACCOUNT_NAME)
    org.move_account(AccountId=audit_id, SourceParentId=root_id, DestinationParentId=security_ou)
    member_accounts = []
    for index in range(1, members + 1):
        ou_path = member_ous[(index - 1) % len(member_ous)]
        name = f"{ou_path.strip('/').replace('/', '-').lower()}-{index}"
        account_id = _create_account(org, name)
        org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids[ou_path])
        member = {"name": name, "account_id": account_id, "ou": ou_path}
        if nested:
            member["tags"] = NESTED_TAGS.get(ou_path, {})
            if member["tags"]:
                org.tag_resource(
                    ResourceId=account_id, Tags=[{"Key": k, "Value": v} for k, v in member["tags"].items()]
                )
        member_accounts.append(member)

    return {
        "organization_id": organization["Id"],
        "root_id": root_id,
        "management": {"name": "management", "account_id": organization["MasterAccountId"]},
        "log_archive": {"name": AUDIT_ACCOUNT_NAME, "account_id": audit_id, "ou": "/Security"},
        "members": member_accounts,
        "ous": ou_ids,
    }


def inventory_for(org):
    """An inventory in the documented shape: one host per account."""

    def host(account):
        return {"account_id": account["account_id"]}

    return {
        "all": {
            "children": {
                "management": {"hosts": {org["management"]["name"]: host(org["management"])}},
                "log_archive": {"hosts": {org["log_archive"]["name"]: host(org["log_archive"])}},
                "members": {"hosts": {member["name"]: host(member) for member in org["members"]}},
            }
        }
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=3, help="number of member accounts (default 3)")
    parser.add_argument(
        "--nested", action="store_true", help="members in nested OUs (/Workloads/Prod ...), some accounts tagged"
    )
    parser.add_argument("--inventory", help="write an inventory YAML file here")
    parser.add_argument("--output", help="write the seeded organization as JSON here")
    args = parser.parse_args(argv)

    org = seed(members=args.members, nested=args.nested)
    if args.inventory:
        path = Path(args.inventory)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "# Generated by tools/seed_org.py for the emulator; do not edit.\n"
        path.write_text(header + yaml.safe_dump(inventory_for(org), sort_keys=False))
    if args.output:
        Path(args.output).write_text(json.dumps(org, indent=2))
    print(
        f"seeded organization {org['organization_id']}: management {org['management']['account_id']}, "
        f"audit {org['log_archive']['account_id']}, {len(org['members'])} members"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
