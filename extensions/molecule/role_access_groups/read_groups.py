"""Print the two groups' members, attached managed policies and inline policies as JSON (absent groups as null).

The scenario's independent read-back (amazon.aws has no module that reads a group's policies). Talks only to
the emulator: boto3 takes AWS_ENDPOINT_URL from the environment. Usage: read_groups.py <group> [<group> ...]
"""

import json
import sys

import boto3


def read(iam, name):
    try:
        group = iam.get_group(GroupName=name)
    except iam.exceptions.NoSuchEntityException:
        return None
    inline = {
        policy: iam.get_group_policy(GroupName=name, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_group_policies(GroupName=name)["PolicyNames"]
    }
    return {
        "path": group["Group"]["Path"],
        "users": sorted(user["UserName"] for user in group["Users"]),
        "managed_policies": sorted(p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]),
        "inline_policies": inline,
    }


def main(names):
    iam = boto3.client("iam")
    print(json.dumps({name: read(iam, name) for name in names}))


if __name__ == "__main__":
    main(sys.argv[1:])
