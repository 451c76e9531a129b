"""Print the organization's service control policies, their content and targets as JSON.

The scenario's independent read-back. Talks only to the emulator: boto3 takes
AWS_ENDPOINT_URL from the environment.
"""

import json

import boto3


def main():
    client = boto3.client("organizations")
    policies = {}
    for summary in client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]:
        policy = client.describe_policy(PolicyId=summary["Id"])["Policy"]
        targets = client.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
        policies[summary["Name"]] = {
            "content": json.loads(policy["Content"]),
            "targets": sorted(target["TargetId"] for target in targets),
        }
    print(json.dumps(policies))


if __name__ == "__main__":
    main()
