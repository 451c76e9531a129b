"""A run killed anywhere leaves nothing a re-run cannot finish (crash safety).

The playbook (reduced switches: no CIS monitoring, SIEM kit or access groups)
first runs once, untouched, on a fresh organization: its state is the
reference, and the callback tests/harness/callback/kill_after.py numbers its
tasks. A fresh emulator is then seeded the same way (the snapshots compare
account names, not their random IDs), and the playbook is
SIGKILLed, with its workers and module processes, at five points in turn, each
run picking up what the run before it left:

- inside amazon.aws.kms_key, right after CreateKey and before CreateAlias (the
  fault proxy kills the run when the emulator has answered CreateKey and
  before the module sees the answer);
- after the kms_key role's create task, before the bucket is encrypted with the key;
- inside s3_bucket_settings, right after the log bucket's PutBucketLogging
  (the buckets are made, encrypted and given their lifecycle rules, the log
  bucket's policy not yet set): the module sets both buckets in one call, so
  the kill is the proxy's, between two requests;
- inside org_trail, right after CreateTrail, before the trail's selectors are
  put and logging is started: org_trail does both in one module call, so the
  kill is the proxy's, between the two requests, not the callback's;
- inside scp_attach, right after CreatePolicy, before AttachPolicy.

Each run must get past the point where the one before it died, and the last
run must finish with the reference state: no orphan (such as a second KMS key
for the trail), no duplicate, nothing half set.
"""

import json
import re
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
import snapshot
from fault_proxy import FaultProxy
from support import MONITORING_OFF_ARGS
from support import ansible_env
from support import playbook
from support import write_inventory


from kill_after import kill_tree

KMS_CREATE_TASK = "Create or update the key, with rotation and the Trailguard key policy"
BUCKETS_TASK = (
    "Set up the log bucket and its access-log bucket - create them, lock down, encrypt, lifecycle, logging, policy"
)
GUARDRAILS_TASK = "Deny CloudTrail tampering in member accounts, and protect the log bucket and the trail key"
REQUEST_TASKS = {
    "kms:CreateKey": KMS_CREATE_TASK,
    "s3:PutBucketLogging": BUCKETS_TASK,
    "cloudtrail:CreateTrail": "Create or update the organization trail",
    "organizations:CreatePolicy": GUARDRAILS_TASK,
}
# (label, kill after this request ("service:Action") or this task (name, or "K:" + a task name whose number is K))
CRASHES = (
    ("inside kms_key, after CreateKey, before CreateAlias", "request", "kms:CreateKey"),
    ("after the KMS key's task, before the bucket's encryption", "task", KMS_CREATE_TASK),
    ("inside s3_bucket_settings, after the log bucket's logging, before its policy", "request", "s3:PutBucketLogging"),
    ("inside org_trail, after CreateTrail, before StartLogging", "request", "cloudtrail:CreateTrail"),
    ("inside scp_attach, after CreatePolicy, before AttachPolicy", "request", "organizations:CreatePolicy"),
)


def _kill_on(action, state_file):
    """A fault-proxy hook: SIGKILL the run when the emulator has answered `action`, before the module sees it."""
    killed = []

    def hook(record):
        if not killed and f"{record['service']}:{record['action']}" == action and record["status"] == 200:
            killed.append(action)
            kill_tree(int(state_file.read_text().splitlines()[0]))

    return hook


def _tasks(state_file):
    """[(number, name)] of the tasks the run started, from the callback's state file."""
    return [(int(n), name) for n, name in re.findall(r"^task (\d+): (.*)$", state_file.read_text(), re.M)]


@pytest.fixture(scope="module")
def crashes(tmp_path_factory):
    work = tmp_path_factory.mktemp("crash_safety")
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(variable, value)

            def run(name, inventory, kill_task="", hook=None):
                state_file = work / f"{name}.state"
                with FaultProxy(url, hook=hook(state_file) if hook else None) as proxy:
                    env = ansible_env(
                        proxy.url,
                        ANSIBLE_CALLBACK_PLUGINS=str(REPO / "tests" / "harness" / "callback"),
                        ANSIBLE_CALLBACKS_ENABLED="kill_after",
                        KILL_AFTER_TASK=kill_task,
                        KILL_AFTER_STATE=str(state_file),
                    )
                    result = playbook(
                        proxy.url, inventory, "org_cloudtrail.yml", *MONITORING_OFF_ARGS, env=env, check=False
                    )
                (work / f"{name}.log").write_text(result.stdout + result.stderr)
                return {"result": result, "tasks": _tasks(state_file), "state_file": state_file.read_text()}

            reference_run = run("reference", write_inventory(work / "reference", seed_org.seed(members=1)))
            assert reference_run["result"].returncode == 0, reference_run["result"].stdout[-5000:]
            reference = snapshot.normalize(snapshot.snapshot())
            # Task names as the callback sees them: "role : task". The first with a name is the one meant (the
            # preflight role runs some tasks of later roles in check mode; a kill there would prove nothing).
            numbers = {}
            for number, name in reference_run["tasks"]:
                numbers.setdefault(name.split(" : ", 1)[-1], number)

            # A fresh emulator rather than moto's reset, which reloads the AWS managed policies (slow on a busy machine).
            emulator.stop(state_dir)
            url = emulator.start(state_dir=state_dir)
            for variable, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(variable, value)
            inventory = write_inventory(work / "crashed", seed_org.seed(members=1))
            crashed = []
            for index, (label, how, where) in enumerate(CRASHES):
                if how == "request":
                    outcome = run(
                        f"crash-{index}", inventory, hook=lambda state_file, where=where: _kill_on(where, state_file)
                    )
                else:
                    kill_task = str(numbers[where]) if how == "K" else where
                    outcome = run(f"crash-{index}", inventory, kill_task=kill_task)
                outcome["label"] = label
                crashed.append(outcome)
            final = run("final", inventory)
            yield {
                "reference_run": reference_run,
                "reference": reference,
                "numbers": numbers,
                "crashed": crashed,
                "final": final,
                "state": snapshot.normalize(snapshot.snapshot()),
            }
    finally:
        emulator.stop(state_dir)


def test_each_run_was_killed_where_intended_and_got_further_than_the_last(crashes):
    assert crashes["reference_run"]["result"].returncode == 0, crashes["reference_run"]["result"].stdout[-5000:]
    numbers = crashes["numbers"]
    last = 0
    report = []
    for (label, how, where), outcome in zip(CRASHES, crashes["crashed"]):
        assert (
            outcome["result"].returncode == -signal.SIGKILL
        ), f"{label}: not killed\n{outcome['result'].stdout[-3000:]}"
        # The task running (request kills) or just completed (task kills) when the run died.
        number, name = outcome["tasks"][-1]
        if how == "request":
            assert name.endswith(REQUEST_TASKS[where]), f"{label}: killed in task {number}: {name}"
        else:
            assert name.endswith(where) and f"killed after task {number}: {name}" in outcome["state_file"]
        assert number >= last, f"{label}: the run died at task {number}, before the last one ({last})"
        last = number
        report.append(f"K={number} ({label})")
    print("\nkilled after: " + "; ".join(report) + f"; the reference run has {max(numbers.values())} tasks")


def test_a_rerun_after_the_crashes_converges_to_the_reference_state(crashes):
    final = crashes["final"]
    assert final["result"].returncode == 0, final["result"].stdout[-5000:]
    state, reference = crashes["state"], crashes["reference"]
    for name, account in state["accounts"].items():
        orphans = [key for key in account["customer_keys"] if not key["aliases"]]
        assert not orphans, f"KMS keys left without an alias in {name}: {json.dumps(orphans, indent=1)}"
    assert "(duplicate " not in json.dumps(state)
    assert state == reference
