"""The full playbook through injected AWS faults.

Two emulators, seeded the same way. On the first, a clean run of the full
playbook (through tools/fault_proxy.py with no faults, to count its requests) is
the reference. Before it, on the same still-untouched organization, two short
runs show that retries are bounded: kms:CreateKey throttled every time fails the
run after botocore's 3 attempts, and denied every time fails it after one, each
with a message that names the action. On the second emulator the full playbook
runs with 20% of all requests (reads and writes) answered with AWS throttling
errors, 500s, 503s or connection resets: it must converge, to the same state as
the clean run (tools/snapshot.py, normalised), with no duplicate key, bucket,
trail, policy or attachment.
"""

import json
import re
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
import snapshot
from fault_proxy import KINDS
from fault_proxy import FaultProxy
from support import MONITORING_OFF_ARGS
from support import playbook
from support import write_inventory

FAULT_RATE = 0.2
SEED = 6
MEMBERS = 2
# Calls that make something: each must succeed as often as in the clean run, or something was made twice.
CREATING = re.compile(r":(Create|Attach|Put(Metric|Rule|Targets|Role|Group)|Enable|Register|Subscribe)")


def _run(work, name, url, inventory, *args, **proxy_options):
    with FaultProxy(url, log_path=work / f"{name}.jsonl", **proxy_options) as proxy:
        started = time.monotonic()
        result = playbook(proxy.url, inventory, "org_cloudtrail.yml", *args, check=False)
        seconds = time.monotonic() - started
        (work / f"{name}.log").write_text(result.stdout + result.stderr)
        return {"result": result, "seconds": seconds, "counts": proxy.counts(), "requests": proxy.requests}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("faults")
    runs_by_name = {}
    for name in ("clean", "faulty"):
        state_dir = work / name
        url = emulator.start(state_dir=state_dir)
        try:
            with pytest.MonkeyPatch.context() as patch:
                for variable, value in emulator.emulator_env(url, base={}).items():
                    patch.setenv(variable, value)
                org = seed_org.seed(members=MEMBERS)
                inventory = write_inventory(work / f"{name}-inventory", org)
                if name == "clean":
                    runs_by_name["seeded"] = snapshot.normalize(snapshot.snapshot())
                    for kind in ("throttle", "denied"):
                        runs_by_name[f"{kind}-forever"] = _run(
                            work,
                            f"{kind}-forever",
                            url,
                            inventory,
                            *MONITORING_OFF_ARGS,
                            permanent="kms:CreateKey",
                            permanent_kind=kind,
                        )
                    runs_by_name["untouched"] = snapshot.normalize(snapshot.snapshot())
                options = {"fault_rate": FAULT_RATE, "seed": SEED} if name == "faulty" else {}
                runs_by_name[name] = _run(work, name, url, inventory, **options)
                runs_by_name[name]["state"] = snapshot.normalize(snapshot.snapshot())
        finally:
            emulator.stop(state_dir)
    yield runs_by_name


def _differences(before, after, path=""):
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            found += _differences(before.get(key), after.get(key), f"{path}/{key}")
        return found
    return [] if before == after else [f"{path}: {json.dumps(before)[:200]} != {json.dumps(after)[:200]}"]


def _successful_creates(run):
    names = (f"{r['service']}:{r['action']}" for r in run["requests"] if r["write"] and r["status"] == 200)
    creates = {}
    for name in names:
        if CREATING.search(name):
            creates[name] = creates.get(name, 0) + 1
    return creates


def test_the_full_playbook_converges_through_20_percent_faults(runs):
    clean, faulty = runs["clean"], runs["faulty"]
    assert clean["result"].returncode == 0, clean["result"].stdout[-5000:]
    assert faulty["result"].returncode == 0, faulty["result"].stdout[-8000:]
    counts = faulty["counts"]
    total = counts["reads"] + counts["writes"]
    injected = [record["injected"] for record in faulty["requests"] if record["injected"]]
    print(
        f"\nfault rate {FAULT_RATE}: {len(injected)} of {total} requests faulted and survived "
        f"({ {kind: injected.count(kind) for kind in KINDS} }); clean run {clean['seconds']:.0f} s and "
        f"{clean['counts']['reads'] + clean['counts']['writes']} requests, faulty run {faulty['seconds']:.0f} s"
    )
    assert 0.15 * total <= len(injected) <= 0.25 * total
    assert set(injected) == set(KINDS)
    # Reads and writes were both hit.
    assert {record["write"] for record in faulty["requests"] if record["injected"]} == {True, False}


def test_the_faulty_run_leaves_the_state_of_a_clean_run(runs):
    assert runs["clean"]["result"].returncode == 0 and runs["faulty"]["result"].returncode == 0
    clean, faulty = runs["clean"]["state"], runs["faulty"]["state"]
    assert clean["accounts"]["<account:audit>"]["buckets"], "the clean run built nothing?"
    differences = _differences(clean, faulty)
    assert not differences, "\n".join(differences[:30])


def test_nothing_was_made_twice(runs):
    assert runs["faulty"]["result"].returncode == 0
    clean_creates, faulty_creates = _successful_creates(runs["clean"]), _successful_creates(runs["faulty"])
    assert clean_creates.get("kms:CreateKey") and clean_creates.get("organizations:AttachPolicy")
    assert faulty_creates == clean_creates
    state = runs["faulty"]["state"]
    # Duplicates would show as "name (duplicate N)" keys, or as more than one key per alias.
    assert "(duplicate " not in json.dumps(state)
    for name, account in state["accounts"].items():
        keys = account["customer_keys"]
        assert all(len(key["aliases"]) == 1 for key in keys), f"a KMS key in {name} has no alias (an orphan): {keys}"
    management = state["accounts"]["<account:master>"]
    assert list(management["trails"]) == ["acme-organization-trail"]
    audit = state["accounts"]["<account:audit>"]
    assert sorted(audit["buckets"]) == ["acme-cloudtrail", "acme-cloudtrail-access-logs"]
    policies = state["organization"]["policies"]
    assert sorted(name for name in policies if name.startswith("trailguard")) == [
        "trailguard-deny-cloudtrail-tampering",
        "trailguard-protect-log-archive",
    ]
    assert all(policies[name]["targets"] == ["<root>"] for name in policies if name.startswith("trailguard"))


@pytest.mark.parametrize(
    "kind, attempts, code", [("throttle", 3, "ThrottlingException"), ("denied", 1, "AccessDeniedException")]
)
def test_retries_are_bounded_and_a_permanent_error_fails_clearly(runs, kind, attempts, code):
    run = runs[f"{kind}-forever"]
    output = run["result"].stdout + run["result"].stderr
    assert run["result"].returncode != 0
    # botocore's standard mode makes 3 attempts at a throttled call and amazon.aws's kms_key does not
    # retry CreateKey itself; an AccessDenied is never retried.
    assert run["counts"]["by_action"]["kms:CreateKey"] == attempts
    assert [f"{r['service']}:{r['action']}" for r in run["requests"] if r["write"]] == ["kms:CreateKey"] * attempts
    failure = re.search(r"^fatal: \[audit\]: FAILED! => .*$(\n^ .*$)*", output, re.M)
    assert failure, output[-5000:]
    assert "CreateKey" in failure.group(0) and code in failure.group(0)
    # Nothing was written: the organization is as seeded.
    assert runs["untouched"] == runs["seeded"]
