"""Each role's `promises` entry point publishes what its main entry point makes, with the same settings.

The posture playbook checks the organization against these facts instead of working the names out again, so a
promise that drifted from the role would pass a broken set-up or fail a good one. The guardrails' SCP names and the
Athena table are rendered here with Ansible's templar from the roles' own files. The bucket's and the key's policy
Sids need the collection's filters, so those promises run in one ansible-playbook process (controller only, no AWS
call), which compares them with the policy documents the roles' vars/main.yml build for their main entry point.
"""

import json
import os
import subprocess
from itertools import product
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.template import trust_as_template
import emulator
from role_files import role_variables
from role_files import trusted

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
MGMT, AUDIT = "444455556666", "777788889999"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/acme-organization-trail"
LOG_GROUP = f"arn:aws:logs:us-east-1:{MGMT}:log-group:/aws/cloudtrail/acme-organization-trail"
BUCKET_SWITCHES = [
    "audit_bucket_member_read",
    "audit_bucket_deny_outside_organization",
    "audit_bucket_deny_insecure_transport",
    "audit_bucket_require_mfa_for_deletes",
    "audit_bucket_config_delivery",
]


def _tasks(role, tasks_file):
    return yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())


def _promised(role, **settings):
    """The facts the role's promises entry point sets, rendered with its defaults, vars and `settings`."""
    (task,) = _tasks(role, "promises.yml")
    facts = task["ansible.builtin.set_fact"]
    return Templar(loader=DataLoader(), variables=role_variables(role, **settings)).template(trusted(facts))


@pytest.mark.parametrize("deny_trail_tampering, protect_log_archive", list(product([True, False], repeat=2)))
def test_the_guardrails_promise_the_scps_their_main_tasks_make(deny_trail_tampering, protect_log_archive):
    settings = dict(
        guardrails_policy_name_prefix="acme-org",
        guardrails_targets=["ou-abcd-12345678", "/Workloads"],
        guardrails_deny_trail_tampering=deny_trail_tampering,
        guardrails_protect_log_archive=protect_log_archive,
    )
    # One scp_attach task makes both SCPs (its policies option); the names only: the contents need the filters.
    (task,) = [task for task in _tasks("guardrails", "main.yml") if "trailguard.cloudtrail.scp_attach" in task]
    args = task["trailguard.cloudtrail.scp_attach"]
    templar = Templar(
        loader=DataLoader(), variables=dict(role_variables("guardrails", **settings), **trusted(task["vars"]))
    )
    made = []
    if templar.template(trust_as_template("{{ " + task["when"] + " }}")):
        policies = args["policies"].strip().removeprefix("{{").removesuffix("}}")
        names = templar.template(trust_as_template("{{ (" + policies + ") | map(attribute='name') | list }}"))
        made = [{"name": name, "targets": templar.template(trusted(args["targets"]))} for name in names]
    promised = _promised("guardrails", **settings)["guardrails_promised_scps"]
    assert promised == made
    assert [scp["name"] for scp in promised] == [
        name
        for name, on in [
            ("acme-org-deny-cloudtrail-tampering", deny_trail_tampering),
            ("acme-org-protect-log-archive", protect_log_archive),
        ]
        if on
    ]


@pytest.mark.parametrize("settings", [{}, {"athena_name_prefix": "acme-org"}, {"athena_table_name": "trail_logs"}])
def test_the_athena_role_promises_the_table_its_main_tasks_make(settings):
    templar = Templar(loader=DataLoader(), variables=role_variables("athena", **settings))
    glue = next(task for task in _tasks("athena", "main.yml") if "trailguard.cloudtrail.glue_catalog_table" in task)
    args = glue["trailguard.cloudtrail.glue_catalog_table"]
    made = {"database": templar.template(trusted(args["database"])), "name": templar.template(trusted(args["name"]))}
    assert _promised("athena", **settings)["athena_promised_table"] == made


# The bucket's cases: every switch on, every switch off, and each switch off alone (a switch passed to the wrong
# parameter shows in one of them). The key's: with and without the log group and AWS Config.
BUCKET_CASES = (
    [dict.fromkeys(BUCKET_SWITCHES, True), dict.fromkeys(BUCKET_SWITCHES, False)]
    + [dict(dict.fromkeys(BUCKET_SWITCHES, True), **{name: False}) for name in BUCKET_SWITCHES]
    + [dict(dict.fromkeys(BUCKET_SWITCHES, False), **{name: True}) for name in BUCKET_SWITCHES]
)
KEY_CASES = [
    {"kms_key_cloudwatch_log_group_arn": log_group, "kms_key_config_delivery": config}
    for log_group, config in product([LOG_GROUP, ""], [True, False])
]

PLAYBOOK = """
- name: Each promise beside the policy its role's main entry point writes
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    audit_bucket_name: acme-cloudtrail
    audit_bucket_organization_id: o-abc123def4
    audit_bucket_management_account_id: "{mgmt}"
    audit_bucket_trail_arn: {trail}
    audit_bucket_account_id: "{audit}"
    audit_bucket_partition: aws
    kms_key_organization_id: o-abc123def4
    kms_key_management_account_id: "{mgmt}"
    kms_key_trail_arn: {trail}
    kms_key_account_id: "{audit}"
    kms_key_partition: aws
    kms_key_region: us-east-1
  tasks:
    - name: Each case of the bucket
      ansible.builtin.include_tasks: bucket_case.yml
      loop: "{{{{ bucket_cases }}}}"
      loop_control:
        loop_var: case
    - name: Each case of the key
      ansible.builtin.include_tasks: key_case.yml
      loop: "{{{{ key_cases }}}}"
      loop_control:
        loop_var: case
    - name: Write what was found
      ansible.builtin.copy:
        content: "{{{{ {{'bucket': bucket_found, 'key': key_found}} | to_json }}}}"
        dest: "{{{{ output }}}}"
        mode: "0644"
"""
BUCKET_CASE = """
- name: Set the case's switches
  ansible.builtin.set_fact:
{switches}
- name: Read the promise
  ansible.builtin.include_role:
    name: trailguard.cloudtrail.audit_bucket
    tasks_from: promises
    public: true
- name: Record the promise and the written policy's Sids
  ansible.builtin.set_fact:
    bucket_found: >-
      {{{{ bucket_found | default([]) + [{{'case': case, 'promised': audit_bucket_promised_policy_sids,
          'written': audit_bucket_policy_document.Statement | map(attribute='Sid') | list}}] }}}}
"""
KEY_CASE = """
- name: Set the case's settings
  ansible.builtin.set_fact:
    kms_key_cloudwatch_log_group_arn: "{{ case.kms_key_cloudwatch_log_group_arn }}"
    kms_key_config_delivery: "{{ case.kms_key_config_delivery }}"
- name: Read the promise
  ansible.builtin.include_role:
    name: trailguard.cloudtrail.kms_key
    tasks_from: promises
    public: true
- name: Record the promise and the written policy's Sids
  ansible.builtin.set_fact:
    key_found: >-
      {{ key_found | default([]) + [{'case': case, 'promised': kms_key_promised_policy_sids,
          'written': kms_key_document.Statement | map(attribute='Sid') | list}] }}
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    work = tmp_path_factory.mktemp("promises")
    (work / "promises.yml").write_text(PLAYBOOK.format(mgmt=MGMT, audit=AUDIT, trail=TRAIL))
    switches = "\n".join(f'    {name}: "{{{{ case.{name} }}}}"' for name in BUCKET_SWITCHES)
    (work / "bucket_case.yml").write_text(BUCKET_CASE.format(switches=switches))
    (work / "key_case.yml").write_text(KEY_CASE)
    (work / "vars.json").write_text(
        json.dumps({"bucket_cases": BUCKET_CASES, "key_cases": KEY_CASES, "output": str(work / "found.json")})
    )
    env = dict(os.environ, **emulator.ANSIBLE_SETTINGS)
    run = subprocess.run(
        [
            str(emulator.ANSIBLE_PLAYBOOK),
            "-i",
            "localhost,",
            str(work / "promises.yml"),
            "-e",
            f"@{work / 'vars.json'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    return json.loads((work / "found.json").read_text())


def test_the_bucket_promises_the_sids_of_the_policy_its_main_entry_point_writes(found):
    assert [item["case"] for item in found["bucket"]] == BUCKET_CASES
    for item in found["bucket"]:
        assert item["promised"] == item["written"], item["case"]
    # The cases differ: every switch reaches the policy.
    assert len({tuple(item["promised"]) for item in found["bucket"]}) == len(BUCKET_CASES)


def test_the_key_promises_the_sids_of_the_policy_its_main_entry_point_writes(found):
    assert [item["case"] for item in found["key"]] == KEY_CASES
    for item in found["key"]:
        assert item["promised"] == item["written"], item["case"]
    assert len({tuple(item["promised"]) for item in found["key"]}) == len(KEY_CASES)
