"""The tamper alerts' policy builders: the management account's event bus policy and the forwarding role's policy.

What they allow and deny is proven with an IAM policy simulator in tests/policy/test_tamper_alert_policy_effects.py.
"""

from ansible_collections.trailguard.cloudtrail.plugins.filter.policies import FilterModule
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BUS = "arn:aws:events:us-east-1:111111111111:event-bus/default"
GOV_BUS = "arn:aws-us-gov:events:us-gov-west-1:111111111111:event-bus/default"


def test_both_builders_are_filters():
    filters = FilterModule().filters()
    assert filters["tamper_alerts_bus_policy"] is policies.tamper_alerts_bus_policy
    assert filters["event_bus_forwarder_policy"] is policies.event_bus_forwarder_policy


def test_the_bus_accepts_the_log_archive_accounts_s3_and_kms_events():
    assert policies.tamper_alerts_bus_policy(BUS, ["222222222222"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrailguardTamperAlertsFromLogArchive",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": "events:PutEvents",
                "Resource": BUS,
                "Condition": {"ForAllValues:StringEquals": {"events:source": ["aws.kms", "aws.s3"]}},
            }
        ],
    }


def test_the_bus_policy_is_in_the_buss_partition_and_lists_each_sender_once():
    [statement] = policies.tamper_alerts_bus_policy(GOV_BUS, ["333333333333", "222222222222", "333333333333"])[
        "Statement"
    ]
    assert statement["Principal"] == {
        "AWS": ["arn:aws-us-gov:iam::222222222222:root", "arn:aws-us-gov:iam::333333333333:root"]
    }
    [statement] = policies.tamper_alerts_bus_policy(BUS, ["222222222222"], sources=["aws.s3"])["Statement"]
    assert statement["Condition"] == {"ForAllValues:StringEquals": {"events:source": ["aws.s3"]}}


def test_the_forwarding_role_may_only_put_events_on_the_listed_buses():
    assert policies.event_bus_forwarder_policy([BUS, BUS]) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TrailguardForwardTamperAlerts", "Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}
        ],
    }
