"""The deploy role's policy builders: its trust policy, the SCP statement that protects it, and its permissions,
rendered from the runner policies of docs/iam. What they allow and deny is tests/policy/test_deploy_role_effects.py."""

import json
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

REPO = Path(__file__).resolve().parents[4]
DOCS = REPO / "docs" / "iam"
# The deploy_role role's two policies: the files each is made of (roles/deploy_role/tasks/main.yml).
DEPLOY_POLICIES = {
    "TrailguardDeploy": ["log-archive.json", "deploy-role-log-archive.json"],
    "TrailguardDeploy-aws-config": ["aws-config.json", "aws-config-log-archive.json"],
}
# A customer managed policy holds at most 6,144 characters, whitespace not counted.
MANAGED_POLICY_QUOTA = 6144
OURS = dict(
    management_account_id="123456789012",
    log_archive_account_id="210987654321",
    prefix="corp-sec",
    region="eu-west-1",
    partition="aws-us-gov",
    deploy_role_name="LogArchiveDeploy",
)


def load(*names):
    return [json.loads((DOCS / name).read_text()) for name in names]


def test_the_deploy_role_role_reads_these_files():
    tasks = yaml.safe_load((REPO / "roles" / "deploy_role" / "tasks" / "main.yml").read_text())
    read = {
        task["amazon.aws.iam_managed_policy"]["name"]: re.findall(
            r"'/([a-z-]+\.json)'", task["amazon.aws.iam_managed_policy"]["policy"]
        )
        for task in tasks
        if "amazon.aws.iam_managed_policy" in task
    }
    assert read == {
        "{{ deploy_role_name }}": DEPLOY_POLICIES["TrailguardDeploy"],
        "{{ deploy_role_name }}-aws-config": DEPLOY_POLICIES["TrailguardDeploy-aws-config"],
    }


@pytest.mark.parametrize("name", DEPLOY_POLICIES)
def test_with_the_example_values_the_files_come_back_unchanged(name):
    documents = load(*DEPLOY_POLICIES[name])
    rendered = policies.runner_policy(documents, **policies.RUNNER_POLICY_EXAMPLE)
    assert rendered == {"Version": "2012-10-17", "Statement": [s for d in documents for s in d["Statement"]]}


@pytest.mark.parametrize("name", DEPLOY_POLICIES)
def test_every_example_value_is_replaced_and_the_policy_fits_a_managed_policy(name):
    rendered = policies.runner_policy(load(*DEPLOY_POLICIES[name]), **OURS)
    text = json.dumps(rendered)
    for example in ("111111111111", "222222222222", "acme-", "us-east-1", "arn:aws:", "TrailguardDeploy"):
        assert example not in text, f"{example} left in {name}"
    assert "arn:aws-us-gov:iam::210987654321:" in text
    assert len(re.sub(r"\s", "", json.dumps(rendered, separators=(",", ":")))) <= MANAGED_POLICY_QUOTA


def test_the_deploy_role_may_attach_only_its_own_policies():
    rendered = policies.runner_policy(load("deploy-role-log-archive.json"), **OURS)
    statements = {s["Sid"]: s for s in rendered["Statement"]}
    role = "arn:aws-us-gov:iam::210987654321:role/LogArchiveDeploy"
    own = "arn:aws-us-gov:iam::210987654321:policy/LogArchiveDeploy*"
    assert statements["DeployRoleGetsOnlyItsOwnPolicies"]["Resource"] == role
    assert statements["DeployRoleGetsOnlyItsOwnPolicies"]["Condition"] == {"ArnLike": {"iam:PolicyARN": own}}
    assert statements["DeployRole"]["Resource"] == role and statements["DeployRolePolicies"]["Resource"] == own
    for statement in rendered["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert all(action.startswith("iam:") for action in actions)


def test_documents_that_share_a_sid_are_refused():
    with pytest.raises(ValueError, match="share the Sids ReadTheAccount"):
        policies.runner_policy(load("log-archive.json", "aws-config.json"), **OURS)


def test_the_trust_policy():
    runner, user = "arn:aws:iam::123456789012:role/TrailguardRunner", "arn:aws:iam::123456789012:user/alice"
    assert policies.deploy_role_trust(runner) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrailguardDeployAssumeRole",
                "Effect": "Allow",
                "Principal": {"AWS": runner},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with_mfa = policies.deploy_role_trust([user, runner, runner], require_mfa=True)["Statement"][0]
    assert with_mfa["Principal"] == {"AWS": [runner, user]}
    assert with_mfa["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_the_scp_statement_protects_the_roles_for_all_but_the_exempt():
    scp = policies.scp_protect_log_archive("logs", "arn:aws:kms:us-east-1:210987654321:key/k")
    role = "arn:aws:iam::210987654321:role/TrailguardDeploy"
    protected = policies.scp_protect_roles(scp, [role, role], exempt_principal_arns=[role])
    assert protected["Statement"][:-1] == scp["Statement"] and scp == policies.scp_protect_log_archive(
        "logs", "arn:aws:kms:us-east-1:210987654321:key/k"
    )
    assert protected["Statement"][-1] == {
        "Sid": "TrailguardProtectDeployRole",
        "Effect": "Deny",
        "Action": policies.DEPLOY_ROLE_PROTECTED_ACTIONS,
        "Resource": role,
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": [role]}},
    }
    assert "iam:UpdateAssumeRolePolicy" in policies.DEPLOY_ROLE_PROTECTED_ACTIONS
    assert policies.scp_protect_roles(scp, []) == scp
