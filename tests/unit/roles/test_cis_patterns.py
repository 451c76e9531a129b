"""The CIS metric filter patterns of the cis_monitoring role, checked against Prowler's requirements.

The patterns are data in roles/cis_monitoring/vars/main.yml. Each must contain every
clause the matching Prowler check requires (the event lists are from
prowler/providers/aws/services/cloudwatch/*). Prowler (since PR #11345) matches each
event name as a whole word, in any order, with an optional quote before the value;
`missing_clauses()` applies the same rule, so a scanner finds the control compliant.
"""

import re
from pathlib import Path

import pytest
import yaml

VARS = Path(__file__).resolve().parents[3] / "roles" / "cis_monitoring" / "vars" / "main.yml"
CONTROLS = yaml.safe_load(VARS.read_text())["cis_monitoring_cis_controls"]
BY_CHECK = {control["prowler_check"]: control for control in CONTROLS}

# Prowler check -> what its metric filter pattern must contain.
PROWLER = {
    "cloudwatch_log_metric_filter_unauthorized_api_calls": {
        "cis": "4.1",
        "clauses": [("errorCode", "=", "*UnauthorizedOperation"), ("errorCode", "=", "AccessDenied*")],
    },
    "cloudwatch_log_metric_filter_sign_in_without_mfa": {
        "cis": "4.2",
        "names": ["ConsoleLogin"],
        "clauses": [("additionalEventData.MFAUsed", "!=", "Yes")],
    },
    "cloudwatch_log_metric_filter_root_usage": {
        "cis": "4.3",
        "clauses": [("userIdentity.type", "=", "Root"), ("eventType", "!=", "AwsServiceEvent")],
        "raw": [r"\$\.userIdentity\.invokedBy\s+NOT\s+EXISTS"],
    },
    "cloudwatch_log_metric_filter_policy_changes": {
        "cis": "4.4",
        "names": [
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ],
    },
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled": {
        "cis": "4.5",
        "names": ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"],
    },
    "cloudwatch_log_metric_filter_authentication_failures": {
        "cis": "4.6",
        "names": ["ConsoleLogin"],
        "clauses": [("errorMessage", "=", "Failed authentication")],
    },
    "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk": {
        "cis": "4.7",
        "source": "kms.amazonaws.com",
        "names": ["DisableKey", "ScheduleKeyDeletion"],
    },
    "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes": {
        "cis": "4.8",
        "source": "s3.amazonaws.com",
        "names": [
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        ],
    },
    "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled": {
        "cis": "4.9",
        "source": "config.amazonaws.com",
        "names": [
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ],
    },
    "cloudwatch_log_metric_filter_security_group_changes": {
        "cis": "4.10",
        "names": [
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ],
    },
    "cloudwatch_changes_to_network_acls_alarm_configured": {
        "cis": "4.11",
        "names": [
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ],
    },
    "cloudwatch_changes_to_network_gateways_alarm_configured": {
        "cis": "4.12",
        "names": [
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ],
    },
    "cloudwatch_changes_to_network_route_tables_alarm_configured": {
        "cis": "4.13",
        "source": "ec2.amazonaws.com",
        "names": [
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ],
    },
    "cloudwatch_changes_to_vpcs_alarm_configured": {
        "cis": "4.14",
        "names": [
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ],
    },
    "cloudwatch_log_metric_filter_aws_organizations_changes": {
        "cis": "4.15",
        "source": "organizations.amazonaws.com",
        "names": [
            "AcceptHandshake",
            "AttachPolicy",
            "CancelHandshake",
            "CreateAccount",
            "CreateOrganization",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "EnableAllFeatures",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "DetachPolicy",
            "DisablePolicyType",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdateOrganizationalUnit",
            "UpdatePolicy",
        ],
    },
}

# CloudWatch Logs limits a filter pattern to 1024 characters.
MAX_PATTERN = 1024


def _clause(field, operator, value):
    """`$.field <operator> value`, with an optional quote before the value, as Prowler matches it."""
    op = r"\s*!=\s*" if operator == "!=" else r"\s*=\s*"
    return rf"\$\.{re.escape(field)}{op}.?{re.escape(value)}"


def missing_clauses(pattern, source=None, names=(), clauses=(), raw=()):
    """The required clauses `pattern` lacks; each event name must appear as a whole word."""
    wanted = []
    if source:
        wanted.append((f"$.eventSource = {source}", _clause("eventSource", "=", source)))
    wanted += [(f"$.eventName = {name}", _clause("eventName", "=", name) + r"\b") for name in names]
    wanted += [(f"$.{f} {op} {v}", _clause(f, op, v)) for f, op, v in clauses]
    wanted += [(regex, regex) for regex in raw]
    return [label for label, regex in wanted if not re.search(regex, pattern, flags=re.DOTALL)]


@pytest.mark.parametrize("check", sorted(PROWLER), ids=sorted(PROWLER))
def test_pattern_has_every_clause_prowler_requires(check):
    requirement = dict(PROWLER[check])
    cis = requirement.pop("cis")
    control = BY_CHECK[check]
    assert control["cis"] == cis
    assert missing_clauses(control["pattern"], **requirement) == []


def test_every_control_is_one_prowler_check_and_numbered_in_both_versions():
    assert sorted(BY_CHECK) == sorted(PROWLER)
    assert len(CONTROLS) == 15
    assert [control["cis"] for control in CONTROLS] == [f"4.{n}" for n in range(1, 16)]
    for control in CONTROLS:
        # v6.0/v7.0 moved Monitoring from section 4 to section 5 without renumbering the items.
        assert control["cis_v6"] == "5." + control["cis"].split(".")[1]


@pytest.mark.parametrize("control", CONTROLS, ids=[control["id"] for control in CONTROLS])
def test_pattern_is_a_valid_cloudwatch_pattern(control):
    pattern = control["pattern"]
    assert len(pattern) <= MAX_PATTERN
    assert pattern.startswith("{ ") and pattern.endswith(" }")
    depth = 0
    for char in pattern:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0, f"unbalanced parentheses in {control['id']}"
    assert depth == 0
    assert "\n" not in pattern and "  " not in pattern
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]+", control["metric"])


def test_ids_and_metrics_are_unique_and_no_filter_name_is_a_prefix_of_another():
    # Filters and alarms are looked up by name *prefix* (DescribeMetricFilters' filterNamePrefix, DescribeAlarms'
    # AlarmNamePrefix, as amazon.aws's info modules and the console do), so a name that starts another would make
    # a lookup of one control find two.
    ids = [control["id"] for control in CONTROLS]
    metrics = [control["metric"] for control in CONTROLS]
    assert len(set(ids)) == len(ids) and len(set(metrics)) == len(metrics)
    names = [f"trailguard-cis-{id_}" for id_ in ids] + ["trailguard-log-archive-tampering"]
    assert not [(a, b) for a in names for b in names if a != b and b.startswith(a)]


class TestTheCheckItself:
    """missing_clauses() must be able to fail, or the tests above prove nothing."""

    def test_a_missing_name_is_reported(self):
        pattern = BY_CHECK["cloudwatch_log_metric_filter_aws_organizations_changes"]["pattern"]
        broken = pattern.replace("($.eventName = CancelHandshake) || ", "")
        requirement = PROWLER["cloudwatch_log_metric_filter_aws_organizations_changes"]
        assert missing_clauses(broken, source=requirement["source"], names=requirement["names"]) == [
            "$.eventName = CancelHandshake"
        ]

    def test_a_longer_name_does_not_stand_for_a_shorter_one(self):
        pattern = "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRouteTable)) }"
        assert missing_clauses(pattern, source="ec2.amazonaws.com", names=["CreateRoute"]) == [
            "$.eventName = CreateRoute"
        ]

    def test_quotes_and_spacing_are_allowed(self):
        pattern = '{ ($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
        assert (
            missing_clauses(pattern, names=["ConsoleLogin"], clauses=[("additionalEventData.MFAUsed", "!=", "Yes")])
            == []
        )

    def test_a_wrong_operator_is_reported(self):
        pattern = '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed = "Yes") }'
        assert missing_clauses(pattern, clauses=[("additionalEventData.MFAUsed", "!=", "Yes")]) == [
            "$.additionalEventData.MFAUsed != Yes"
        ]
