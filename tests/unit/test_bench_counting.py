"""How the benchmark counts module invocations: the timeline callback's runs per result, and bench.read_timeline.

A task result that ran a module counts once, each loop item that was not skipped once, each `until` attempt once;
Ansible's controller-side actions (set_fact, assert, debug ...) never count.
"""

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

import bench


def _callback():
    spec = importlib.util.spec_from_file_location(
        "bench_timeline", REPO / "benchmarks" / "callback_plugins" / "bench_timeline.py"
    )
    callback = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(callback)
    return callback


RUNS = _callback()._runs  # pylint: disable=protected-access


def test_a_result_counts_its_loop_items_and_until_attempts():
    assert RUNS({"changed": False}, "ok") == 1
    assert RUNS({"skipped": True}, "skipped") == 0
    assert RUNS({"attempts": 4}, "failed") == 4
    loop = {"results": [{"changed": True}, {"skipped": True}, {"attempts": 2}], "changed": True}
    assert RUNS(loop, "ok") == 3
    assert RUNS({"results": [{"skipped": True}], "skipped": True}, "skipped") == 0


def test_read_timeline_counts_module_runs_but_not_controller_actions(tmp_path):
    events = [
        {"event": "play", "hosts": "management", "name": "p", "t": 0.0},
        {"event": "task", "name": "r : Record", "role": "r", "action": "ansible.builtin.set_fact", "t": 1.0},
        {"event": "result", "status": "ok", "host": "m", "changed": False, "runs": 1, "t": 1.1},
        {"event": "task", "name": "r : Loop", "role": "r", "action": "amazon.aws.iam_policy", "t": 2.0},
        {"event": "result", "status": "ok", "host": "m", "changed": True, "runs": 2, "t": 2.1},
        {"event": "task", "name": "r : Skipped", "role": "r", "action": "amazon.aws.iam_role", "t": 3.0},
        {"event": "result", "status": "skipped", "host": "m", "changed": False, "runs": 0, "t": 3.1},
        {"event": "play", "hosts": "management:log_archive:members", "name": "q", "t": 4.0},
        {"event": "task", "name": "Find", "role": None, "action": "trailguard.cloudtrail.account_trails", "t": 4.0},
        {"event": "result", "status": "ok", "host": "m", "changed": False, "runs": 1, "t": 4.1},
        {"event": "end", "t": 5.0},
    ]
    path = tmp_path / "timeline.jsonl"
    path.write_text("\n".join(json.dumps(event) for event in events))
    tasks, end = bench.read_timeline(path)
    assert end == 5.0
    assert [task["module_runs"] for task in tasks] == [0, 2, 0, 1]
    parts = bench.attribute(tasks, end, [], started=0.0)
    assert parts["r"]["module_runs"] == 2 and parts["account_trails (members)"]["module_runs"] == 1
