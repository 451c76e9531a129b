"""What the tamper alerts' policies let through, and what they stop.

- the management account's default event bus (tamper_alerts_bus_policy): the log-archive account may put the S3 and
  KMS events its rules forward; another account of the organization, an account outside it, and the log-archive
  account with any other event source may not;
- the role EventBridge assumes to forward them (service_role_trust for events.amazonaws.com and
  event_bus_forwarder_policy): only EventBridge, for the Trailguard rules of the role's own account, may assume it,
  and it may put events on the management account's bus and nowhere else.

The emulator routes forwarded events only as far as the bus policy names the sender (tools/moto_server.py); the
conditions (events:source, aws:SourceAccount, aws:SourceArn) are proven here.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import FOREIGN
from iam_simulation import FOREIGN_ORG_ID
from iam_simulation import IMPLICIT
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import MGMT
from iam_simulation import REGION
from iam_simulation import Case
from iam_simulation import aws_service
from iam_simulation import check
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BUS_ARN = f"arn:aws:events:{REGION}:{MGMT}:event-bus/default"
OTHER_BUS_ARN = f"arn:aws:events:{REGION}:{MGMT}:event-bus/payments"
FOREIGN_BUS_ARN = f"arn:aws:events:{REGION}:{FOREIGN}:event-bus/default"
FORWARDER_ARN = f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardTamperAlertsForwarder"
RULE_ARN = f"arn:aws:events:{REGION}:{LOG_ARCHIVE}:rule/trailguard-log-bucket-tampering"

BUS_POLICY = policies.tamper_alerts_bus_policy(BUS_ARN, [LOG_ARCHIVE])
FORWARDER_TRUST = policies.service_role_trust(
    policies.EVENTBRIDGE,
    source_account=LOG_ARCHIVE,
    source_arn=f"arn:aws:events:*:{LOG_ARCHIVE}:rule/trailguard-*",
)
# A bus outside the organization that anyone may put events on: only the role's own policy can stop it.
OPEN_FOREIGN_BUS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": FOREIGN_BUS_ARN}
    ],
}
FORWARDER_IDENTITY = {"name": "TrailguardForwardTamperAlerts", "policy": policies.event_bus_forwarder_policy([BUS_ARN])}


def put(principal, source, bus=BUS_ARN, bus_account=MGMT, resource_policy=None):
    return request(
        principal,
        "events:PutEvents",
        bus,
        bus_account,
        resource_policy=resource_policy or BUS_POLICY,
        context={"events:source": [source]},
    )


def forwarder_put(source="aws.s3", bus=BUS_ARN, bus_account=MGMT, resource_policy=None):
    item = put(role(LOG_ARCHIVE, "TrailguardTamperAlertsForwarder"), source, bus, bus_account, resource_policy)
    item["simulation"]["identityPolicies"] = [FORWARDER_IDENTITY]
    return item


def assume(principal):
    return request(principal, "sts:AssumeRole", FORWARDER_ARN, LOG_ARCHIVE, resource_policy=FORWARDER_TRUST)


CASES = [
    # The bus: who may forward what.
    Case(
        "log-archive account forwards an S3 event to the management bus",
        put(role(LOG_ARCHIVE), "aws.s3"),
        ALLOWED,
        sid="TrailguardTamperAlertsFromLogArchive",
    ),
    Case(
        "log-archive account forwards a KMS event to the management bus",
        put(role(LOG_ARCHIVE), "aws.kms"),
        ALLOWED,
        sid="TrailguardTamperAlertsFromLogArchive",
    ),
    Case(
        "log-archive account puts events of another source",
        put(role(LOG_ARCHIVE), "com.example.noise"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "another account of the organization forwards an S3 event",
        put(role(MEMBER_A), "aws.s3"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "an account outside the organization forwards an S3 event",
        put(role(FOREIGN, org_id=FOREIGN_ORG_ID), "aws.s3"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    # The forwarding role: its own permissions.
    Case(
        "the forwarding role puts on the management bus",
        forwarder_put(),
        ALLOWED,
        sid="TrailguardForwardTamperAlerts",
    ),
    Case(
        "the forwarding role puts on another bus of the management account",
        forwarder_put(bus=OTHER_BUS_ARN, resource_policy=BUS_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "the forwarding role puts on a bus outside the organization",
        forwarder_put(bus=FOREIGN_BUS_ARN, bus_account=FOREIGN, resource_policy=OPEN_FOREIGN_BUS),
        IMPLICIT,
        denied_by={"identity"},
    ),
    # The forwarding role's trust: EventBridge, for this account's Trailguard rules only.
    Case(
        "EventBridge assumes the role for a Trailguard rule of the account",
        assume(aws_service(policies.EVENTBRIDGE, RULE_ARN)),
        ALLOWED,
        sid="TrailguardServiceAssumeRole",
    ),
    Case(
        "EventBridge assumes the role for another rule of the account",
        assume(aws_service(policies.EVENTBRIDGE, f"arn:aws:events:{REGION}:{LOG_ARCHIVE}:rule/team-forward")),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "EventBridge assumes the role for another account's rule",
        assume(
            aws_service(
                policies.EVENTBRIDGE, f"arn:aws:events:{REGION}:{MEMBER_A}:rule/trailguard-log-bucket-tampering"
            )
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "an administrator of the account assumes the role",
        assume(role(LOG_ARCHIVE)),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_tamper_alert_policy_effect(case, verdicts):
    check(case, verdicts[case.id])
