"""Snapshot the emulator's state through the AWS read APIs, as JSON.

Tests use it to prove that a check-mode run or a rejected input changed
nothing (snapshot before == snapshot after), and to read back what a run
built. It reads the organization from the management account and every
account's trails, buckets, keys, log groups and roles through the
OrganizationAccountAccessRole, like the playbook does.

    python tools/snapshot.py [--output FILE]

Only talks to the emulator in AWS_ENDPOINT_URL (set by tools/emulator.py).
"""

import argparse
import json
import os
import sys

import boto3
from botocore.exceptions import ClientError

ROLE = "OrganizationAccountAccessRole"


def _endpoint():
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not url.startswith("http://127.0.0.1:"):
        sys.exit("snapshot: AWS_ENDPOINT_URL must point at the local emulator (run through tools/emulator.py)")
    return url


def _session(account, management):
    url = _endpoint()
    if account == management:
        return lambda service: boto3.client(service, endpoint_url=url)
    creds = boto3.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="snapshot"
    )["Credentials"]
    return lambda service: boto3.client(
        service,
        endpoint_url=url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _try(call, *args, missing=None, **kwargs):
    try:
        return call(*args, **kwargs)
    except ClientError:
        return missing


def _json(text):
    return json.loads(text) if isinstance(text, str) and text else text


def organization_state(client):
    org = _try(client("organizations").describe_organization)
    if not org:
        return {}
    orgs = client("organizations")
    policies = {}
    for policy_type in ("SERVICE_CONTROL_POLICY",):
        for policy in orgs.list_policies(Filter=policy_type)["Policies"]:
            content = orgs.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"]
            targets = orgs.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
            policies[policy["Name"]] = {
                "aws_managed": policy["AwsManaged"],
                "content": _json(content),
                "targets": sorted(t["TargetId"] for t in targets),
            }
    admins = _try(orgs.list_delegated_administrators, ServicePrincipal="cloudtrail.amazonaws.com", missing={})
    return {
        "id": org["Organization"]["Id"],
        "feature_set": org["Organization"]["FeatureSet"],
        "service_access": sorted(
            p["ServicePrincipal"] for p in orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
        ),
        "cloudtrail_delegated_admins": sorted(a["Id"] for a in admins.get("DelegatedAdministrators", [])),
        "roots": [
            {"id": r["Id"], "policy_types": sorted(t["Type"] for t in r.get("PolicyTypes", []) if t["Status"] == "ENABLED")}
            for r in orgs.list_roots()["Roots"]
        ],
        "policies": policies,
    }


def trails_state(client):
    cloudtrail = client("cloudtrail")
    trails = {}
    for trail in cloudtrail.describe_trails(includeShadowTrails=False)["trailList"]:
        arn = trail["TrailARN"]
        trail["IsLogging"] = cloudtrail.get_trail_status(Name=arn)["IsLogging"]
        selectors = cloudtrail.get_event_selectors(TrailName=arn)
        trail["EventSelectors"] = selectors.get("EventSelectors")
        trail["AdvancedEventSelectors"] = selectors.get("AdvancedEventSelectors")
        insights = _try(cloudtrail.get_insight_selectors, TrailName=arn, missing={})
        trail["InsightSelectors"] = insights.get("InsightSelectors", [])
        trail["Tags"] = {
            t["Key"]: t["Value"]
            for item in cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"]
            for t in item.get("TagsList", [])
        }
        trails[trail["Name"]] = trail
    return trails


def buckets_state(client):
    s3 = client("s3")
    buckets = {}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        buckets[name] = {
            "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
            "encryption": _try(s3.get_bucket_encryption, Bucket=name, missing={}).get("ServerSideEncryptionConfiguration"),
            "public_access_block": _try(s3.get_public_access_block, Bucket=name, missing={}).get(
                "PublicAccessBlockConfiguration"
            ),
            "ownership": _try(s3.get_bucket_ownership_controls, Bucket=name, missing={}).get("OwnershipControls"),
            "policy": _json(_try(s3.get_bucket_policy, Bucket=name, missing={}).get("Policy")),
            "lifecycle": _try(s3.get_bucket_lifecycle_configuration, Bucket=name, missing={}).get("Rules"),
            "logging": s3.get_bucket_logging(Bucket=name).get("LoggingEnabled"),
            "object_lock": _try(s3.get_object_lock_configuration, Bucket=name, missing={}).get("ObjectLockConfiguration"),
            "notification": {
                k: v
                for k, v in s3.get_bucket_notification_configuration(Bucket=name).items()
                if k != "ResponseMetadata"
            },
        }
    return buckets


def keys_state(client):
    kms = client("kms")
    keys = {}
    for alias in kms.list_aliases()["Aliases"]:
        if alias["AliasName"].startswith("alias/aws/") or "TargetKeyId" not in alias:
            continue
        key_id = alias["TargetKeyId"]
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        keys[alias["AliasName"]] = {
            "arn": metadata["Arn"],
            "state": metadata["KeyState"],
            "rotation": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
            "policy": _json(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
        }
    keys["_count"] = len(kms.list_keys()["Keys"])
    return keys


def log_groups_state(client):
    logs = client("logs")
    return {
        group["logGroupName"]: {"retention": group.get("retentionInDays"), "kms_key_id": group.get("kmsKeyId")}
        for group in logs.describe_log_groups()["logGroups"]
    }


def roles_state(client):
    iam = client("iam")
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        roles[name] = {
            "trust": _json(role["AssumeRolePolicyDocument"]),
            "inline_policies": {
                policy: _json(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
                for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
            },
        }
    return roles


def snapshot():
    management = boto3.client("sts", endpoint_url=_endpoint()).get_caller_identity()["Account"]
    mgmt_client = _session(management, management)
    state = {"management_account_id": management, "organization": organization_state(mgmt_client), "accounts": {}}
    accounts = [management]
    if state["organization"]:
        accounts = sorted(a["Id"] for a in mgmt_client("organizations").list_accounts()["Accounts"])
    for account in accounts:
        client = _session(account, management)
        state["accounts"][account] = {
            "trails": trails_state(client),
            "buckets": buckets_state(client),
            "keys": keys_state(client),
            "log_groups": log_groups_state(client),
            "roles": roles_state(client),
        }
    return json.loads(json.dumps(state, default=str, sort_keys=True))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", help="write the JSON here instead of standard output")
    args = parser.parse_args(argv)
    text = json.dumps(snapshot(), indent=2, sort_keys=True)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
