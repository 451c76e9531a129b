"""Roles given the account and partition read no identity, and use what they were given.

The main playbook passes `<role>_account_id` and `<role>_partition` (the trail role only its account ID), which the
inventory and the preflight role already know, so the roles skip amazon.aws.aws_caller_info; run on their own, they
read it. The templates are rendered here from the roles' own files with Ansible's templar: the caller task's
condition, and the derived values with the caller's result skipped (the playbook's case) or read (a role on its own).
"""

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"
GIVEN, READ = "222222222222", "999999999999"
SKIPPED = {"skipped": True, "changed": False}
CALLER = {"account": READ, "arn": f"arn:aws-cn:sts::{READ}:assumed-role/Runner/ci"}
# role: (the name its aws_caller_info result is registered as, its inputs)
ROLE_INPUTS = {
    "kms_key": ("kms_key_caller", ("kms_key_account_id", "kms_key_partition")),
    "audit_bucket": ("audit_bucket_caller", ("audit_bucket_account_id", "audit_bucket_partition")),
    "siem_kit": ("siem_kit_caller", ("siem_kit_account_id", "siem_kit_partition")),
    "access_groups": ("access_groups_caller", ("access_groups_account_id", "access_groups_partition")),
    "trail": ("trail_caller", ("trail_account_id",)),
}


def _render(value, variables):
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(value))


def _caller_task(role):
    tasks = yaml.safe_load((ROLES / role / "tasks" / "main.yml").read_text())
    return next(task for task in tasks if "amazon.aws.aws_caller_info" in task)


def _variables(role, **values):
    """The role's defaults and vars, templates trusted as Ansible trusts a role's own files, and `values`."""
    variables = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    variables.update(yaml.safe_load((ROLES / role / "vars" / "main.yml").read_text()))
    variables = {name: trust_as_template(v) if isinstance(v, str) else v for name, v in variables.items()}
    variables.update(values)
    return variables


@pytest.mark.parametrize("role", sorted(ROLE_INPUTS))
def test_the_identity_is_read_only_when_not_given(role):
    _result, inputs = ROLE_INPUTS[role]
    condition = "{{ " + _caller_task(role)["when"] + " }}"
    given = {name: GIVEN if name.endswith("account_id") else "aws" for name in inputs}
    assert _render(condition, _variables(role, **given)) is False
    assert _render(condition, _variables(role)) is True
    for name in inputs:
        # Either one missing: the role reads the identity.
        assert _render(condition, _variables(role, **dict(given, **{name: ""}))) is True


@pytest.mark.parametrize("role", sorted(ROLE_INPUTS))
def test_the_given_values_are_used_and_the_read_ones_otherwise(role):
    result, inputs = ROLE_INPUTS[role]
    given = {name: GIVEN if name.endswith("account_id") else "aws-us-gov" for name in inputs}
    account = f"{{{{ {role}_caller_account_id }}}}"
    assert _render(account, _variables(role, **given, **{result: SKIPPED})) == GIVEN
    assert _render(account, _variables(role, **{result: CALLER})) == READ
    if len(inputs) == 2:
        partition = f"{{{{ {role}_caller_partition }}}}"
        assert _render(partition, _variables(role, **given, **{result: SKIPPED})) == "aws-us-gov"
        assert _render(partition, _variables(role, **{result: CALLER})) == "aws-cn"
