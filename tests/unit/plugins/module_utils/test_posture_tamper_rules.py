"""The posture report's tamper rule checks: each rule present, enabled and delivering to its target.

read_tamper_rule runs against moto's in-process mock; tamper_rule_checks is pure; posture_info's
expected_tamper_rules and validate turn the module's options into the expected rules.
"""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture_checks
from ansible_collections.trailguard.cloudtrail.plugins.modules import posture_info

MGMT, LOG_ARCHIVE = "123456789012", "210987654321"
TOPIC = f"arn:aws:sns:us-east-1:{MGMT}:acme-security-alarms"
BUS = f"arn:aws:events:us-east-1:{MGMT}:event-bus/default"


def expected(name="acme-log-bucket-tampering", account_id=MGMT, target=TOPIC):
    return {"name": name, "account_id": account_id, "where": "management account, us-east-1", "target_arn": target}


def state(rule_state="ENABLED", targets=(TOPIC,), name="acme-log-bucket-tampering"):
    rule = {"Name": name, "Arn": f"arn:aws:events:us-east-1:{MGMT}:rule/{name}", "State": rule_state}
    return {"rule": rule, "targets": list(targets)}


@pytest.mark.parametrize(
    "found, status, detail",
    [
        (state(), "pass", f"enabled, delivers to {TOPIC}"),
        ({"rule": None, "targets": []}, "fail", "there is no rule acme-log-bucket-tampering in the management account"),
        (state("DISABLED"), "fail", "the rule is disabled: it matches no event"),
        (state(targets=()), "fail", f"the rule delivers to nothing, not to {TOPIC}"),
        (state(targets=(BUS,)), "fail", f"the rule delivers to {BUS}, not to {TOPIC}"),
        (state("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", (BUS, TOPIC)), "pass", "enabled"),
    ],
)
def test_tamper_rule_checks(found, status, detail):
    [result] = posture_checks.tamper_rule_checks([expected()], [found])
    assert result["status"] == status and result["detail"].startswith(detail)
    assert result["group"] == "alarms" and result["account_id"] == MGMT
    assert result["id"] == f"alarms.tamper_rule.{MGMT}.acme-log-bucket-tampering"
    assert result["title"] == "Tamper rule acme-log-bucket-tampering (management account, us-east-1)"


def test_the_same_rule_in_two_accounts_is_two_checks():
    results = posture_checks.tamper_rule_checks(
        [expected(), expected(account_id=LOG_ARCHIVE, target=BUS)], [state(), state(targets=(BUS,))]
    )
    assert len({result["id"] for result in results}) == 2
    assert [result["status"] for result in results] == ["pass", "pass"]


def test_read_tamper_rule():
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        events.put_rule(Name="acme-trail-key-tampering", EventPattern=json.dumps({"source": ["aws.kms"]}))
        events.put_targets(Rule="acme-trail-key-tampering", Targets=[{"Id": "alarm-topic", "Arn": TOPIC}])
        found = posture.read_tamper_rule(events, "acme-trail-key-tampering")
        assert found["rule"]["State"] == "ENABLED" and found["targets"] == [TOPIC]
        assert posture.read_tamper_rule(events, "acme-missing") == {"rule": None, "targets": []}


def params(**overrides):
    values = {
        "log_archive_account": {"account_id": LOG_ARCHIVE},
        "alarm_topic_name": "acme-security-alarms",
        "tamper_rules": [
            {"name": "acme-cloudtrail-tampering", "account": "management", "region": None, "target": "alarm_topic"},
            {
                "name": "acme-log-bucket-tampering",
                "account": "log_archive",
                "region": None,
                "target": "management_event_bus",
            },
            {
                "name": "acme-organization-tampering",
                "account": "management",
                "region": "us-east-1",
                "target": "management_event_bus",
            },
        ],
    }
    values.update(overrides)
    return values


def test_expected_tamper_rules_name_their_account_and_target():
    rules = posture_info.expected_tamper_rules(params(), MGMT, "aws-us-gov", "us-gov-west-1")
    assert [(r["account_id"], r["region"], r["target_arn"]) for r in rules] == [
        (MGMT, "us-gov-west-1", f"arn:aws-us-gov:sns:us-gov-west-1:{MGMT}:acme-security-alarms"),
        (LOG_ARCHIVE, "us-gov-west-1", f"arn:aws-us-gov:events:us-gov-west-1:{MGMT}:event-bus/default"),
        (MGMT, "us-east-1", f"arn:aws-us-gov:events:us-gov-west-1:{MGMT}:event-bus/default"),
    ]
    assert rules[1]["where"] == "log-archive account, us-gov-west-1"


def test_a_rule_that_notifies_the_topic_needs_the_topics_name():
    base = {
        "trail": {"name": "acme-organization-trail"},
        "log_archive_account": {"account_id": LOG_ARCHIVE, "role_arn": None},
        "bucket": {
            "name": "acme-cloudtrail",
            "access_log_bucket_name": None,
            "glacier_transition_days": None,
            "expiration_days": None,
            "object_lock_days": None,
        },
        "accounts": [],
        "scps": [],
        "max_workers": 10,
    }
    error = posture_info.validate(dict(base, **params(alarm_topic_name=None)))
    assert error == "alarm_topic_name must name the alarm topic that tamper_rules with target alarm_topic notify"
    assert posture_info.validate(dict(base, **params())) is None
