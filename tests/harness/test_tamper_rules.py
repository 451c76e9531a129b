"""The tamper rules of the cis_monitoring role, fed sample CloudTrail events through the emulator's EventBridge.

The role runs against the emulator as the main playbook runs it: entry point main in the management account, entry
point log_archive in the log-archive account (the bucket and the key live there). Then every rule gets an extra SQS
target (the emulator routes events to queues; its TestEventPattern is a stub), and events in the format AWS documents
for CloudTrail API calls (EventBridge User Guide, "AWS service events delivered via AWS CloudTrail": detail-type "AWS
API Call via CloudTrail", source aws.<service>, the CloudTrail record as `detail`) are put on the default bus of the
account where the call would happen. Each case lists exactly the rules that must match it:

- every tamper event the rules must catch, and every other event a rule lists, matches its rule (in the log-archive account
  and, forwarded, in the management account, whose alarm topic is notified once per matching management rule);
- harmless events match nothing: reads (GetBucketPolicy, DescribeTrails, DescribeKey), the same calls on another
  bucket, key, trail or SCP, another service principal, and calls the rules do not list;
- a member account's events are not forwarded, and its own forwarding rule is refused by the bus policy.

tools/moto_server.py makes the emulator deliver as AWS documents (SNS targets, cross-account buses that keep the
event's `account`, the bus policy); tests/harness/test_emulator.py checks those fixes on their own.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
from support import ansible_env
from support import playbook

PREFIX = "acme"
REGION = emulator.DEFAULT_REGION
BUCKET = "acme-cloudtrail"
OTHER_BUCKET = "acme-app-uploads"
TRAIL = "acme-organization-trail"
KEY_ID = "0b1f6f0e-7c1a-4f55-9d0e-5b1c2d3e4f50"
OTHER_KEY_ID = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
LOG_GROUP = f"/aws/cloudtrail/{TRAIL}"
# A second set-up whose alarm topic is in another region than Organizations' events (us-east-1).
EURO_PREFIX, EURO_REGION = "euro", "eu-west-1"

# The rules, by account and name (without the prefix).
TRAIL_RULE = ("management", "cloudtrail-tampering")
BUCKET_RULE = ("management", "log-bucket-tampering")
KEY_RULE = ("management", "trail-key-tampering")
ORG_RULE = ("management", "organization-tampering")
LA_BUCKET_RULE = ("log_archive", "log-bucket-tampering")
LA_KEY_RULE = ("log_archive", "trail-key-tampering")
RULES = (TRAIL_RULE, BUCKET_RULE, KEY_RULE, ORG_RULE, LA_BUCKET_RULE, LA_KEY_RULE)
SERVICES = {"aws.s3": "s3", "aws.kms": "kms", "aws.cloudtrail": "cloudtrail", "aws.organizations": "organizations"}

PLAYBOOK = """
- name: Management account - the cis_monitoring role, as the main playbook applies it
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/trailguard.cloudtrail.aws:
      region: "{{ region }}"
  tasks:
    - name: The organization trail's log group (the trail role makes it)
      amazon.aws.cloudwatchlogs_log_group:
        log_group_name: "{{ log_group }}"
    - name: Apply the main entry point
      ansible.builtin.include_role:
        name: trailguard.cloudtrail.cis_monitoring
      vars:
        cis_monitoring_log_group_name: "{{ log_group }}"
        cis_monitoring_region: "{{ region }}"
        cis_monitoring_name_prefix: "{{ prefix }}"
        cis_monitoring_log_bucket_name: "{{ bucket }}"
        cis_monitoring_trail_kms_key_arn: "{{ key_arn }}"
        cis_monitoring_trail_arn: "{{ trail_arn }}"
        cis_monitoring_log_archive_account_id: "{{ log_archive_id }}"
        cis_monitoring_scp_ids: "{{ scp_ids }}"

- name: Log-archive account - entry point log_archive
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Assume the log-archive account's role
      amazon.aws.sts_assume_role:
        region: "{{ region }}"
        role_arn: "arn:aws:iam::{{ log_archive_id }}:role/OrganizationAccountAccessRole"
        role_session_name: tamper-rules
      register: session
      changed_when: false
    - name: In the log-archive account
      module_defaults:
        group/trailguard.cloudtrail.aws:
          region: "{{ region }}"
          access_key: "{{ session.sts_creds.access_key }}"
          secret_key: "{{ session.sts_creds.secret_key }}"
          session_token: "{{ session.sts_creds.session_token }}"
      block:
        - name: Apply the log_archive entry point
          ansible.builtin.include_role:
            name: trailguard.cloudtrail.cis_monitoring
            tasks_from: log_archive
          vars:
            cis_monitoring_management_account_id: "{{ management_id }}"
            cis_monitoring_region: "{{ region }}"
            cis_monitoring_name_prefix: "{{ prefix }}"
            cis_monitoring_log_bucket_name: "{{ bucket }}"
            cis_monitoring_trail_kms_key_arn: "{{ key_arn }}"

- name: Management account - a set-up whose alarm topic is not in the Organizations events' region
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/trailguard.cloudtrail.aws:
      region: "{{ euro_region }}"
  tasks:
    - name: Its log group
      amazon.aws.cloudwatchlogs_log_group:
        log_group_name: "{{ log_group }}"
    - name: Apply the main entry point in that region
      ansible.builtin.include_role:
        name: trailguard.cloudtrail.cis_monitoring
      vars:
        cis_monitoring_log_group_name: "{{ log_group }}"
        cis_monitoring_region: "{{ euro_region }}"
        cis_monitoring_name_prefix: "{{ euro_prefix }}"
        cis_monitoring_scp_ids: "{{ scp_ids }}"
"""


def client_factory(url, credentials=None, region=REGION):
    keys = (
        {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        if credentials
        else {}
    )
    return lambda service, region_name=region: boto3.client(service, endpoint_url=url, region_name=region_name, **keys)


def assume(url, account_id):
    return boto3.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="tamper-rules"
    )["Credentials"]


def new_queue(aws, name, region=REGION):
    sqs = aws("sqs", region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(aws, url, region=REGION):
    sqs, bodies = aws("sqs", region), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def cloudtrail_event(ctx, where, source, name, parameters, resources=(), read_only=False):
    """A PutEvents entry in the shape CloudTrail delivers an API call to EventBridge; returns (entry, eventID)."""
    account = ctx["accounts"][where]
    event_id = str(uuid.uuid4())
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID:admin",
            "arn": f"arn:aws:sts::{account}:assumed-role/Administrator/admin",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLEKEYID",
        },
        "eventTime": "2026-12-06T10:00:00Z",
        "eventSource": f"{SERVICES[source]}.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.17.0",
        "requestParameters": parameters,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": read_only,
        "resources": list(resources),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    entry = {"Source": source, "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}
    return entry, event_id


def s3_call(bucket=BUCKET):
    return {"bucketName": bucket, "Host": f"{bucket}.s3.{REGION}.amazonaws.com"}


def kms_call(ctx, key_id=KEY_ID, by_arn=False):
    arn = f"arn:aws:kms:{REGION}:{ctx['accounts']['log_archive']}:key/{key_id}"
    return {"keyId": arn if by_arn else key_id}, [
        {"accountId": ctx["accounts"]["log_archive"], "type": "AWS::KMS::Key", "ARN": arn}
    ]


BUCKET_EVENTS = [
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketLifecycle",
    "DeleteBucketLifecycle",
    "PutBucketVersioning",
    "PutBucketNotification",
    "PutBucketRequestPayment",
    "PutBucketLogging",
    "PutObjectLockConfiguration",
    "PutBucketReplication",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketAcl",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "DeleteBucket",
]
KEY_EVENTS = ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation", "CreateGrant"]
TRAIL_EVENTS = {
    "StopLogging": "name",
    "DeleteTrail": "name",
    "UpdateTrail": "name",
    "PutEventSelectors": "trailName",
    "PutInsightSelectors": "trailName",
}


def build_cases():
    """label -> (where, event builder, the rules that must match). Builders take the context (account IDs, SCPs)."""
    cases = {}

    def case(label, where, expected, source, name, parameters, resources=(), read_only=False):
        def build(ctx):
            params = parameters(ctx) if callable(parameters) else parameters
            found = resources(ctx) if callable(resources) else resources
            return cloudtrail_event(ctx, where, source, name, params, found, read_only)

        assert label not in cases, label
        cases[label] = (where, build, frozenset(expected))

    # The trail, in the management account: by name and by ARN; never another trail, never a read or StartLogging.
    for name, field in TRAIL_EVENTS.items():
        case(f"management {name} of the trail", "management", {TRAIL_RULE}, "aws.cloudtrail", name, {field: TRAIL})
        case(f"management {name} of another trail", "management", set(), "aws.cloudtrail", name, {field: "team-trail"})
    case(
        "management StopLogging of the trail by ARN",
        "management",
        {TRAIL_RULE},
        "aws.cloudtrail",
        "StopLogging",
        lambda ctx: {"name": ctx["trail_arn"]},
    )
    case(
        "management PutEventSelectors of the trail by ARN",
        "management",
        {TRAIL_RULE},
        "aws.cloudtrail",
        "PutEventSelectors",
        lambda ctx: {"trailName": ctx["trail_arn"], "advancedEventSelectors": []},
    )
    case("management DescribeTrails", "management", set(), "aws.cloudtrail", "DescribeTrails", {}, read_only=True)
    case(
        "management GetTrailStatus of the trail",
        "management",
        set(),
        "aws.cloudtrail",
        "GetTrailStatus",
        {"name": TRAIL},
    )
    case("management StartLogging of the trail", "management", set(), "aws.cloudtrail", "StartLogging", {"name": TRAIL})
    case("management CreateTrail", "management", set(), "aws.cloudtrail", "CreateTrail", {"name": TRAIL})

    # The bucket: from the log-archive account (forwarded to the management account's rule too) and from the
    # management account itself.
    for name in BUCKET_EVENTS:
        case(
            f"log-archive {name} on the log bucket",
            "log_archive",
            {LA_BUCKET_RULE, BUCKET_RULE},
            "aws.s3",
            name,
            s3_call(),
        )
        case(f"log-archive {name} on another bucket", "log_archive", set(), "aws.s3", name, s3_call(OTHER_BUCKET))
    for name in ("PutBucketPolicy", "PutBucketLifecycle", "DeleteBucket"):
        case(f"management {name} on the log bucket", "management", {BUCKET_RULE}, "aws.s3", name, s3_call())
        case(f"management {name} on another bucket", "management", set(), "aws.s3", name, s3_call(OTHER_BUCKET))
    for name in ("GetBucketPolicy", "GetBucketLifecycle", "GetBucketVersioning", "ListBuckets"):
        case(f"log-archive {name} on the log bucket", "log_archive", set(), "aws.s3", name, s3_call(), read_only=True)
    for name in ("PutBucketTagging", "PutObject", "CreateBucket"):
        case(f"log-archive {name} on the log bucket", "log_archive", set(), "aws.s3", name, s3_call())
    # The S3 API names of two calls, which CloudTrail logs under their older names (listed above).
    for name in ("PutBucketLifecycleConfiguration", "PutBucketNotificationConfiguration"):
        case(f"log-archive {name} (not a CloudTrail event name)", "log_archive", set(), "aws.s3", name, s3_call())

    # The trail key: by ID and by ARN, from the log-archive account; never another key or a read or a use.
    for name in KEY_EVENTS:
        case(
            f"log-archive {name} of the trail key",
            "log_archive",
            {LA_KEY_RULE, KEY_RULE},
            "aws.kms",
            name,
            lambda ctx: kms_call(ctx)[0],
            lambda ctx: kms_call(ctx)[1],
        )
        case(
            f"log-archive {name} of the trail key by ARN",
            "log_archive",
            {LA_KEY_RULE, KEY_RULE},
            "aws.kms",
            name,
            lambda ctx: kms_call(ctx, by_arn=True)[0],
        )
        case(
            f"log-archive {name} of another key",
            "log_archive",
            set(),
            "aws.kms",
            name,
            lambda ctx: kms_call(ctx, OTHER_KEY_ID)[0],
        )
    for name, read_only in (
        ("Decrypt", True),
        ("DescribeKey", True),
        ("EnableKeyRotation", False),
        ("CancelKeyDeletion", False),
    ):
        case(
            f"log-archive {name} of the trail key",
            "log_archive",
            set(),
            "aws.kms",
            name,
            lambda ctx: kms_call(ctx)[0],
            read_only=read_only,
        )
    case(
        "management ScheduleKeyDeletion of the trail key",
        "management",
        {KEY_RULE},
        "aws.kms",
        "ScheduleKeyDeletion",
        lambda ctx: kms_call(ctx, by_arn=True)[0],
    )

    # The organization: CloudTrail's trusted access and delegated administrator, SCPs turned off, the guardrail SCPs.
    cloudtrail = {"servicePrincipal": "cloudtrail.amazonaws.com"}
    case(
        "management DisableAWSServiceAccess for CloudTrail",
        "management",
        {ORG_RULE},
        "aws.organizations",
        "DisableAWSServiceAccess",
        cloudtrail,
    )
    case(
        "management DeregisterDelegatedAdministrator for CloudTrail",
        "management",
        {ORG_RULE},
        "aws.organizations",
        "DeregisterDelegatedAdministrator",
        lambda ctx: dict(cloudtrail, accountId=ctx["accounts"]["log_archive"]),
    )
    case(
        "management DisableAWSServiceAccess for AWS Config",
        "management",
        set(),
        "aws.organizations",
        "DisableAWSServiceAccess",
        {"servicePrincipal": "config.amazonaws.com"},
    )
    case(
        "management DeregisterDelegatedAdministrator for GuardDuty",
        "management",
        set(),
        "aws.organizations",
        "DeregisterDelegatedAdministrator",
        {"servicePrincipal": "guardduty.amazonaws.com", "accountId": "111111111111"},
    )
    case(
        "management EnableAWSServiceAccess for CloudTrail",
        "management",
        set(),
        "aws.organizations",
        "EnableAWSServiceAccess",
        cloudtrail,
    )
    case(
        "management DisablePolicyType SCP",
        "management",
        {ORG_RULE},
        "aws.organizations",
        "DisablePolicyType",
        {"rootId": "r-ab12", "policyType": "SERVICE_CONTROL_POLICY"},
    )
    case(
        "management DisablePolicyType TAG_POLICY",
        "management",
        set(),
        "aws.organizations",
        "DisablePolicyType",
        {"rootId": "r-ab12", "policyType": "TAG_POLICY"},
    )
    for name in ("DetachPolicy", "UpdatePolicy", "DeletePolicy"):
        case(
            f"management {name} of the guardrail SCP",
            "management",
            {ORG_RULE},
            "aws.organizations",
            name,
            lambda ctx: {"policyId": ctx["scp_id"], "targetId": ctx["root_id"]},
        )
        case(
            f"management {name} of another SCP",
            "management",
            set(),
            "aws.organizations",
            name,
            lambda ctx: {"policyId": ctx["other_scp_id"], "targetId": ctx["root_id"]},
        )
    case(
        "management AttachPolicy of the guardrail SCP",
        "management",
        set(),
        "aws.organizations",
        "AttachPolicy",
        lambda ctx: {"policyId": ctx["scp_id"], "targetId": ctx["root_id"]},
    )
    case("management ListPolicies", "management", set(), "aws.organizations", "ListPolicies", {}, read_only=True)

    # Elsewhere: the management account's rules are not in the log-archive account, and a member's calls stay there.
    case("log-archive StopLogging of the trail", "log_archive", set(), "aws.cloudtrail", "StopLogging", {"name": TRAIL})
    case("member PutBucketPolicy on the log bucket", "member", set(), "aws.s3", "PutBucketPolicy", s3_call())
    case("member DisableKey of the trail key", "member", set(), "aws.kms", "DisableKey", lambda ctx: kms_call(ctx)[0])
    return cases


CASES = build_cases()


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    """Apply the role, add an SQS probe to every rule, put every case's event; return what each probe received."""
    work = tmp_path_factory.mktemp("tamper-rules")
    url = emulator.start(state_dir=work / "emulator")
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            yield route_everything(url, work)
    finally:
        emulator.stop(work / "emulator")


def route_everything(url, work):
    org = seed_org.seed(members=1)
    accounts = {
        "management": org["management"]["account_id"],
        "log_archive": org["log_archive"]["account_id"],
        "member": org["members"][0]["account_id"],
    }
    clients = {"management": client_factory(url)}
    for where in ("log_archive", "member"):
        clients[where] = client_factory(url, assume(url, accounts[where]))
    organizations = clients["management"]("organizations")
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    scp_ids = [
        organizations.create_policy(
            Name=name,
            Description=name,
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*"}],
                }
            ),
        )["Policy"]["PolicySummary"]["Id"]
        for name in ("acme-deny-cloudtrail-tampering", "team-guardrail")
    ]
    ctx = {
        "accounts": accounts,
        "root_id": root_id,
        "scp_id": scp_ids[0],
        "other_scp_id": scp_ids[1],
        "trail_arn": f"arn:aws:cloudtrail:{REGION}:{accounts['management']}:trail/{TRAIL}",
        "key_arn": f"arn:aws:kms:{REGION}:{accounts['log_archive']}:key/{KEY_ID}",
    }
    extra = {
        "region": REGION,
        "euro_region": EURO_REGION,
        "prefix": PREFIX,
        "euro_prefix": EURO_PREFIX,
        "log_group": LOG_GROUP,
        "bucket": BUCKET,
        "key_arn": ctx["key_arn"],
        "trail_arn": ctx["trail_arn"],
        "management_id": accounts["management"],
        "log_archive_id": accounts["log_archive"],
        "scp_ids": [ctx["scp_id"]],
    }
    (work / "tamper_rules.yml").write_text(PLAYBOOK)
    (work / "extra.json").write_text(json.dumps(extra))
    inventory = work / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
    )
    run = playbook(url, inventory, work / "tamper_rules.yml", "-e", f"@{work / 'extra.json'}")

    # A probe queue on every rule, beside the rule's own target.
    probes, probe_arns, rules = {}, {}, {}
    for where, name in RULES:
        events = clients[where]("events")
        rule = f"{PREFIX}-{name}"
        queue_url, queue_arn = new_queue(clients[where], f"probe-{name}")
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        events.put_targets(Rule=rule, Targets=[{"Id": "probe", "Arn": queue_arn}])
        probes[(where, name)] = queue_url
        probe_arns[(where, name)] = queue_arn
        rules[(where, name)] = {"rule": events.describe_rule(Name=rule), "targets": targets}
    # The alarm topic's subscriber, as a team's email or chat hook would be.
    management = clients["management"]
    alarm_queue, alarm_queue_arn = new_queue(management, "alarm-inbox")
    topic = f"arn:aws:sns:{REGION}:{accounts['management']}:{PREFIX}-security-alarms"
    management("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alarm_queue_arn)
    # A member that forwards its S3 events to the management account's bus, which does not accept them.
    member_events = clients["member"]("events")
    member_events.put_rule(Name="team-forward", EventPattern=json.dumps({"source": ["aws.s3"]}))
    member_events.put_targets(
        Rule="team-forward",
        Targets=[
            {
                "Id": "management",
                "Arn": f"arn:aws:events:{REGION}:{accounts['management']}:event-bus/default",
                "RoleArn": f"arn:aws:iam::{accounts['member']}:role/team-forwarder",
            }
        ],
    )

    sent = {}
    for label, (where, build, _expected) in CASES.items():
        entry, event_id = build(ctx)
        response = clients[where]("events").put_events(Entries=[entry])
        assert response["FailedEntryCount"] == 0, (label, response)
        sent[label] = event_id
    matched = {label: set() for label in CASES}
    by_id = {event_id: label for label, event_id in sent.items()}
    received = {}
    for rule, queue_url in probes.items():
        for event in drain(clients[rule[0]], queue_url):
            label = by_id[event["detail"]["eventID"]]
            matched[label].add(rule)
            received[(label, rule)] = event
    alarms = [json.loads(notification["Message"]) for notification in drain(management, alarm_queue)]
    return {
        "ctx": ctx,
        "run": run,
        "matched": matched,
        "received": received,
        "received_probe_arns": probe_arns,
        "alarms": alarms,
        "by_id": by_id,
        "rules": rules,
        "clients": clients,
        "url": url,
    }


@pytest.mark.parametrize("label", list(CASES))
def test_each_event_matches_exactly_its_rules(routed, label):
    assert routed["matched"][label] == CASES[label][2]


def test_every_rule_matches_some_event_and_each_tamper_event_is_covered():
    expected = set().union(*(rules for _where, _build, rules in CASES.values()))
    assert expected == set(RULES)
    harmless = [label for label, (_where, _build, rules) in CASES.items() if not rules]
    assert len(harmless) >= 40


def test_the_alarm_topic_gets_one_alert_per_matching_management_rule(routed):
    alerted = sorted(routed["by_id"][alarm["detail"]["eventID"]] for alarm in routed["alarms"])
    expected = sorted(
        label for label, (_where, _build, rules) in CASES.items() for rule in rules if rule[0] == "management"
    )
    assert alerted == expected


def test_a_forwarded_alert_names_the_account_where_the_tampering_happened(routed):
    accounts = routed["ctx"]["accounts"]
    label = "log-archive PutBucketPolicy on the log bucket"
    forwarded = routed["received"][(label, BUCKET_RULE)]
    assert forwarded["account"] == accounts["log_archive"] and forwarded["source"] == "aws.s3"
    assert forwarded["detail"]["userIdentity"]["accountId"] == accounts["log_archive"]
    alarm = next(a for a in routed["alarms"] if routed["by_id"][a["detail"]["eventID"]] == label)
    assert alarm["account"] == accounts["log_archive"] and alarm["detail"]["eventName"] == "PutBucketPolicy"


def test_the_rules_are_enabled_and_target_the_topic_or_the_management_bus(routed):
    accounts = routed["ctx"]["accounts"]
    topic = f"arn:aws:sns:{REGION}:{accounts['management']}:{PREFIX}-security-alarms"
    bus = f"arn:aws:events:{REGION}:{accounts['management']}:event-bus/default"
    forwarder = f"arn:aws:iam::{accounts['log_archive']}:role/TrailguardTamperAlertsForwarder"
    for (where, _name), found in routed["rules"].items():
        assert found["rule"]["State"] == "ENABLED"
        if where == "management":
            assert [(t["Id"], t["Arn"]) for t in found["targets"]] == [("alarm-topic", topic)]
        else:
            assert [(t["Arn"], t.get("RoleArn")) for t in found["targets"]] == [(bus, forwarder)]


def test_the_management_bus_accepts_the_log_archive_account_only(routed):
    management = routed["clients"]["management"]("events")
    policy = json.loads(management.describe_event_bus(Name="default")["Policy"])
    [statement] = policy["Statement"]
    accounts = routed["ctx"]["accounts"]
    assert statement["Sid"] == "TrailguardTamperAlertsFromLogArchive"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{accounts['log_archive']}:root"}
    assert statement["Condition"] == {"ForAllValues:StringEquals": {"events:source": ["aws.kms", "aws.s3"]}}
    # The member's own forwarding rule put its events (the case "member PutBucketPolicy on the log bucket"): refused.
    assert routed["matched"]["member PutBucketPolicy on the log bucket"] == set()


def test_the_forwarding_role_may_only_put_events_on_the_management_bus(routed):
    iam = routed["clients"]["log_archive"]("iam")
    accounts = routed["ctx"]["accounts"]
    role = iam.get_role(RoleName="TrailguardTamperAlertsForwarder")["Role"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": accounts["log_archive"]},
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{accounts['log_archive']}:rule/{PREFIX}-*"},
    }
    policy = iam.get_role_policy(RoleName="TrailguardTamperAlertsForwarder", PolicyName="TrailguardForwardTamperAlerts")
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "TrailguardForwardTamperAlerts",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:{REGION}:{accounts['management']}:event-bus/default",
        }
    ]


def test_organizations_events_reach_a_topic_in_another_region(routed):
    """Organizations delivers its events to EventBridge in us-east-1 only (re:Post Knowledge Center, "use an
    EventBridge rule across Regions"); the set-up in eu-west-1 forwards them from there."""
    management = routed["clients"]["management"]
    accounts = routed["ctx"]["accounts"]
    inbox, inbox_arn = new_queue(management, "euro-inbox", EURO_REGION)
    topic = f"arn:aws:sns:{EURO_REGION}:{accounts['management']}:{EURO_PREFIX}-security-alarms"
    management("sns", EURO_REGION).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    forwarder = management("events").list_targets_by_rule(Rule=f"{EURO_PREFIX}-organization-tampering")["Targets"]
    assert [(t["Arn"], t["RoleArn"]) for t in forwarder] == [
        (
            f"arn:aws:events:{EURO_REGION}:{accounts['management']}:event-bus/default",
            f"arn:aws:iam::{accounts['management']}:role/TrailguardTamperAlertsForwarder",
        )
    ]
    assert management("events").list_rules(NamePrefix=f"{EURO_PREFIX}-")["Rules"][0]["Name"] == (
        f"{EURO_PREFIX}-organization-tampering"
    ), "only the organization rule is in us-east-1"

    ctx = routed["ctx"]
    for label in (
        "management DisableAWSServiceAccess for CloudTrail",
        "management DisableAWSServiceAccess for AWS Config",
    ):
        entry, event_id = CASES[label][1](ctx)
        management("events").put_events(Entries=[entry])
        alerts = [json.loads(n["Message"]) for n in drain(management, inbox, EURO_REGION)]
        expected = [event_id] if CASES[label][2] else []
        assert [alert["detail"]["eventID"] for alert in alerts] == expected, label
        assert all(alert["region"] == REGION and alert["account"] == accounts["management"] for alert in alerts)


def posture_args():
    """posture_info's options for the emulator's set-up (the trail, bucket and key do not exist: not checked here)."""
    args = {
        "region": REGION,
        "trail": {"name": TRAIL},
        "log_archive_account": {"account_id": ""},
        "bucket": {"name": BUCKET},
        "kms_key": {"id": f"alias/{PREFIX}-cloudtrail"},
        "alarm_topic_name": f"{PREFIX}-security-alarms",
        "tamper_rules": [
            {"name": f"{PREFIX}-cloudtrail-tampering"},
            {"name": f"{PREFIX}-log-bucket-tampering"},
            {"name": f"{PREFIX}-trail-key-tampering"},
            {"name": f"{PREFIX}-organization-tampering"},
            {"name": f"{PREFIX}-log-bucket-tampering", "account": "log_archive", "target": "management_event_bus"},
            {"name": f"{PREFIX}-trail-key-tampering", "account": "log_archive", "target": "management_event_bus"},
        ],
    }
    return args


@pytest.fixture
def report(routed):
    def run():
        args = posture_args()
        args["log_archive_account"]["account_id"] = routed["ctx"]["accounts"]["log_archive"]
        result = subprocess.run(
            [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
             "-e", f"ansible_python_interpreter={sys.executable}", "-m", "trailguard.cloudtrail.posture_info",
             "-a", json.dumps(args), "-o"],
            capture_output=True, text=True, cwd=REPO, check=False, env=ansible_env(routed["url"]),
        )  # fmt: skip
        assert " | SUCCESS => " in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
        found = json.loads(result.stdout.split(" | SUCCESS => ", 1)[1])["report"]["checks"]
        return {check["title"]: check for check in found if check["id"].startswith("alarms.tamper_rule.")}

    return run


def test_the_posture_report_shows_each_tamper_rule(routed, report):
    """Present, enabled and delivering to the alarm topic (management) or the management bus (log-archive); a rule
    disabled or left without its target turns red."""
    checks = report()
    assert sorted(checks) == sorted(
        f"Tamper rule {PREFIX}-{name} ({where.replace('_', '-')} account, {REGION})" for where, name in RULES
    )
    assert {check["status"] for check in checks.values()} == {"pass"}, checks

    management = routed["clients"]["management"]("events")
    log_archive = routed["clients"]["log_archive"]("events")
    [forward] = [t for t in routed["rules"][LA_KEY_RULE]["targets"] if t["Id"] == "management-bus"]
    management.disable_rule(Name=f"{PREFIX}-organization-tampering")
    log_archive.remove_targets(Rule=f"{PREFIX}-trail-key-tampering", Ids=["management-bus"])
    try:
        checks = report()
        failed = {title: check["detail"] for title, check in checks.items() if check["status"] == "fail"}
        assert failed == {
            f"Tamper rule {PREFIX}-organization-tampering (management account, {REGION})": (
                "the rule is disabled: it matches no event"
            ),
            f"Tamper rule {PREFIX}-trail-key-tampering (log-archive account, {REGION})": (
                "the rule delivers to "
                + routed["received_probe_arns"][LA_KEY_RULE]
                + f", not to arn:aws:events:{REGION}:{routed['ctx']['accounts']['management']}:event-bus/default"
            ),
        }
    finally:
        management.enable_rule(Name=f"{PREFIX}-organization-tampering")
        log_archive.put_targets(Rule=f"{PREFIX}-trail-key-tampering", Targets=[forward])
