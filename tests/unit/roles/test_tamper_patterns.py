"""The cis_monitoring role's EventBridge tamper rules and tamper metric filter, as the role renders them.

The rules are data in roles/cis_monitoring/vars/main.yml, rendered here with Ansible's templar from the role's own
defaults and vars. These tests check what the data must say: every tamper event of each kind in its rule, each rule
scoped to the bucket, key, trail and SCPs it watches, the management rules matching the log-archive account's
forwarded events, the sizes AWS allows, and the main playbook's order and wiring. That the patterns match the right
events, and no harmless one, is shown by routing sample CloudTrail events through the emulator's EventBridge
(tests/harness/test_tamper_rules.py).
"""

import fnmatch
import json
import re
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template
from role_files import role_variables
from role_files import trusted

REPO = Path(__file__).resolve().parents[3]
MANAGEMENT, LOG_ARCHIVE = "111111111111", "222222222222"
BUCKET = "acme-cloudtrail"
KEY_ARN = f"arn:aws:kms:us-east-1:{LOG_ARCHIVE}:key/0b1f6f0e-7c1a-4f55-9d0e-5b1c2d3e4f50"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/acme-organization-trail"
SCP_IDS = ["p-abcd1234", "p-efgh5678"]
# PutRule's EventPattern is at most 4,096 characters (EventBridge API Reference); a filter pattern 1,024
# (CloudWatch Logs quotas).
MAX_EVENT_PATTERN = 4096
MAX_FILTER_PATTERN = 1024

# What each kind of rule must catch, as the event names CloudTrail logs.
REQUIRED = {
    "cloudtrail-tampering": {"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"},
    "log-bucket-tampering": {
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketLifecycle",
        "DeleteBucketLifecycle",
        "PutBucketVersioning",
        "PutBucketNotification",
        "PutBucketRequestPayment",
        "PutBucketLogging",
        "PutObjectLockConfiguration",
        "DeleteBucket",
    },
    "trail-key-tampering": {"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation", "CreateGrant"},
}


def render(expression, caller=MANAGEMENT, **overrides):
    """`expression` rendered with the role's defaults and vars, the caller's identity and `overrides`."""
    variables = role_variables(
        "cis_monitoring",
        cis_monitoring_log_group_name="/aws/cloudtrail/acme-organization-trail",
        cis_monitoring_name_prefix="acme",
        cis_monitoring_caller={"account": caller, "arn": f"arn:aws:iam::{caller}:user/runner"},
        cis_monitoring_log_bucket_name=BUCKET,
        cis_monitoring_trail_kms_key_arn=KEY_ARN,
        cis_monitoring_trail_arn=TRAIL_ARN,
        cis_monitoring_log_archive_account_id=LOG_ARCHIVE,
        cis_monitoring_scp_ids=SCP_IDS,
    )
    variables.update(trusted(overrides))
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def rules(expression="{{ cis_monitoring_event_rules }}", **overrides):
    return {rule["name"].removeprefix("acme-"): rule for rule in render(expression, **overrides)}


def test_every_required_event_is_in_its_rule():
    found = rules()
    for name, events in REQUIRED.items():
        assert events <= set(found[name]["pattern"]["detail"]["eventName"]), name
        assert found[name]["enabled"]
    branches = found["organization-tampering"]["pattern"]["detail"]["$or"]
    assert {
        "eventName": ["DisableAWSServiceAccess", "DeregisterDelegatedAdministrator"],
        "requestParameters": {"servicePrincipal": ["cloudtrail.amazonaws.com"]},
    } in branches
    assert {
        "eventName": ["DetachPolicy", "UpdatePolicy", "DeletePolicy"],
        "requestParameters": {"policyId": SCP_IDS},
    } in branches


def test_no_event_is_listed_twice_and_each_rule_matches_cloudtrail_api_calls_of_its_service():
    sources = {
        "cloudtrail-tampering": ("aws.cloudtrail", "cloudtrail.amazonaws.com"),
        "log-bucket-tampering": ("aws.s3", "s3.amazonaws.com"),
        "trail-key-tampering": ("aws.kms", "kms.amazonaws.com"),
        "organization-tampering": ("aws.organizations", "organizations.amazonaws.com"),
    }
    for name, rule in rules().items():
        pattern = rule["pattern"]
        assert pattern["source"] == [sources[name][0]] and pattern["detail"]["eventSource"] == [sources[name][1]]
        assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
        names = pattern["detail"].get("eventName", [])
        assert len(names) == len(set(names)), name


def test_the_rules_are_scoped_to_the_bucket_the_key_the_trail_and_the_scps():
    found = rules()
    assert found["log-bucket-tampering"]["pattern"]["detail"]["requestParameters"] == {"bucketName": [BUCKET]}
    # The calls name the key by ID or ARN (never an alias): both are listed.
    assert found["trail-key-tampering"]["pattern"]["detail"]["requestParameters"] == {
        "keyId": ["0b1f6f0e-7c1a-4f55-9d0e-5b1c2d3e4f50", KEY_ARN]
    }
    trail_ids = ["acme-organization-trail", TRAIL_ARN]
    assert found["cloudtrail-tampering"]["pattern"]["detail"]["$or"] == [
        {"requestParameters": {"name": trail_ids}},
        {"requestParameters": {"trailName": trail_ids}},
    ]


def test_the_bucket_and_key_rules_match_both_accounts_and_are_the_same_in_both():
    """The management account's rules match the events the log-archive account's rules forward (their `account`
    is the log-archive account, EventBridge User Guide, "Sending and receiving events between AWS accounts")."""
    management = rules()
    log_archive = rules(
        "{{ cis_monitoring_event_rules }}",
        caller=LOG_ARCHIVE,
        cis_monitoring_management_account_id=MANAGEMENT,
        cis_monitoring_log_archive_account_id="",
    )
    for name in ("log-bucket-tampering", "trail-key-tampering"):
        assert management[name]["pattern"]["account"] == [MANAGEMENT, LOG_ARCHIVE]
        assert log_archive[name]["pattern"] == management[name]["pattern"]
        assert management[name]["where"] == ["management", "log_archive"]
    assert rules()["cloudtrail-tampering"]["where"] == ["management"]
    assert rules()["organization-tampering"]["where"] == ["management"]


def test_without_a_trail_or_scps_the_rules_watch_every_trail_and_no_scp():
    found = rules(cis_monitoring_trail_arn="", cis_monitoring_scp_ids=[])
    assert "$or" not in found["cloudtrail-tampering"]["pattern"]["detail"]
    branches = found["organization-tampering"]["pattern"]["detail"]["$or"]
    assert [branch["eventName"] for branch in branches] == [
        ["DisableAWSServiceAccess", "DeregisterDelegatedAdministrator"],
        ["DisablePolicyType"],
    ]


def test_rules_switched_off_are_removed_by_name():
    assert render("{{ cis_monitoring_removed_rules }}", cis_monitoring_log_bucket_name="") == [
        "acme-log-bucket-tampering"
    ]
    assert (
        render("{{ cis_monitoring_rules | map(attribute='name') | list }}", cis_monitoring_tamper_detection=False) == []
    )
    assert sorted(render("{{ cis_monitoring_removed_rules }}", cis_monitoring_tamper_detection=False)) == [
        "acme-cloudtrail-tampering",
        "acme-log-bucket-tampering",
        "acme-organization-tampering",
        "acme-trail-key-tampering",
    ]


def test_the_management_rules_notify_the_alarm_topic_and_the_log_archive_rules_forward():
    topic = f"arn:aws:sns:us-east-1:{MANAGEMENT}:acme-security-alarms"
    for rule in render("{{ cis_monitoring_rules }}"):
        assert rule["targets"] == [{"id": "alarm-topic", "arn": topic}]
        assert set(rule) == {"name", "description", "event_pattern", "targets"}
    forwarded = render(
        "{{ cis_monitoring_forward_rules }}",
        caller=LOG_ARCHIVE,
        cis_monitoring_management_account_id=MANAGEMENT,
        cis_monitoring_log_archive_account_id="",
        cis_monitoring_forwarded="{{ cis_monitoring_log_archive_rules }}",
    )
    assert [rule["name"] for rule in forwarded] == ["acme-log-bucket-tampering", "acme-trail-key-tampering"]
    for rule in forwarded:
        assert rule["targets"] == [
            {
                "id": "management-bus",
                "arn": f"arn:aws:events:us-east-1:{MANAGEMENT}:event-bus/default",
                "role_arn": f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardTamperAlertsForwarder",
            }
        ]


@pytest.mark.parametrize(
    "partition, region, forwards",
    [("aws", "us-east-1", False), ("aws", "eu-west-1", True), ("aws-us-gov", "us-gov-west-1", False)],
)
def test_organizations_events_are_forwarded_only_from_another_region(partition, region, forwards):
    caller = {"account": MANAGEMENT, "arn": f"arn:{partition}:iam::{MANAGEMENT}:user/runner"}
    assert (
        render(
            "{{ cis_monitoring_forward_organization_events }}",
            cis_monitoring_caller=caller,
            cis_monitoring_region=region,
        )
        is forwards
    )


def test_patterns_fit_eventbridge_with_the_longest_names():
    longest = {
        "cis_monitoring_name_prefix": "p" * 40,
        "cis_monitoring_log_bucket_name": "b" * 63,
        "cis_monitoring_trail_kms_key_arn": f"arn:aws-us-gov:kms:us-gov-west-1:{LOG_ARCHIVE}:key/mrk-" + "0" * 32,
        "cis_monitoring_trail_arn": f"arn:aws-us-gov:cloudtrail:us-gov-west-1:{MANAGEMENT}:trail/" + "t" * 128,
        "cis_monitoring_scp_ids": ["p-" + "a" * 128, "p-" + "b" * 128],
    }
    for rule in render("{{ cis_monitoring_event_rules }}", **longest):
        assert len(json.dumps(rule["pattern"], separators=(",", ":"))) <= MAX_EVENT_PATTERN, rule["name"]
        assert len(rule["description"]) <= 512


def _filter_matches(pattern, clause_source, event_name):
    """Whether the tamper filter names `event_name` for `clause_source` (a * in a quoted value is a wildcard)."""
    clause = next(part for part in pattern.split(" || ((") if f"$.eventSource = {clause_source}" in part)
    values = re.findall(r"\$\.eventName = \"?([A-Za-z*]+)\"?\)", clause)
    return any(fnmatch.fnmatchcase(event_name, value) for value in values)


def test_the_tamper_filter_watches_every_rule_event_in_every_account():
    pattern = render("{{ cis_monitoring_tamper_control.pattern }}")
    found = rules()
    sources = {
        "cloudtrail-tampering": "cloudtrail.amazonaws.com",
        "log-bucket-tampering": "s3.amazonaws.com",
        "trail-key-tampering": "kms.amazonaws.com",
    }
    for name, source in sources.items():
        for event in found[name]["pattern"]["detail"]["eventName"]:
            assert _filter_matches(pattern, source, event), (name, event)
    for harmless in ("GetBucketPolicy", "PutObject", "ListBuckets"):
        assert not _filter_matches(pattern, "s3.amazonaws.com", harmless)
    assert f'($.requestParameters.bucketName = "{BUCKET}")' in pattern
    assert f'($.resources[0].ARN = "{KEY_ARN}")' in pattern


def test_the_tamper_filter_fits_cloudwatch_logs_with_the_longest_names():
    pattern = render(
        "{{ cis_monitoring_tamper_control.pattern }}",
        cis_monitoring_log_bucket_name="b" * 63,
        cis_monitoring_trail_kms_key_arn=f"arn:aws-us-gov:kms:us-gov-west-1:{LOG_ARCHIVE}:key/mrk-" + "0" * 32,
    )
    assert len(pattern) <= MAX_FILTER_PATTERN
    assert "\n" not in pattern and "  " not in pattern


# ---------------------------------------------------------------- the main playbook's order and wiring


PLAYBOOK = yaml.safe_load((REPO / "playbooks" / "org_cloudtrail.yml").read_text())


def _play(name_start):
    return next(index for index, play in enumerate(PLAYBOOK) if play["name"].startswith(name_start))


def test_the_guardrails_run_before_the_monitoring_and_the_log_archive_rules_after_it():
    guardrails = _play("Guardrails")
    monitoring = _play("Management account - CIS alarms")
    log_archive_rules = _play("Log archive account - bucket and key tamper alerts")
    assert guardrails < monitoring < log_archive_rules
    assert PLAYBOOK[log_archive_rules]["tasks"][0]["ansible.builtin.include_role"] == {
        "name": "trailguard.cloudtrail.cis_monitoring",
        "tasks_from": "log_archive",
    }


@pytest.mark.parametrize(
    "guardrails_scps, expected",
    [
        ({"policies": [{"policy_id": "p-abcd1234"}, {"policy_id": "p-efgh5678"}]}, SCP_IDS),
        # guardrails_protect_log_archive off: only the tampering SCP was asked for.
        ({"policies": [{"policy_id": "p-abcd1234"}]}, SCP_IDS[:1]),
        # Both guardrails off: the task was skipped and registered no policy.
        ({"skipped": True, "changed": False}, []),
        # Check mode on a new organization: the SCPs would be created and have no ID yet.
        ({"policies": [{"name": "acme-deny-cloudtrail-tampering", "policy_id": None}]}, []),
        # Check mode with one SCP there and one new.
        ({"policies": [{"policy_id": None}, {"policy_id": "p-efgh5678"}]}, SCP_IDS[1:]),
        # The guardrails play did not run (--tags, --start-at-task): nothing registered.
        (None, []),
    ],
)
def test_the_playbook_passes_the_guardrail_scp_ids(guardrails_scps, expected):
    role = next(
        r for r in PLAYBOOK[_play("Management account - CIS alarms")]["roles"] if r["role"].endswith("cis_monitoring")
    )
    variables = {} if guardrails_scps is None else {"guardrails_scps": guardrails_scps}
    templar = Templar(loader=DataLoader(), variables=variables)
    assert templar.template(trust_as_template(role["cis_monitoring_scp_ids"])) == expected


def test_the_account_and_partition_the_playbook_passes_need_no_read():
    """The main playbook passes the account and partition preflight read; the caller-identity task is then skipped."""
    skipped = {"skipped": True, "changed": False}
    assert (
        render(
            "{{ cis_monitoring_topic_arn }}",
            cis_monitoring_caller=skipped,
            cis_monitoring_caller_account_id=MANAGEMENT,
            cis_monitoring_caller_partition="aws-us-gov",
            cis_monitoring_region="us-gov-west-1",
        )
        == f"arn:aws-us-gov:sns:us-gov-west-1:{MANAGEMENT}:acme-security-alarms"
    )
    assert (
        render(
            "{{ cis_monitoring_forwarder_role_arn }}",
            caller=LOG_ARCHIVE,
            cis_monitoring_caller=skipped,
            cis_monitoring_caller_account_id=LOG_ARCHIVE,
            cis_monitoring_caller_partition="aws",
        )
        == f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardTamperAlertsForwarder"
    )
