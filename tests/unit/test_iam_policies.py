"""The runner policies in docs/iam/: valid, linted by parliament, read-only where promised, documented.

That they are also enough for a whole playbook run is tests/harness/test_runner_policies.py.
"""

import json
import re
from pathlib import Path

import parliament
import pytest

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "docs" / "iam"
README = (POLICIES / "README.md").read_text()
FILES = sorted(POLICIES.glob("*.json"))

# The example inventory's values stand in for the reader's own; README.md says what replaces each.
PLACEHOLDERS = ("111111111111", "222222222222", "acme", "us-east-1", "OrganizationAccountAccessRole")
ACCOUNTS = {"111111111111", "222222222222", "*", "aws", ""}
REGIONS = {"us-east-1", "*", ""}
# A customer managed policy holds at most 6,144 characters, whitespace not counted.
MANAGED_POLICY_QUOTA = 6144

# parliament reports a principal that may set a bucket's policy or lifecycle but not read, write or delete its
# objects (it could grant itself that access). log-archive.json grants the object actions explicitly, only with
# MFA (statement LogObjectsOnlyWithMFA): without it, these are the findings.
ESCALATIONS = {
    f"Possible resource policy privilege escalation on arn:aws:s3:::{bucket} due to s3:{obj} not being allowed, "
    f"but does allow s3:{bucket_action}"
    for bucket in ("acme-cloudtrail", "acme-cloudtrail-access-logs")
    for bucket_action, obj in (
        ("PutBucketPolicy", "PutObject"),
        ("PutBucketPolicy", "GetObject"),
        ("PutBucketPolicy", "DeleteObject"),
        ("PutLifecycleConfiguration", "DeleteObject"),
    )
}


def findings(text):
    return {(finding.issue, str(finding.detail)) for finding in parliament.analyze_policy_string(text).findings}


def actions(policy):
    return {
        action
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }


def resources(policy):
    return [
        resource
        for statement in policy["Statement"]
        for resource in ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])
    ]


def access_level(action):
    prefix, name = action.split(":")
    service = next(service for service in parliament.iam_definition if service["prefix"] == prefix)
    return next(privilege["access_level"] for privilege in service["privileges"] if privilege["privilege"] == name)


def load(name):
    return json.loads((POLICIES / name).read_text())


def test_the_expected_files_are_there():
    assert [path.name for path in FILES] == [
        "athena-log-archive.json",
        "aws-config-log-archive.json",
        "aws-config-management.json",
        "aws-config.json",
        "cloudtrail-delegated-admin.json",
        "deploy-role-log-archive.json",
        "deploy-role-management.json",
        "log-archive.json",
        "management.json",
        "member-legacy-trail-actions.json",
        "member.json",
        "tamper-alerts-management.json",
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_policy_is_valid_allow_only_and_tidy(path):
    policy = json.loads(path.read_text())
    assert set(policy) == {"Version", "Statement"} and policy["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch("[A-Za-z0-9]+", sid) for sid in sids)
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        listed = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert listed == sorted(set(listed)), f"{statement['Sid']}: list the actions once each, sorted"
    assert len(re.sub(r"\s", "", path.read_text())) <= MANAGED_POLICY_QUOTA


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_parliament_finds_nothing(path):
    assert findings(path.read_text()) == set()


def test_the_mfa_object_statement_is_what_answers_the_escalation_findings():
    policy = json.loads((POLICIES / "log-archive.json").read_text())
    policy["Statement"] = [item for item in policy["Statement"] if item["Sid"] != "LogObjectsOnlyWithMFA"]
    assert findings(json.dumps(policy)) == {("RESOURCE_POLICY_PRIVILEGE_ESCALATION", detail) for detail in ESCALATIONS}
    statement = next(
        item
        for item in json.loads((POLICIES / "log-archive.json").read_text())["Statement"]
        if item["Sid"] == "LogObjectsOnlyWithMFA"
    )
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_parliament_reports_what_it_is_relied_on_for():
    def issues(**statement):
        text = json.dumps({"Version": "2012-10-17", "Statement": [dict({"Effect": "Allow"}, **statement)]})
        return {issue for issue, _detail in findings(text)}

    assert issues(Action="cloudtrail:CreateTrails", Resource="*") == {"UNKNOWN_ACTION"}
    assert issues(Action="kms:PutKeyPolicy", Resource="*") == {"RESOURCE_STAR"}
    assert issues(Action="s3:GetBucketPolicy", Resource="arn:aws:s3:::bucket/*") == {"RESOURCE_MISMATCH"}
    wrong_key = {"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}}
    assert issues(Action="organizations:EnableAWSServiceAccess", Resource="*", Condition=wrong_key) == {
        "UNKNOWN_CONDITION_FOR_ACTION"
    }
    assert issues(Action="s3:PutBucketPolicy", Resource="arn:aws:s3:::bucket") == {
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION"
    }
    assert {issue for issue, _detail in findings("{not json")} == {"MALFORMED_JSON"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_resources_use_only_the_documented_placeholders(path):
    for resource in resources(json.loads(path.read_text())):
        if resource == "*":
            continue
        parts = resource.split(":", 5)
        assert parts[:2] == ["arn", "aws"] and len(parts) == 6, resource
        assert parts[3] in REGIONS and parts[4] in ACCOUNTS, resource
    for placeholder in PLACEHOLDERS:
        assert f"`{placeholder}`" in README, f"README.md must say what replaces {placeholder}"


def test_the_member_role_is_read_only_unless_legacy_trail_actions_are_on():
    assert {action: access_level(action) for action in actions(load("member.json"))} == {
        "cloudtrail:GetEventSelectors": "Read",
        "cloudtrail:GetTrail": "Read",
        "cloudtrail:GetTrailStatus": "Read",
        "cloudtrail:ListTrails": "List",
    }
    assert actions(load("member-legacy-trail-actions.json")) == {"cloudtrail:DeleteTrail", "cloudtrail:StopLogging"}


def test_no_policy_can_stop_or_delete_the_organization_trail():
    for path in FILES:
        if path.name != "member-legacy-trail-actions.json":
            assert not actions(json.loads(path.read_text())) & {"cloudtrail:DeleteTrail", "cloudtrail:StopLogging"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_readme_gives_each_files_action_count(path):
    row = re.search(rf"^\| \[`{re.escape(path.name)}`\]\({re.escape(path.name)}\) \|.*\| (\d+) \|$", README, re.M)
    assert row, f"README.md's table has no row for {path.name}"
    assert int(row.group(1)) == len(actions(json.loads(path.read_text())))


def test_registering_a_cloudtrail_delegated_administrator_needs_only_what_the_guide_lists():
    """CloudTrail User Guide, "Required permissions to assign a delegated administrator", less the deregistration
    (Trailguard never deregisters) and what management.json already grants (ListAWSServiceAccessForOrganization,
    iam:GetRole); each action limited to CloudTrail."""
    policy = load("cloudtrail-delegated-admin.json")
    assert actions(policy) == {
        "cloudtrail:RegisterOrganizationDelegatedAdmin",
        "organizations:RegisterDelegatedAdministrator",
        "iam:CreateServiceLinkedRole",
    }
    conditions = {statement["Sid"]: statement.get("Condition") for statement in policy["Statement"]}
    assert conditions["CloudTrailRegistersItWithOrganizations"] == {
        "StringEquals": {"organizations:ServicePrincipal": "cloudtrail.amazonaws.com"}
    }
    assert conditions["CloudTrailServiceLinkedRoleOnly"] == {
        "StringEquals": {"iam:AWSServiceName": "cloudtrail.amazonaws.com"}
    }
    assert {"organizations:ListAWSServiceAccessForOrganization", "iam:GetRole"} <= actions(load("management.json"))


def test_the_log_archive_recorder_role_may_get_only_its_delivery_policy():
    statement = next(
        item for item in load("aws-config-log-archive.json")["Statement"] if "iam:PutRolePolicy" in item["Action"]
    )
    assert statement["Resource"] == "arn:aws:iam::222222222222:role/TrailguardConfigRecorder"
