"""Every ARN the preflight and account_session roles build is in the caller's partition.

GovCloud (aws-us-gov) and China (aws-cn) ARNs differ from the commercial ones only in their second field, and a
wrong one fails late: CloudTrail's aws:SourceArn conditions never match, and AssumeRole refuses a role ARN of
another partition. The templates are rendered here from the roles' own task files, with Ansible's templar and the
values organization_info returns in each partition, so a hard-coded `arn:aws:` shows.
"""

import re
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"
MANAGEMENT, LOG_ARCHIVE, MEMBER = "111111111111", "222222222222", "333333333333"
PARTITIONS = [("aws", "us-east-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")]


def _task(role, tasks_file, name):
    tasks = yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())
    return next(task for task in tasks if task["name"].startswith(name))


def _render(value, variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(value) if isinstance(value, str) else value)


def _preflight_facts(
    partition, region, trailguard_deploy_role_name="", preflight_deploy_role_session=None, **log_archive
):
    task = _task("preflight", "organization.yml", "Derive the values the next plays are given")
    variables = {
        # What organization_info returns for a runner in that partition.
        "preflight_organization": {
            "caller_account_id": MANAGEMENT,
            "caller_arn": f"arn:{partition}:sts::{MANAGEMENT}:assumed-role/TrailguardRunner/ci",
            "partition": partition,
            "organization": {"id": "o-exampleorgid"},
        },
        "preflight_log_archive": {"account_id": LOG_ARCHIVE, **log_archive},
        "trailguard_region": region,
        "trailguard_assume_role_name": "OrganizationAccountAccessRole",
        "trailguard_break_glass_arns": [],
        "trail_name": "acme-organization-trail",
        "trail_log_group_name": "/aws/cloudtrail/acme-organization-trail",
        "trailguard_deploy_role_name": trailguard_deploy_role_name,
        # The preflight's AssumeRole of the deploy role: sts_creds when it succeeded.
        "preflight_deploy_role_session": preflight_deploy_role_session or {"skipped": True},
    }
    # The roles the log-archive plays may assume are named first, then the values derived from them.
    roles = _task("preflight", "organization.yml", "Name the roles the playbook may assume")["ansible.builtin.set_fact"]
    variables.update({name: _render(value, variables) for name, value in roles.items()})
    return {name: _render(value, variables) for name, value in task["ansible.builtin.set_fact"].items()}


@pytest.mark.parametrize("partition, region", PARTITIONS)
def test_preflight_builds_every_arn_in_the_callers_partition(partition, region):
    facts = _preflight_facts(partition, region)

    assert facts["preflight_partition"] == partition
    # The trail ARN is the aws:SourceArn of the bucket and key policies' CloudTrail statements.
    assert facts["preflight_trail_arn"] == (
        f"arn:{partition}:cloudtrail:{region}:{MANAGEMENT}:trail/acme-organization-trail"
    )
    assert facts["preflight_log_group_arn"] == (
        f"arn:{partition}:logs:{region}:{MANAGEMENT}:log-group:/aws/cloudtrail/acme-organization-trail"
    )
    assert facts["preflight_exempt_principal_arns"] == [
        f"arn:{partition}:iam::{LOG_ARCHIVE}:role/OrganizationAccountAccessRole"
    ]
    assert facts["preflight_kms_key_arn"] == f"arn:{partition}:kms:{region}:{LOG_ARCHIVE}:key/preflight-placeholder"
    assert facts["preflight_log_archive_role_arn"] == facts["preflight_exempt_principal_arns"][0]


@pytest.mark.parametrize("partition, region", PARTITIONS)
def test_preflight_builds_the_deploy_role_arn_in_the_callers_partition(partition, region):
    deploy = f"arn:{partition}:iam::{LOG_ARCHIVE}:role/TrailguardDeploy"
    broad = f"arn:{partition}:iam::{LOG_ARCHIVE}:role/OrganizationAccountAccessRole"
    # The run that creates the deploy role: it works as the broad role, and both are exempt.
    creating = _preflight_facts(partition, region, trailguard_deploy_role_name="TrailguardDeploy")
    assert creating["preflight_exempt_principal_arns"] == [broad, deploy]
    assert creating["preflight_log_archive_role_arn"] == broad
    # Once preflight could assume it: only the deploy role, which the log-archive plays assume.
    ready = _preflight_facts(
        partition,
        region,
        trailguard_deploy_role_name="TrailguardDeploy",
        preflight_deploy_role_session={"sts_creds": {"access_key": "x"}},
    )
    assert ready["preflight_exempt_principal_arns"] == [deploy]
    assert ready["preflight_log_archive_role_arn"] == deploy


def test_preflight_keeps_a_given_role_arn():
    role = f"arn:aws-us-gov:iam::{LOG_ARCHIVE}:role/Automation"
    facts = _preflight_facts("aws-us-gov", "us-gov-west-1", assume_role_arn=role)
    assert facts["preflight_exempt_principal_arns"] == [role]


@pytest.mark.parametrize("partition, region", PARTITIONS)
def test_account_session_assumes_the_role_in_the_callers_partition(partition, region):
    task = _task("account_session", "main.yml", "Assume the role in account")
    variables = {
        "account_session_account_id": MEMBER,
        "account_session_role_name": "OrganizationAccountAccessRole",
        "account_session_role_arn": "",
        "account_session_partition": partition,
        "account_session_credentials": {},
    }
    role_arn = _render(task["trailguard.cloudtrail.credentials_file"]["role_arn"], variables)
    assert role_arn == f"arn:{partition}:iam::{MEMBER}:role/OrganizationAccountAccessRole"


@pytest.mark.parametrize(
    "partition, valid", [("aws", True), ("aws-us-gov", True), ("aws-cn", True), ("AWS", False), ("", False)]
)
def test_account_session_checks_the_partition(partition, valid):
    checks = _task("account_session", "main.yml", "Check the account IDs, the partition")["vars"]
    check = next(check for check in checks["account_session_checks"] if "account_session_partition" in check["ok"])
    assert _render(check["ok"], {"account_session_partition": partition}) is valid


# Every `match` test on an ARN in the roles' tasks, as written there (both the test and the filter form).
ARN_MATCH_RE = re.compile(r"""match(?:\(|', )'(\^\(?arn:[^']*)'""")


def _arn_regexes():
    found = []
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        where = path.relative_to(ROLES).as_posix()
        regexes = ARN_MATCH_RE.findall(path.read_text())
        found += [pytest.param(where, regex, id=f"{where}-{n}") for n, regex in enumerate(regexes)]
    return found


def test_the_arn_checks_are_found():
    # The common ARN checks are the collection's Jinja2 tests (tests/unit/plugins/test checks them in every partition).
    assert len(_arn_regexes()) >= 8


@pytest.mark.parametrize("where, regex", _arn_regexes())
def test_every_arn_check_accepts_every_partition(where, regex):
    # The partition is the ARN's second field: what the check allows there must match aws-us-gov and aws-cn too.
    partition = regex.split("arn:", 1)[1].split(":", 1)[0]
    for name, _region in PARTITIONS:
        assert re.fullmatch(partition.replace("\\\\", "\\"), name), f"{where}: {regex} refuses partition {name}"


@pytest.mark.parametrize("region", [region for _partition, region in PARTITIONS])
def test_preflight_accepts_the_region_of_every_partition(region):
    checks = _task("preflight", "main.yml", "Check the accounts, the roles assumed")["vars"]["preflight_checks"]
    check = next(check for check in checks if "trailguard_region is match" in check["ok"])
    assert _render(check["ok"], {"trailguard_region": region}) is True
