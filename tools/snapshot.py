"""Snapshot the emulator's state through the AWS read APIs, as JSON.

Tests use it to prove that a check-mode run or a rejected input changed
nothing (snapshot before == snapshot after), and to read back what a run
built. It reads the organization (SCPs and their attachments included) from
the management account and, through the OrganizationAccountAccessRole like the
playbook does, every account's trails, buckets (lifecycle and notifications
included), KMS keys and aliases, log groups with their metric filters, alarms,
EventBridge rules, SNS topics, SQS queues, IAM roles, groups and policies.

normalize() turns a snapshot into one that two runs on two emulators seeded the
same way share: account IDs become the accounts' names, the organization, root,
OU and KMS key IDs and the endpoint's port become placeholders, and lists are
sorted. Things that could be duplicated are listed, not merged, so that a
duplicate (a second key for one purpose, a second SCP of one name) shows.

    python tools/snapshot.py [--normalize] [--output FILE]

Only talks to the emulator in AWS_ENDPOINT_URL (set by tools/emulator.py).
"""

import argparse
import json
import os
import re
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


def _pages(client, operation, key, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(key, [])


def _unique(mapping, name):
    """name, or "name (duplicate N)" when mapping has it already: a duplicate must show, not overwrite."""
    if name not in mapping:
        return name
    count = 2
    while f"{name} (duplicate {count})" in mapping:
        count += 1
    return f"{name} (duplicate {count})"


def organization_state(client):
    org = _try(client("organizations").describe_organization)
    if not org:
        return {}
    orgs = client("organizations")
    policies = {}
    for policy_type in ("SERVICE_CONTROL_POLICY",):
        for policy in _pages(orgs, "list_policies", "Policies", Filter=policy_type):
            content = orgs.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"]
            targets = _pages(orgs, "list_targets_for_policy", "Targets", PolicyId=policy["Id"])
            policies[_unique(policies, policy["Name"])] = {
                "id": policy["Id"],
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
            {
                "id": r["Id"],
                "policy_types": sorted(t["Type"] for t in r.get("PolicyTypes", []) if t["Status"] == "ENABLED"),
            }
            for r in orgs.list_roots()["Roots"]
        ],
        "policies": policies,
        "accounts": {account["Id"]: account["Name"] for account in _pages(orgs, "list_accounts", "Accounts")},
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
            "encryption": _try(s3.get_bucket_encryption, Bucket=name, missing={}).get(
                "ServerSideEncryptionConfiguration"
            ),
            "public_access_block": _try(s3.get_public_access_block, Bucket=name, missing={}).get(
                "PublicAccessBlockConfiguration"
            ),
            "ownership": _try(s3.get_bucket_ownership_controls, Bucket=name, missing={}).get("OwnershipControls"),
            "policy": _json(_try(s3.get_bucket_policy, Bucket=name, missing={}).get("Policy")),
            "lifecycle": _try(s3.get_bucket_lifecycle_configuration, Bucket=name, missing={}).get("Rules"),
            "logging": s3.get_bucket_logging(Bucket=name).get("LoggingEnabled"),
            "object_lock": _try(s3.get_object_lock_configuration, Bucket=name, missing={}).get(
                "ObjectLockConfiguration"
            ),
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


def customer_keys_state(client):
    """Every customer managed key with its aliases: a key left without an alias (an orphan) shows here."""
    kms = client("kms")
    aliases = {}
    for alias in _pages(kms, "list_aliases", "Aliases"):
        if "TargetKeyId" in alias:
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    keys = []
    for key in _pages(kms, "list_keys", "Keys"):
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") != "CUSTOMER":
            continue
        tags = _pages(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])
        keys.append(
            {
                "id": key["KeyId"],
                "aliases": sorted(aliases.get(key["KeyId"], [])),
                "description": metadata.get("Description"),
                "state": metadata["KeyState"],
                "tags": {tag["TagKey"]: tag["TagValue"] for tag in tags},
            }
        )
    return sorted(keys, key=lambda item: (item["aliases"], item["description"] or "", item["id"]))


def metric_filters_state(client):
    logs = client("logs")
    filters = {}
    for group in _pages(logs, "describe_log_groups", "logGroups"):
        for item in _pages(logs, "describe_metric_filters", "metricFilters", logGroupName=group["logGroupName"]):
            filters[_unique(filters, f"{group['logGroupName']}:{item['filterName']}")] = {
                "pattern": item.get("filterPattern"),
                "metrics": [
                    {
                        key: value
                        for key, value in metric.items()
                        if key in ("metricName", "metricNamespace", "metricValue")
                    }
                    for metric in item.get("metricTransformations", [])
                ],
            }
    return filters


def alarms_state(client):
    alarms = {}
    for alarm in _pages(client("cloudwatch"), "describe_alarms", "MetricAlarms"):
        alarms[_unique(alarms, alarm["AlarmName"])] = {
            key: alarm.get(key)
            for key in (
                "AlarmDescription",
                "MetricName",
                "Namespace",
                "Statistic",
                "ComparisonOperator",
                "Threshold",
                "Period",
                "EvaluationPeriods",
                "TreatMissingData",
                "AlarmActions",
                "ActionsEnabled",
            )
        }
    return alarms


def event_rules_state(client):
    events = client("events")
    rules = {}
    for rule in _pages(events, "list_rules", "Rules"):
        targets = _pages(events, "list_targets_by_rule", "Targets", Rule=rule["Name"])
        rules[_unique(rules, rule["Name"])] = {
            "state": rule.get("State"),
            "description": rule.get("Description"),
            "pattern": _json(rule.get("EventPattern")),
            "targets": [{"id": target["Id"], "arn": target["Arn"]} for target in targets],
        }
    return rules


def topics_state(client):
    sns = client("sns")
    topics = {}
    for topic in _pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        subscriptions = _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        topics[_unique(topics, arn.rsplit(":", 1)[-1])] = {
            "display_name": attributes.get("DisplayName"),
            "policy": _json(attributes.get("Policy")),
            "kms_master_key_id": attributes.get("KmsMasterKeyId"),
            "subscriptions": sorted(f"{item['Protocol']}:{item['Endpoint']}" for item in subscriptions),
            "tags": {tag["Key"]: tag["Value"] for tag in sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])},
        }
    return topics


QUEUE_ATTRIBUTES = (
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "MessageRetentionPeriod",
    "VisibilityTimeout",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
)


def queues_state(client):
    sqs = client("sqs")
    queues = {}
    for url in _pages(sqs, "list_queues", "QueueUrls"):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queue = {key: attributes.get(key) for key in QUEUE_ATTRIBUTES}
        queue["policy"] = _json(attributes.get("Policy"))
        queue["redrive_policy"] = _json(attributes.get("RedrivePolicy"))
        queue["tags"] = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
        queues[_unique(queues, url.rsplit("/", 1)[-1])] = queue
    return queues


def groups_state(client):
    iam = client("iam")
    groups = {}
    for group in _pages(iam, "list_groups", "Groups"):
        name = group["GroupName"]
        groups[name] = {
            "path": group["Path"],
            "managed_policies": sorted(
                item["PolicyArn"]
                for item in _pages(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name)
            ),
            "inline_policies": {
                policy: _json(iam.get_group_policy(GroupName=name, PolicyName=policy)["PolicyDocument"])
                for policy in _pages(iam, "list_group_policies", "PolicyNames", GroupName=name)
            },
            "users": sorted(user["UserName"] for user in _pages(iam, "get_group", "Users", GroupName=name)),
        }
    return groups


def managed_policies_state(client):
    """The account's own managed IAM policies (name -> path), duplicates shown."""
    policies = {}
    for policy in _pages(client("iam"), "list_policies", "Policies", Scope="Local"):
        policies[_unique(policies, policy["PolicyName"])] = policy["Path"]
    return policies


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
            "customer_keys": customer_keys_state(client),
            "metric_filters": metric_filters_state(client),
            "alarms": alarms_state(client),
            "event_rules": event_rules_state(client),
            "topics": topics_state(client),
            "queues": queues_state(client),
            "groups": groups_state(client),
            "managed_policies": managed_policies_state(client),
        }
    return json.loads(json.dumps(state, default=str, sort_keys=True))


ENDPOINT = re.compile(r"https?://(127\.0\.0\.1|localhost)(:\d+)?")
# Not \b around IDs: a log stream's name puts an underscore (a word character) right after an account or
# organization ID.
ORGANIZATION_ID = re.compile(r"(?<![\w-])o-[a-z0-9]{10,32}(?![a-z0-9])")
ROOT_ID = re.compile(r"(?<![\w-])r-[a-z0-9]{4,32}(?![a-z0-9])")
OU_ID = re.compile(r"(?<![\w-])ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}(?![a-z0-9])")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# A policy's generated ID (AWS managed policies, such as p-FullAWSAccess, keep theirs).
POLICY_ID = re.compile(r"(?<![\w-])p-[a-z0-9]{8,128}(?![a-z0-9])")


def normalize(state):
    """The snapshot with generated IDs replaced by stable names and lists sorted (see the module's docstring)."""
    names = dict(state.get("organization", {}).get("accounts") or {})
    names.setdefault(state["management_account_id"], "management")
    key_labels = {}
    for account in state["accounts"].values():
        for key in account.get("customer_keys", []):
            key_labels[key["id"]] = f"<key:{(key['aliases'] or ['unaliased'])[0]}>"
    # An SCP's ID is named after the policy: the tamper rule that watches the guardrail SCPs lists their IDs.
    policy_labels = {
        policy["id"]: f"<scp:{name}>" for name, policy in state.get("organization", {}).get("policies", {}).items()
    }
    account_id = re.compile(r"(?<!\d)(" + "|".join(map(re.escape, names)) + r")(?!\d)") if names else None

    def text(value):
        value = ENDPOINT.sub("<endpoint>", value)
        value = UUID.sub(lambda match: key_labels.get(match.group(0), "<uuid>"), value)
        value = POLICY_ID.sub(lambda match: policy_labels.get(match.group(0), "<policy>"), value)
        if account_id:
            value = account_id.sub(lambda match: f"<account:{names[match.group(1)]}>", value)
        value = OU_ID.sub("<ou>", value)
        value = ROOT_ID.sub("<root>", value)
        return ORGANIZATION_ID.sub("<organization>", value)

    def walk(value):
        if isinstance(value, dict):
            return {text(key): walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return sorted((walk(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
        return text(value) if isinstance(value, str) else value

    return walk(state)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", help="write the JSON here instead of standard output")
    parser.add_argument("--normalize", action="store_true", help="stable names instead of generated IDs")
    args = parser.parse_args(argv)
    state = snapshot()
    text = json.dumps(normalize(state) if args.normalize else state, indent=2, sort_keys=True)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
