"""The benchmark's smoke run: benchmarks/bench.py end to end at N=3, so that it cannot rot.

`make bench` is not part of `make test`; this is. It runs the benchmark's own
command line on a tiny organization (three members) in the default configuration
(CIS monitoring, SIEM kit and access groups on), the first converge and the no-op
re-run only, and checks every stage the full benchmark relies on: the fresh
emulator and seeding, the request counting through tools/fault_proxy.py, the
callback's timeline that puts each request in its role and counts the module
invocations, the memory sampling, the target evaluation (module invocations per
run at most 40), the Markdown table and the PNG plot.
"""

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 3


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    command = [
        sys.executable,
        str(REPO / "benchmarks" / "bench.py"),
        "--sizes",
        str(MEMBERS),
        "--runs",
        "converge,noop",
        "--one-region",
        "never",
        # One run of each start-up probe: the smoke checks that they run and are reported, not their least time.
        "--startup-repeat",
        "1",
        "--name",
        "smoke",
        "--out",
        str(out),
        "--work",
        str(out / "work"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False, timeout=1500)
    assert result.returncode == 0, f"bench.py failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return {
        "out": out,
        "stdout": result.stdout,
        "results": json.loads((out / "smoke.json").read_text()),
        "markdown": (out / "smoke.md").read_text(),
    }


def _runs(bench):
    (case,) = bench["results"]["cases"]
    assert case["members"] == MEMBERS and case["config"] == "default"
    return case["runs"]


def test_the_requests_are_counted_and_the_noop_rerun_writes_nothing(bench):
    runs = _runs(bench)
    converge, noop = runs["converge"], runs["noop"]
    assert converge["returncode"] == 0 and noop["returncode"] == 0
    # The first converge makes each resource once: the organization trail, and three keys (the trail's in the
    # log-archive account, whose calls the proxy sees through the assumed session too, the alarm topic's and the SIEM
    # queues'), each with its alias; the re-run only reads.
    assert converge["by_action"]["cloudtrail:CreateTrail"] == {"calls": 1, "write": True}
    for action in ("kms:CreateKey", "kms:CreateAlias"):
        assert converge["by_action"][action] == {"calls": 3, "write": True}, action
    assert converge["writes"] > 0
    assert noop["writes"] == 0
    assert not [action for action, entry in noop["by_action"].items() if entry["write"]]
    for run in (converge, noop):
        assert run["reads"] + run["writes"] == run["calls"] == sum(e["calls"] for e in run["by_action"].values())
        # One AssumeRole per member (legacy-trail search) at least, and ListTrails in each searched region.
        assert run["by_action"]["sts:AssumeRole"]["calls"] >= MEMBERS


def test_every_request_is_put_into_the_part_that_made_it(bench):
    for run in _runs(bench).values():
        parts = run["parts"]
        assert sum(part["calls"] for part in parts.values()) == run["calls"]
        assert sum(part["writes"] for part in parts.values()) == run["writes"]
        # The organizations inventory plugin lists the organization before the first task.
        assert parts["inventory plugin"]["calls"] > 0
        # Each member's role is assumed and its trails listed by the one batched task.
        legacy = parts["legacy_trails (members)"]
        assert legacy["calls"] >= MEMBERS * 2 and legacy["writes"] == 0
        assert parts["kms_key"]["calls"] > 0 and parts["trail"]["calls"] > 0
        (finder,) = [
            task
            for task in run["tasks"]
            if task["name"].endswith("Find the accounts' own trails, and stop or delete them where asked")
        ]
        assert finder["results"] == 1 and finder["calls"] >= MEMBERS * 2
    # The emulator and the playbook's processes were sampled.
    converge = _runs(bench)["converge"]
    assert converge["peak_rss_mib"] > 50 and converge["peak_processes"] >= 2
    assert converge["emulator_peak_rss_mib"] > 50


def test_module_invocations_are_counted_and_at_most_40_per_run(bench):
    for name, run in _runs(bench).items():
        tasks = run["tasks"]
        assert run["module_runs"] == sum(task["module_runs"] for task in tasks)
        assert run["module_runs"] == sum(part["module_runs"] for part in run["parts"].values())
        # Controller-side actions are not module invocations; a module task is one per run, or one per item.
        assert all(task["module_runs"] == 0 for task in tasks if task["action"] in ("set_fact", "assert", "debug"))
        # Both log buckets' settings are one module run; the athena role's results bucket (off here) runs none.
        bucket_runs = {task["part"]: task["module_runs"] for task in tasks if task["action"] == "s3_bucket_settings"}
        assert bucket_runs.pop("audit_bucket") == 1 and not any(bucket_runs.values()), bucket_runs
        listed = "\n".join(f"{task['module_runs']} {task['name']}" for task in tasks if task["module_runs"])
        assert run["module_runs"] <= 40, f"{name}: {run['module_runs']} module invocations:\n{listed}"
    target = next(t for t in bench["results"]["targets"] if t["title"].startswith("module invocations per run"))
    assert target["status"] == "met" and f"N={MEMBERS}: " in target["detail"]


def test_the_targets_are_evaluated(bench):
    targets = {target["title"]: target for target in bench["results"]["targets"]}
    noop = targets["no-op re-run makes zero write calls"]
    assert noop["status"] == "met" and noop["detail"].startswith(f"N={MEMBERS}: 0 writes")
    converge = targets["first converge within 45 s at N=500"]
    seconds = _runs(bench)["converge"]["seconds"]
    assert converge["status"] == "n/a" and f"{seconds} s at N={MEMBERS}" in converge["detail"]
    batched = next(target for title, target in targets.items() if title.startswith("per-account work is batched"))
    assert batched["status"] in ("met", "not met") and f"N={MEMBERS}: " in batched["detail"]
    assert targets["time grows less than linearly in N from N=100 to N=500"]["status"] == "n/a"


def test_the_table_and_the_plot_are_written(bench):
    markdown = bench["markdown"]
    runs = _runs(bench)
    for name, title in (("converge", "first converge"), ("noop", "no-op re-run")):
        row = f"| default configuration | {MEMBERS} | {title} | {runs[name]['seconds']:.1f} |"
        assert row in markdown
    assert "## Targets" in markdown and "| no-op re-run makes zero write calls | MET |" in markdown
    assert f"| {runs['noop']['task_results']} | {runs['noop']['module_runs']} |" in markdown
    assert "| cloudtrail:CreateTrail | W | 1 |" in markdown
    assert "load average" in markdown and "moto 5.2.5" in markdown
    png = (bench["out"] / "smoke.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 800 and height > 400


def test_every_start_up_probe_ran_once_and_is_reported(bench):
    (case,) = bench["results"]["cases"]
    assert case["startup_repeat"] == 1
    probes = case["startup"]
    assert sorted(probes) == ["bare", "callbacks", "facts", "inventory", "parse", "version"]
    assert all(probe and probe["cpu"] > 0 and probe["wall"] > 0 for probe in probes.values()), probes
    markdown = bench["markdown"]
    assert "## Before the first task" in markdown and "), one run of each probe" in markdown
    assert f"| Python and ansible-core's imports | {probes['version']['cpu']:.2f} s |" in markdown
