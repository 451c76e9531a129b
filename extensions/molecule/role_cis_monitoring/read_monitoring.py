"""Print what the cis_monitoring role made, as JSON: the log group's metric filters, the EventBridge rules and
their targets (and the roles they give EventBridge), the default event bus's policy, and the alarm topic's
attributes and subscriptions.

The scenario's independent read-back (no amazon.aws module reads metric filters or rules). Talks only to the
emulator: boto3 takes AWS_ENDPOINT_URL from the environment.

Usage: read_monitoring.py <log group, or '' for none> <topic ARN> <rule name prefix, or '' for every rule>
"""

import json
import sys

import boto3


def main(log_group, topic_arn, rule_prefix):
    logs, events, sns = boto3.client("logs"), boto3.client("events"), boto3.client("sns")
    found = logs.describe_metric_filters(logGroupName=log_group)["metricFilters"] if log_group else []
    filters = {
        item["filterName"]: {"pattern": item["filterPattern"], "metrics": item["metricTransformations"]}
        for item in found
    }
    rules = {}
    for rule in events.list_rules(**({"NamePrefix": rule_prefix} if rule_prefix else {}))["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        rules[rule["Name"]] = {
            "state": rule["State"],
            "pattern": json.loads(rule["EventPattern"]),
            "targets": [target["Arn"] for target in targets],
            "roles": [target.get("RoleArn") for target in targets],
        }
    bus_policy = events.describe_event_bus(Name="default").get("Policy")
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    except sns.exceptions.NotFoundException:
        attributes, subscriptions = {}, []
    topic = {
        "kms_master_key_id": attributes.get("KmsMasterKeyId", ""),
        "policy": json.loads(attributes["Policy"]) if attributes else {},
        "subscriptions": sorted([s["Protocol"], s["Endpoint"]] for s in subscriptions),
    }
    print(
        json.dumps(
            {
                "filters": filters,
                "rules": rules,
                "topic": topic,
                "bus_policy": json.loads(bus_policy) if bus_policy else None,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
