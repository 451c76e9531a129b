"""Print the default event bus's rules, with their targets, as JSON keyed by name, and its policy (key "<policy>",
which no rule name can be: rule names have no "<").

The scenario's independent read-back. Talks only to the emulator: boto3 takes AWS_ENDPOINT_URL from the environment.
"""

import json

import boto3


def main():
    events = boto3.client("events")
    rules = {}
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            targets = [
                target
                for target_page in events.get_paginator("list_targets_by_rule").paginate(Rule=rule["Name"])
                for target in target_page["Targets"]
            ]
            rules[rule["Name"]] = {
                "description": rule.get("Description", ""),
                "state": rule["State"],
                "pattern": json.loads(rule["EventPattern"]),
                "targets": {target.pop("Id"): target for target in targets},
            }
    policy = events.describe_event_bus(Name="default").get("Policy")
    rules["<policy>"] = json.loads(policy) if policy else None
    print(json.dumps(rules))


if __name__ == "__main__":
    main()
