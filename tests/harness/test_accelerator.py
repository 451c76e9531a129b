"""The optional accelerator: the demo's organization under Mitogen's mitogen_linear strategy.

Mitogen (pinned in requirements-fast.txt, `make setup-fast`) is optional and never required; README.md shows how
to turn it on. This proves that what README.md shows works with the pinned ansible-core: the demo's organization
(three members in nested OUs, one with its own legacy trail, listed by inventory/organizations.yml, AWS Config and
Athena on) converges, a re-run changes nothing and writes nothing, and check mode changes and writes nothing, all
with the accelerator on. Every request goes through tools/fault_proxy.py (no faults), which counts the writes.
"""

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
from bench import accelerator_env
from bench import FAST_REQUIREMENTS
from bench import pinned_accelerator
from demo import DEMO_EXTRA_VARS
from fault_proxy import FaultProxy
from support import add_legacy_trail
from support import ansible_env
from support import playbook

INVENTORY = REPO / "inventory" / "organizations.yml"
TRAIL = "acme-organization-trail"
# ansible-core 2.19's warning for a strategy plugin outside ansible.builtin: proof that Mitogen's strategy ran.
THIRD_PARTY_STRATEGY = "Use of strategy plugins not included in ansible.builtin are deprecated"
TASK_RE = re.compile(r"^TASK \[(.+)\] \*+$")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def changed_tasks(output):
    """{task name} of every task a host reported changed on, from the default callback's output."""
    task, changed = None, set()
    for line in output.splitlines():
        header = TASK_RE.match(line)
        if header:
            task = header.group(1)
        elif line.startswith("changed: [") and task:
            changed.add(task)
    return changed


def installed_mitogen():
    try:
        return importlib.metadata.version("mitogen")
    except importlib.metadata.PackageNotFoundError:
        return None


@pytest.fixture(scope="module")
def accelerated(tmp_path_factory):
    # `make harness` installs it (setup-fast); run alone, the test installs the pinned version into this virtualenv.
    if installed_mitogen() != pinned_accelerator():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", FAST_REQUIREMENTS],
            check=True,
        )
        importlib.invalidate_caches()
    work = tmp_path_factory.mktemp("accelerator")
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        with pytest.MonkeyPatch.context() as patch, FaultProxy(url) as proxy:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            org = seed_org.seed(members=3, nested=True)
            add_legacy_trail(url, org["members"][0]["account_id"])
            env = ansible_env(proxy.url, **accelerator_env())
            runs = {}
            for step, args in (("converge", ()), ("noop", ()), ("check", ("--check",))):
                proxy.reset_counts()
                result = playbook(
                    proxy.url, INVENTORY, "org_cloudtrail.yml", *DEMO_EXTRA_VARS, *args, env=env, check=False
                )
                output = result.stdout + result.stderr
                (work / f"{step}.log").write_text(output)
                runs[step] = {
                    "returncode": result.returncode,
                    "output": output,
                    "recap": {host: (int(c), int(u), int(f)) for host, c, u, f in RECAP_RE.findall(output)},
                    "writes": sorted({f"{r['service']}:{r['action']}" for r in proxy.requests if r["write"]}),
                    "changed_tasks": changed_tasks(output),
                }
            trails = boto3.client("cloudtrail", endpoint_url=url, region_name=emulator.DEFAULT_REGION)
            runs["trail"] = trails.get_trail(Name=TRAIL)["Trail"]
            runs["logging"] = trails.get_trail_status(Name=TRAIL)["IsLogging"]
            runs["org"] = org
            yield runs
    finally:
        emulator.stop(state_dir)


def _ran_clean(run):
    assert run["returncode"] == 0, run["output"][-6000:]
    # The strategy was Mitogen's, not ansible.builtin.linear: ansible-core says so once per run.
    assert THIRD_PARTY_STRATEGY in run["output"]
    assert run["recap"] and all(u == 0 and f == 0 for _c, u, f in run["recap"].values()), run["recap"]


def test_the_pinned_mitogen_is_the_one_installed(accelerated):
    assert accelerated["converge"]["returncode"] is not None
    assert installed_mitogen() == pinned_accelerator()


def test_the_demo_organization_converges_under_the_accelerator(accelerated):
    converge = accelerated["converge"]
    _ran_clean(converge)
    assert "cloudtrail:CreateTrail" in converge["writes"] and "kms:CreateKey" in converge["writes"]
    assert sum(c for c, _u, _f in converge["recap"].values()) > 0 and converge["changed_tasks"]
    trail = accelerated["trail"]
    assert trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert accelerated["logging"] is True
    # Every account of the organization was a host: the management, log-archive and member accounts.
    assert len(converge["recap"]) >= 2


def test_a_rerun_under_the_accelerator_changes_and_writes_nothing(accelerated):
    noop = accelerated["noop"]
    _ran_clean(noop)
    assert {host: c for host, (c, _u, _f) in noop["recap"].items() if c} == {}
    assert not noop["changed_tasks"]
    assert noop["writes"] == []


def test_check_mode_under_the_accelerator_writes_nothing_and_changes_nothing(accelerated):
    check = accelerated["check"]
    _ran_clean(check)
    assert not check["changed_tasks"], check["changed_tasks"]
    assert check["writes"] == []
