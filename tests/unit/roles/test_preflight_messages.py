"""The preflight role's error when the guardrails cannot be applied: it names the setting behind the module's error.

scp_attach names the entry of its `policies` option and the SCP; the preflight role's rescue task turns that into
the playbook's settings (guardrails_targets, guardrails_exempt_principal_arns), rendered here as Ansible would.
"""

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from role_files import trusted

TASKS = Path(__file__).resolve().parents[3] / "roles" / "preflight" / "tasks" / "management.yml"


def guardrails_error(module_message):
    """The message of the preflight's rescue task for a failed guardrails dry run with `module_message`."""
    block = next(task for task in yaml.safe_load(TASKS.read_text()) if task["name"] == "Check the guardrails")
    (rescue,) = block["rescue"]
    variables = dict(trusted(rescue["vars"]), ansible_failed_result={"msg": module_message})
    message = Templar(loader=DataLoader(), variables=variables).template(trusted(rescue["ansible.builtin.fail"]["msg"]))
    return " ".join(message.split())  # the folded YAML keeps a line break before its more-indented line


@pytest.mark.parametrize("name", ["trailguard-protect-log-archive", "odd)name(x"])
def test_an_scp_too_long_names_the_scp_and_the_setting(name):
    message = guardrails_error(
        f"policies[1].content ({name}) is 6000 characters long without whitespace; the AWS limit for a policy is 5120"
    )
    assert message.startswith(
        f"The SCP {name}, built from guardrails_exempt_principal_arns (trailguard_break_glass_arns and the role this "
        "playbook assumes in the log-archive account), is 6000 characters long without whitespace; "
        "the AWS limit for a policy is 5120. Every guardrails_targets entry"
    )


def test_a_target_names_the_setting():
    message = guardrails_error("targets[1]: OU path '/Nowhere' does not exist")
    assert message.startswith("guardrails_targets[1]: OU path '/Nowhere' does not exist. Every guardrails_targets")
