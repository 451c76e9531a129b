"""The benchmark's report from its figures: time targets by N, the ratio to the N=10 no-op, the growth to 10,000
accounts, the start-up steps and the optional accelerator's rows (benchmarks/bench.py)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

import bench


def _run(seconds, calls, rss=200.0, parts=None, name="noop"):
    parts = parts or {"inventory plugin": {"seconds": 1.5, "calls": 10, "writes": 0, "module_runs": 0}}
    return {
        "run": name,
        "load": 0.5,
        "returncode": 0,
        "seconds": seconds,
        "ansible_cpu_seconds": seconds,
        "emulator_cpu_seconds": 1.0,
        "peak_rss_mib": rss,
        "peak_pss_mib": rss,
        "peak_processes": 3,
        "emulator_peak_rss_mib": 100.0,
        "calls": calls,
        "reads": calls,
        "writes": 0,
        "by_action": {"cloudtrail:ListTrails": {"calls": calls, "write": False}},
        "changed": 0,
        "tasks_started": 1,
        "task_results": 1,
        "module_runs": 1,
        "member_tasks": 0,
        "member_task_results": 0,
        "member_task_max_results": 0,
        "member_tasks_per_account": [],
        "parts": parts,
        "tasks": [],
        "log": "x.log",
    }


def _case(config, members, runs):
    return {"config": config, "members": members, "accounts": members + 2, "runs": runs}


def _parts(legacy_seconds, legacy_calls, trail_seconds):
    return {
        "inventory plugin": {"seconds": 1.5, "calls": 10, "writes": 0, "module_runs": 0},
        "legacy_trails (members)": {"seconds": legacy_seconds, "calls": legacy_calls, "writes": 0, "module_runs": 1},
        # Organization-wide: the same calls at every N, so a change in its time is noise, not growth.
        "trail": {"seconds": trail_seconds, "calls": 20, "writes": 0, "module_runs": 5},
    }


def test_the_time_targets_are_judged_at_their_own_size():
    cases = [
        _case("default", 10, {"noop": _run(14.0, 100), "converge": _run(30.0, 120)}),
        _case("default", 500, {"noop": _run(31.0, 1100)}),
    ]
    targets = {target["title"]: target for target in bench.evaluate(cases)}
    assert targets["no-op re-run within 15 s at N=10"]["status"] == "met"
    assert targets["first converge within 25 s at N=10"]["status"] == "not met"
    assert targets["no-op re-run within 30 s at N=500"] == {
        "title": "no-op re-run within 30 s at N=500",
        "status": "not met",
        "detail": "31.0 s at N=500",
    }
    # Not measured at its size: n/a, with the figure at the nearest size measured.
    converge = targets["first converge within 45 s at N=500"]
    assert converge["status"] == "n/a" and "30.0 s at N=10" in converge["detail"]
    assert targets["check mode within 15 s at N=10"]["status"] == "n/a"


def test_the_accelerator_never_counts_for_the_default_targets():
    cases = [_case("default", 10, {"noop": _run(20.0, 100)}), _case("accelerated", 10, {"noop": _run(9.0, 100)})]
    targets = {target["title"]: target for target in bench.evaluate(cases)}
    assert targets["no-op re-run within 15 s at N=10"]["status"] == "not met"


def test_each_run_is_a_ratio_of_the_default_no_op_at_n10():
    cases = [
        _case("default", 10, {"noop": _run(20.0, 100)}),
        _case("accelerated", 10, {"noop": _run(8.0, 100)}),
        _case("default", 500, {"noop": _run(50.0, 1100)}),
    ]
    assert bench.baseline_seconds(cases) == 20.0
    markdown = bench.report(_results(cases))
    # CPU: the ansible-playbook tree's seconds (here the wall time) and the emulator's 1 s.
    assert "| default configuration | 10 | no-op re-run | 20.0 | x1.00 | x1.00 | 0.5 |" in markdown
    assert "| accelerated (Mitogen, mitogen_linear) | 10 | no-op re-run | 8.0 | x0.40 | x0.43 | 0.5 |" in markdown
    assert "| default configuration | 500 | no-op re-run | 50.0 | x2.50 | x2.43 |" in markdown
    assert bench.baseline_seconds([_case("default", 500, {"noop": _run(50.0, 1100)})]) is None


def _results(cases):
    return {
        "name": "t",
        "command": "bench.py",
        "started": "s",
        "finished": "f",
        "load_before": "1.0, 1.0, 1.0",
        "load_after": "1.0, 1.0, 1.0",
        "machine": {"cpu": "c", "cores": 2, "memory_gib": 1, "kernel": "k", "python": "3", "versions": {}},
        "extra": [],
        "work": "w",
        "cases": cases,
        "targets": bench.evaluate(cases),
    }


def test_per_account_costs_are_the_slope_of_the_two_largest_sizes_and_extrapolated():
    cases = [
        _case("default", 10, {"noop": _run(10.0, 100, rss=200.0, parts=_parts(1.0, 20, 3.0))}),
        _case("default", 500, {"noop": _run(30.0, 1100, rss=210.0, parts=_parts(11.0, 1000, 3.5))}),
        _case("default", 2000, {"noop": _run(90.0, 4100, rss=240.0, parts=_parts(51.0, 4000, 2.0))}),
    ]
    (noop,) = bench.per_account_growth(cases, target=10_000)
    assert noop["run"] == "noop" and noop["sizes"] == (500, 2000)
    assert noop["seconds"] == pytest.approx((0.04, 90.0 + 0.04 * 8000))
    assert noop["calls"] == pytest.approx((2.0, 4100 + 2.0 * 8000))
    assert noop["rss"] == pytest.approx((0.02, 240.0 + 0.02 * 8000))
    # The legacy-trail search grows (its calls do); the trail's time moved with the load alone.
    assert list(noop["parts"]) == ["legacy_trails (members)"]
    # CPU: the ansible-playbook tree's seconds (here the wall time) and the emulator's 1 s at each size.
    assert noop["cpu"] == pytest.approx((0.04, 91.0 + 0.04 * 8000))
    assert noop["parts"]["legacy_trails (members)"] == pytest.approx(
        (40.0 / 1500, 51.0 + 40.0 / 1500 * 8000, 2.0, 4000 + 2.0 * 8000)
    )
    section = "\n".join(bench.growth_section(cases))
    assert "| no-op re-run | 500 -> 2000 | 40.0 | 40.0 | 2.0 | 20.5 | 411 | 20,100 | 400 |" in section
    assert "| no-op re-run | legacy_trails (members) | 2.00 | 20,000 | 26.7 |" in section


def test_a_figure_that_shrinks_with_n_projects_no_growth():
    cases = [
        _case("default", 10, {"noop": _run(12.0, 100, parts=_parts(1.0, 20, 3.0))}),
        _case("default", 500, {"noop": _run(11.0, 1100, parts=_parts(0.5, 1000, 3.0))}),
    ]
    (noop,) = bench.per_account_growth(cases, target=10_000)
    assert noop["seconds"] == (0.0, 11.0)
    assert noop["parts"]["legacy_trails (members)"][:2] == (0.0, 0.5)


def test_growth_needs_two_sizes():
    assert not bench.per_account_growth([_case("default", 10, {"noop": _run(12.0, 100)})])
    assert "two sizes" in "\n".join(bench.growth_section([_case("default", 10, {"noop": _run(12.0, 100)})]))


def _probes(**cpu):
    return {name: (None if seconds is None else {"wall": seconds * 3, "cpu": seconds}) for name, seconds in cpu.items()}


def test_the_start_up_steps_are_differences_between_the_probes():
    probes = _probes(version=0.8, bare=2.0, callbacks=2.3, facts=3.5, inventory=1.9, parse=4.4)
    costs = bench.startup_costs(probes)
    assert list(costs.values()) == pytest.approx([0.8, 1.2, 0.3, 1.5, 1.1, 2.5])
    assert list(bench.startup_costs(probes, kind="wall").values()) == pytest.approx([2.4, 3.6, 0.9, 4.5, 3.3, 7.5])
    # A failed probe leaves the steps that need it unknown, and only those.
    costs = bench.startup_costs(dict(probes, inventory=None))
    assert costs["the inventory plugin listing the organization"] is None
    assert costs["parsing org_cloudtrail.yml, its roles and their argument specs"] is None
    assert costs["the benchmark's callbacks (profile_tasks, bench_timeline)"] == pytest.approx(0.3)


def test_the_start_up_section_sums_the_steps_and_shows_the_real_run():
    probes = _probes(version=0.8, bare=2.0, callbacks=2.3, facts=3.5, inventory=1.9, parse=4.4)
    case = _case("default", 10, {"noop": _run(20.0, 100)})
    case["startup"] = probes
    section = "\n".join(bench.startup_section([case, _case("accelerated", 10, {"noop": _run(8.0, 100)})]))
    assert "| Python and ansible-core's imports | 0.80 s |" in section
    # 0.8 + 1.2 + 0.3 + 1.1 + 2.5: every step but the facts no play gathers.
    assert "| the sum of these steps but facts | 5.90 s |" in section
    assert "| before the first task of the real no-op re-run (wall) | 1.50 s |" in section
    assert "the least of 3 runs of each probe" in section, "results from before --startup-repeat took three"
    case["startup_repeat"] = 1
    assert "), one run of each probe" in "\n".join(bench.startup_section([case]))
    assert bench.startup_section([_case("default", 10, {"noop": _run(20.0, 100)})]) == []


def test_without_mitogen_the_accelerated_rows_are_recorded_as_not_run(monkeypatch, tmp_path):
    def missing():
        raise ImportError("No module named 'ansible_mitogen'")

    monkeypatch.setattr(bench, "accelerator_env", missing)
    args = bench.parse_args(["--work", str(tmp_path), "--out", str(tmp_path)])
    case = bench.accelerated_case([], ["converge"], 10, args)
    assert case["runs"] == {} and "make setup-fast" in case["error"]
    assert f"mitogen {bench.pinned_accelerator()}" in case["error"]
    markdown = bench.report(_results([_case("default", 10, {"noop": _run(20.0, 100)}), case]))
    assert "| accelerated (Mitogen, mitogen_linear) | 10 | not run: mitogen is not installed" in markdown


def test_the_accelerator_is_the_pinned_mitogen_strategy():
    assert bench.pinned_accelerator() == "0.3.31"
    try:
        env = bench.accelerator_env()
    except ImportError:
        pytest.skip("mitogen is not installed (make setup-fast)")
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(env["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
