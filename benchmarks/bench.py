"""Trailguard's benchmark: the playbooks against the local emulator, for organizations of N member accounts.

    make bench          # N = 10, 100, 500, 2000; accelerated at 10, 500 (benchmarks/results/benchmark.md and .png)
    make bench-quick    # N = 10 only (benchmarks/results/quick.md and .png)
    python benchmarks/bench.py --sizes 10,100 --runs converge,noop --name mine

For each N, a fresh emulator (tools/emulator.py) is seeded with an organization
of N members in nested OUs plus the log-archive account (tools/seed_org.py; the
seeding is not measured), and these runs follow, listed by the dynamic inventory
inventory/organizations.yml with the example group_vars (CIS monitoring, SIEM kit
and the management account's access groups on, AWS Config off):

    converge  playbooks/org_cloudtrail.yml, the first full run
    noop      the same again, which must change nothing
    check     the same with --check
    posture   playbooks/posture.yml, the posture report

Every AWS request goes through tools/fault_proxy.py (no faults) and is counted by
service and action, read or write. Each run's wall time is measured, and the
peak memory of the whole ansible-playbook process tree (the sum of the RSS of
the controller and its forks, sampled every 0.2 s from /proc), and the
emulator's own peak RSS apart. A callback (callback_plugins/bench_timeline.py)
records when each task started, so each request is put into the task, and so
the role, that made it; ansible.posix.profile_tasks is on too, its table is at
the end of each run's log. The callback also says how many times each task's
action ran (loop items, `until` attempts): the task results whose action is a
module, not one of Ansible's controller-side actions (CONTROLLER_ACTIONS), are
the run's module invocations, each an AnsiballZ process costing ~0.3 to 0.6 s.

Each run's wall time is also given as a ratio to the default no-op re-run at N=10, next to the
machine's load average as it started. Before the runs of each default N, start-up probes time
what a run pays before its first task (imports, collection loader, callbacks, facts, the
inventory plugin); from the two largest N, the per-account costs are extrapolated to 10,000
accounts. Sizes above 500 have no time target: they are reported only.

Variants, each on fresh emulators and clearly labelled in the results:
  --accelerated-sizes 10,500       the same runs with the optional accelerator, Mitogen's mitogen_linear
        strategy (requirements-fast.txt); they count for no target, and their failures are recorded, not fatal
  --one-region auto|always|never   the first converge and no-op re-run again at the largest N, with
        trailguard_legacy_trails_regions: [us-east-1] (auto: when the legacy-trail search takes a third
        or more of the no-op re-run at the largest N)
  --member-groups-sizes 10,50      the first converge (and, with --member-groups-runs 2, the no-op
        re-run) with trailguard_access_groups_in_members on, at these sizes

Writes <out>/<name>.md (tables, the targets met or not, where the time goes),
<out>/<name>.png (time and calls against N) and <out>/<name>.json (every
figure); each run's log and timeline stay in <work>. Exits non-zero when a
playbook run failed (a missed target is reported, not an error).
`--report-only <out>/<name>.json` writes the .md and .png again from the figures (also from the
<name>.partial.json that an interrupted run leaves).
"""

import argparse
import bisect
import datetime
import importlib.metadata
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "tools"))

import emulator  # noqa: E402  pylint: disable=wrong-import-position
import seed_org  # noqa: E402  pylint: disable=wrong-import-position
from emulator import ANSIBLE_PLAYBOOK  # noqa: E402  pylint: disable=wrong-import-position
from emulator import ansible_env  # noqa: E402  pylint: disable=wrong-import-position
from fault_proxy import FaultProxy  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = REPO / "playbooks" / "org_cloudtrail.yml"
POSTURE = REPO / "playbooks" / "posture.yml"
INVENTORY = REPO / "inventory" / "organizations.yml"

RUN_ORDER = ("converge", "noop", "check", "posture")
RUN_TITLES = {
    "converge": "first converge",
    "noop": "no-op re-run",
    "check": "check mode",
    "posture": "posture report",
}
TARGET_N = 500
# Wall-time targets by organization size and run, in the default configuration (no accelerator).
TIME_TARGETS = {
    10: {"noop": 15, "check": 15, "converge": 25},
    500: {"noop": 30, "check": 30, "converge": 45, "posture": 10},
}
# Sizes above TARGET_N are measured and reported (time, calls, peak memory) with no target of their own.
PROJECT_TO_N = 10_000
MEMORY_TARGET_MIB = 1024
SAMPLE_SECONDS = 0.2
# The organization-wide work: the log-archive account's session, key, bucket and SIEM kit, the trail, the
# alarms, the management account's access groups and the SCPs. The same roles in the member plays are per account.
ORG_WIDE_ROLES = (
    "account_session",
    "kms_key",
    "audit_bucket",
    "siem_kit",
    "trail",
    "cis_monitoring",
    "access_groups",
    "guardrails",
)
# Actions that run on the controller alone (Ansible's action plugins that never start a module): they cost a
# few hundredths of a second. Every other task result ran a module (an AnsiballZ process, ~0.3 to 0.6 s), once
# per loop item and per `until` attempt: those are the run's module invocations.
CONTROLLER_ACTIONS = frozenset(
    (
        "add_host",
        "assert",
        "debug",
        "fact_diff",
        "fail",
        "group_by",
        "import_role",
        "import_tasks",
        "include_role",
        "include_tasks",
        "include_vars",
        "meta",
        "pause",
        "set_fact",
        "set_stats",
        "validate_argument_spec",
    )
)
MODULE_TARGET = 40
MEMBER_SUFFIX = " (members)"
INVENTORY_PART = "inventory plugin"
DOMINATES = 1 / 3
ONE_REGION = ("-e", '{"trailguard_legacy_trails_regions": ["us-east-1"]}')
MEMBER_GROUPS = ("-e", "trailguard_access_groups_in_members=true")
FAST_REQUIREMENTS = REPO / "requirements-fast.txt"


def accelerator_env():
    """The environment that turns on the optional accelerator (Mitogen's mitogen_linear strategy), as README.md
    shows; raises ImportError when mitogen is not installed (`make setup-fast`)."""
    import ansible_mitogen  # pylint: disable=import-outside-toplevel

    strategies = Path(ansible_mitogen.__file__).resolve().parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_STRATEGY_PLUGINS": str(strategies)}


def pinned_accelerator():
    """The mitogen version requirements-fast.txt pins."""
    for line in FAST_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("mitogen=="):
            return line.split("==", 1)[1].strip()
    raise ValueError(f"{FAST_REQUIREMENTS} pins no mitogen version")


# ---------------------------------------------------------------- measuring one run


def _tree(pid):
    """pid and every process below it (children of any of its threads)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    todo.extend(int(child) for child in children.read().split())
        except OSError:
            continue  # it ended meanwhile
    return found


def _rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _pss_bytes(pid):
    """Proportional set size: each shared page split among the processes that share it."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak of the summed RSS (and PSS) of a process tree, and of one other process (the emulator), every 0.2 s."""

    def __init__(self, root_pid, other_pid=None):
        super().__init__(daemon=True)
        self.root_pid, self.other_pid = root_pid, other_pid
        self.peak_tree = self.peak_tree_pss = self.peak_other = 0
        self.peak_processes = 0
        self._done = threading.Event()

    def sample(self):
        pids = _tree(self.root_pid)
        self.peak_tree = max(self.peak_tree, sum(_rss_bytes(pid) for pid in pids))
        self.peak_tree_pss = max(self.peak_tree_pss, sum(_pss_bytes(pid) for pid in pids))
        self.peak_processes = max(self.peak_processes, len(pids))
        if self.other_pid:
            self.peak_other = max(self.peak_other, _rss_bytes(self.other_pid))

    def run(self):
        while not self._done.is_set():
            self.sample()
            self._done.wait(SAMPLE_SECONDS)

    def finish(self):
        self._done.set()
        self.join()


class RequestClock:
    """The proxy's hook: when each request was answered (time.monotonic, as in the callback's timeline)."""

    def __init__(self):
        self.requests = []
        self._lock = threading.Lock()

    def __call__(self, record):
        with self._lock:
            self.requests.append((time.monotonic(), f"{record['service']}:{record['action']}", record["write"]))

    def take(self):
        with self._lock:
            taken, self.requests = self.requests, []
        return sorted(taken)


def read_timeline(path):
    """The callback's events: tasks (with their results) in order, and the end time."""
    tasks, end = [], None
    current_play_hosts = None
    if not path.exists():
        return tasks, end
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["event"] == "play":
            current_play_hosts = event["hosts"]
        elif event["event"] == "task":
            action = event["action"].rsplit(".", 1)[-1]
            # The member-account plays (the legacy-trail search covers every account, members included).
            members = "members" in current_play_hosts.split(":")
            part = (event["role"] or action) + (MEMBER_SUFFIX if members else "")
            tasks.append(
                dict(
                    name=event["name"],
                    role=event["role"],
                    part=part,
                    action=action,
                    members=members,
                    start=event["t"],
                    results=0,
                    module_runs=0,
                    changed=0,
                    failed=0,
                )
            )
        elif event["event"] == "result" and tasks:
            tasks[-1]["results"] += 1
            if tasks[-1]["action"] not in CONTROLLER_ACTIONS:
                tasks[-1]["module_runs"] += event.get("runs", int(event["status"] != "skipped"))
            tasks[-1]["changed"] += int(event["changed"])
            tasks[-1]["failed"] += int(event["status"] in ("failed", "unreachable"))
        elif event["event"] == "end":
            end = event["t"]
    return tasks, end


def attribute(tasks, end, requests, started):
    """Each task's seconds and API calls; requests before the first task are the inventory plugin's."""
    starts = [task["start"] for task in tasks]
    for index, task in enumerate(tasks):
        following = tasks[index + 1]["start"] if index + 1 < len(tasks) else (end or task["start"])
        task.update(seconds=round(following - task["start"], 3), calls=0, writes=0)
    parts = {
        INVENTORY_PART: {
            "seconds": round((starts[0] if starts else started) - started, 3),
            "calls": 0,
            "writes": 0,
            "module_runs": 0,
        }
    }
    for task in tasks:
        part = parts.setdefault(task["part"], {"seconds": 0.0, "calls": 0, "writes": 0, "module_runs": 0})
        part["seconds"] = round(part["seconds"] + task["seconds"], 3)
        part["module_runs"] += task["module_runs"]
    for moment, _name, write in requests:
        index = bisect.bisect_right(starts, moment) - 1
        target = parts[INVENTORY_PART] if index < 0 else tasks[index]
        target["calls"] += 1
        target["writes"] += int(write)
        if index >= 0:
            parts[tasks[index]["part"]]["calls"] += 1
            parts[tasks[index]["part"]]["writes"] += int(write)
    return parts


def run_playbook(name, playbook, args, proxy, clock, work, emulator_pid, timeout, extra_env=None):
    """One ansible-playbook run through the proxy: its time, memory, API calls and per-task timeline."""
    log_path, timeline_path = work / f"{name}.log", work / f"{name}.timeline.jsonl"
    timeline_path.unlink(missing_ok=True)
    env = ansible_env(
        proxy.url,
        ANSIBLE_CALLBACK_PLUGINS=str(BENCH_DIR / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks,bench_timeline",
        PROFILE_TASKS_TASK_OUTPUT_LIMIT="25",
        TRAILGUARD_BENCH_TIMELINE=str(timeline_path),
        **(extra_env or {}),
    )
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY), str(playbook), *args]
    proxy.reset_counts()
    clock.take()
    load = round(os.getloadavg()[0], 1)
    # CPU: the finished ansible-playbook tree (the controller reaps its forks, we reap the controller) and the emulator.
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    emulator_before = _cpu_seconds(emulator_pid)
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        started = time.monotonic()
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO
        )
        sampler = MemorySampler(process.pid, emulator_pid)
        sampler.start()
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
            log.write(f"\nbench: killed after {timeout} s\n")
        seconds = time.monotonic() - started
        sampler.finish()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ansible_cpu = sum(getattr(children_after, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime"))
    emulator_cpu = _cpu_seconds(emulator_pid) - emulator_before
    counts, records, requests = proxy.counts(), proxy.requests, clock.take()
    by_action = {}
    for record in records:
        entry = by_action.setdefault(f"{record['service']}:{record['action']}", {"calls": 0, "write": record["write"]})
        entry["calls"] += 1
    tasks, end = read_timeline(timeline_path)
    parts = attribute(tasks, end, requests, started)
    member_tasks = [task for task in tasks if task["members"]]
    return {
        "run": name,
        "load": load,
        "returncode": returncode,
        "seconds": round(seconds, 2),
        "ansible_cpu_seconds": round(ansible_cpu, 1),
        "emulator_cpu_seconds": round(emulator_cpu, 1),
        "peak_rss_mib": round(sampler.peak_tree / 2**20, 1),
        "peak_pss_mib": round(sampler.peak_tree_pss / 2**20, 1),
        "peak_processes": sampler.peak_processes,
        "emulator_peak_rss_mib": round(sampler.peak_other / 2**20, 1),
        "calls": counts["reads"] + counts["writes"],
        "reads": counts["reads"],
        "writes": counts["writes"],
        "by_action": dict(sorted(by_action.items())),
        "changed": sum(task["changed"] for task in tasks),
        "tasks_started": len(tasks),
        "task_results": sum(task["results"] for task in tasks),
        "module_runs": sum(task["module_runs"] for task in tasks),
        "member_tasks": len(member_tasks),
        "member_task_results": sum(task["results"] for task in member_tasks),
        "member_task_max_results": max((task["results"] for task in member_tasks), default=0),
        "member_tasks_per_account": [
            [task["part"], task["name"].split(" : ", 1)[-1]] for task in member_tasks if task["results"] > 1
        ],
        "parts": parts,
        "tasks": tasks,
        "log": str(log_path),
    }


# ---------------------------------------------------------------- start-up, before the first task

# One task that starts no module, on localhost: what every ansible-playbook run pays before its first task.
STARTUP_PLAYBOOK = """- name: Start-up only
  hosts: localhost
  connection: local
  gather_facts: {facts}
  tasks:
    - name: Nothing
      ansible.builtin.meta: noop
"""
BENCH_CALLBACKS = "ansible.posix.profile_tasks,bench_timeline"
STARTUP_REPEAT = 3


def _timed(command, env, cwd, repeat=STARTUP_REPEAT):
    """The least wall and CPU seconds (user + system, the process and its children) of `repeat` runs of a command;
    None if it failed. CPU seconds hardly grow with the machine's load; wall seconds do."""
    best = None
    for _attempt in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            return None
        cpu = sum(getattr(after, field) - getattr(before, field) for field in ("ru_utime", "ru_stime"))
        best = {
            "wall": round(min(wall, (best or {}).get("wall", math.inf)), 2),
            "cpu": round(min(cpu, (best or {}).get("cpu", math.inf)), 2),
        }
    return best


def measure_startup(url, work, repeat=STARTUP_REPEAT):
    """Each start-up probe against the emulator at url: {probe: {"wall": s, "cpu": s}}, the least of `repeat` runs.

    version    `ansible-playbook --version`: Python and ansible-core's imports
    bare       a one-task playbook (`meta: noop`) on localhost, no callbacks: the executor and collection loader
    callbacks  the same with the benchmark's callbacks
    facts      the same with gather_facts: true
    inventory  `ansible-inventory --list` of inventory/organizations.yml: the inventory plugin
    parse      `ansible-playbook --list-tasks` of org_cloudtrail.yml with that inventory: the inventory and the
               playbook, its roles and their argument specs parsed, no task run
    """
    bin_dir = ANSIBLE_PLAYBOOK.parent
    playbooks = {}
    for facts in ("false", "true"):
        playbooks[facts] = work / f"startup-facts-{facts}.yml"
        playbooks[facts].write_text(STARTUP_PLAYBOOK.format(facts=facts), encoding="utf-8")
    bare = ansible_env(url, ANSIBLE_LOCALHOST_WARNING="false")
    bare.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # ansible.cfg enables none
    bench_callbacks = dict(
        bare,
        ANSIBLE_CALLBACK_PLUGINS=str(BENCH_DIR / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED=BENCH_CALLBACKS,
        TRAILGUARD_BENCH_TIMELINE=str(work / "startup.timeline.jsonl"),
    )
    local = ["-i", "localhost,"]
    commands = {
        "version": ([str(ANSIBLE_PLAYBOOK), "--version"], bare),
        "bare": ([str(ANSIBLE_PLAYBOOK), *local, str(playbooks["false"])], bare),
        "callbacks": ([str(ANSIBLE_PLAYBOOK), *local, str(playbooks["false"])], bench_callbacks),
        "facts": ([str(ANSIBLE_PLAYBOOK), *local, str(playbooks["true"])], bare),
        "inventory": ([str(bin_dir / "ansible-inventory"), "-i", str(INVENTORY), "--list"], bare),
        "parse": ([str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY), str(PLAYBOOK), "--list-tasks"], bare),
    }
    return {key: _timed(command, env, REPO, repeat) for key, (command, env) in commands.items()}


STARTUP_STEPS = (
    ("Python and ansible-core's imports", "version", None),
    ("the playbook executor and the collection loader", "bare", "version"),
    ("the benchmark's callbacks (profile_tasks, bench_timeline)", "callbacks", "bare"),
    ("fact gathering, for each play that gathers (no play of org_cloudtrail.yml does)", "facts", "bare"),
    ("the inventory plugin listing the organization", "inventory", "version"),
    ("parsing org_cloudtrail.yml, its roles and their argument specs", "parse", "inventory"),
)


def startup_costs(probes, kind="cpu"):
    """What each start-up step adds ({step: seconds or None}), from the probes' `kind` (cpu or wall) seconds."""

    def seconds(probe):
        entry = probes.get(probe)
        return entry.get(kind) if isinstance(entry, dict) else None

    costs = {}
    for step, probe, base in STARTUP_STEPS:
        total, less = seconds(probe), (seconds(base) if base else 0.0)
        costs[step] = None if total is None or less is None else round(total - less, 2)
    return costs


# ---------------------------------------------------------------- one organization size


def seed(url, members):
    """Seed the organization straight into the emulator (not through the proxy: seeding is not measured)."""
    saved = dict(os.environ)
    os.environ.update(emulator.emulator_env(url, base={}))
    try:
        return seed_org.seed(members=members, nested=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stop_emulator(state_dir):
    # tools/emulator.py's stop() sends SIGKILL after 5 s, and raises if the emulator ended just then (slow exits
    # happen on a loaded machine): it is stopped either way.
    try:
        emulator.stop(state_dir)
    except ProcessLookupError:
        pass


class EmulatorWatchdog(threading.Thread):
    """Stops the emulator when its RSS passes a limit, so that a runaway emulator cannot take a shared machine down."""

    def __init__(self, pid, state_dir, limit_bytes):
        super().__init__(daemon=True)
        self.pid, self.state_dir, self.limit = pid, state_dir, limit_bytes
        self.tripped = None
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(0.5):
            rss = _rss_bytes(self.pid)
            if rss > self.limit:
                self.tripped = rss
                stop_emulator(self.state_dir)
                return

    def finish(self):
        self._done.set()
        self.join()


def run_case(config, members, work_root, timeout, emulator_limit_gib):
    """A fresh emulator and proxy, an organization of `members` members, and the config's runs in order."""
    work = work_root / f"{config['key']}-n{members}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir, timeout=60)
    case = {"config": config["key"], "members": members, "accounts": members + 2, "runs": {}}
    emulator_pid = json.loads((state_dir / "emulator.json").read_text())["pid"]
    watchdog = EmulatorWatchdog(emulator_pid, state_dir, emulator_limit_gib * 2**30)
    watchdog.start()
    try:
        started = time.monotonic()
        try:
            org = seed(url, members)
        except Exception as error:  # pylint: disable=broad-exception-caught
            case["error"] = f"seeding failed: {error}"
            if watchdog.tripped:
                case["error"] = (
                    f"the emulator passed {emulator_limit_gib} GiB of memory while seeding {members} members and was "
                    "stopped; see benchmarks/README.md (moto's cost per account)"
                )
            print(f"  N={members}: {case['error']}", flush=True)
            return case
        case["seed_seconds"] = round(time.monotonic() - started, 1)
        print(f"  N={members}: seeded {len(org['members'])} members in {case['seed_seconds']} s", flush=True)
        if config.get("startup"):
            case["startup"] = measure_startup(url, work, config["startup_repeat"])
            case["startup_repeat"] = config["startup_repeat"]
            print(f"  N={members} start-up probes (s): {case['startup']}", flush=True)
        clock = RequestClock()
        with FaultProxy(url, fault_rate=0.0, hook=clock) as proxy:
            for name in config["runs"]:
                playbook = POSTURE if name == "posture" else PLAYBOOK
                args = list(config["extra"])
                if name == "check":
                    args.append("--check")
                if name == "posture":
                    args += ["-e", f"posture_output_dir={work / 'posture-report'}"]
                result = run_playbook(
                    name, playbook, args, proxy, clock, work, emulator_pid, timeout, config.get("env")
                )
                case["runs"][name] = result
                print(
                    f"  N={members} {name}: {result['seconds']} s (CPU {result['ansible_cpu_seconds']} s ansible, "
                    f"{result['emulator_cpu_seconds']} s emulator), {result['calls']} calls "
                    f"({result['writes']} writes), changed={result['changed']}, "
                    f"peak {result['peak_rss_mib']} MiB (emulator {result['emulator_peak_rss_mib']} MiB), "
                    f"rc={result['returncode']}",
                    flush=True,
                )
                if result["returncode"] != 0:
                    if watchdog.tripped:
                        case["error"] = f"the emulator passed {emulator_limit_gib} GiB of memory and was stopped"
                    print(f"  N={members} {name} FAILED: see {result['log']}; the later runs are skipped", flush=True)
                    break
    finally:
        watchdog.finish()
        stop_emulator(state_dir)
    return case


# ---------------------------------------------------------------- targets


def _runs(cases, config, name):
    """{N: run} of one config and run name, for the runs that completed."""
    return {
        case["members"]: case["runs"][name]
        for case in cases
        if case["config"] == config and name in case["runs"] and case["runs"][name]["returncode"] == 0
    }


def per_account_growth(cases, config="default", target=PROJECT_TO_N):
    """Per-account costs from the two largest sizes measured, and each extrapolated linearly to `target` accounts.

    [{run, sizes, seconds/cpu/calls/rss: (per account, at target),
      parts: {part: (seconds per account, seconds at target, calls per account, calls at target)}}]
    for each run measured at two sizes or more; a part is listed when its API calls grow with N.
    """
    growth = []
    for name in RUN_ORDER:
        runs = _runs(cases, config, name)
        if len(runs) < 2:
            continue
        small, large = sorted(runs)[-2:]
        a, b = runs[small], runs[large]

        def slope(figure, first=a, second=b, lo=small, hi=large):
            per_account = max(0.0, (figure(second) - figure(first)) / (hi - lo))  # a shrinking figure is noise
            return per_account, figure(second) + per_account * (target - hi)

        parts = {}
        for part in sorted(set(a["parts"]) & set(b["parts"])):
            # A part grows with N when its API calls do; the others' differences in time are the machine's noise.
            if b["parts"][part]["calls"] <= a["parts"][part]["calls"]:
                continue
            per_account = max(0.0, (b["parts"][part]["seconds"] - a["parts"][part]["seconds"]) / (large - small))
            calls = (b["parts"][part]["calls"] - a["parts"][part]["calls"]) / (large - small)
            parts[part] = (
                per_account,
                b["parts"][part]["seconds"] + per_account * (target - large),
                calls,
                b["parts"][part]["calls"] + calls * (target - large),
            )
        growth.append(
            {
                "run": name,
                "sizes": (small, large),
                "seconds": slope(lambda run: run["seconds"]),
                "cpu": slope(_cpu),
                "calls": slope(lambda run: run["calls"]),
                "rss": slope(lambda run: run["peak_rss_mib"]),
                "parts": dict(sorted(parts.items(), key=lambda item: -item[1][0])),
            }
        )
    return growth


def growth_section(cases, target=PROJECT_TO_N):
    """The report's "growing to 10,000 accounts" section: the measured per-account slopes, extrapolated."""
    growth = per_account_growth(cases, target=target)
    out = ["", f"## Growing to {target:,} accounts", ""]
    if not growth:
        return out + ["Needs the default configuration at two sizes or more."]
    out.append(
        "Each run's cost per member account is the slope between the two largest sizes measured (default "
        f"configuration), extrapolated linearly to N={target:,}. CPU seconds (ansible-playbook tree and emulator) "
        "hardly depend on the machine's load, so their slope is the one to read; on an idle machine a run's wall time "
        "is close to its CPU seconds (one module runs at a time). The wall seconds' slope is given too, at the loads "
        "measured. This is the emulator's cost: on AWS each call also waits on the network (tens of milliseconds) and "
        "on AWS's request rates, so the per-account seconds there are larger, and the call counts the same."
    )
    out.append("")
    rows = []
    for entry in growth:
        small, large = entry["sizes"]
        rows.append(
            [
                RUN_TITLES[entry["run"]],
                f"{small} -> {large}",
                f"{entry['cpu'][0] * 1000:.1f}",
                f"{entry['seconds'][0] * 1000:.1f}",
                f"{entry['calls'][0]:.1f}",
                f"{entry['rss'][0] * 1024:.1f}",
                f"{entry['cpu'][1]:.0f}",
                f"{entry['calls'][1]:,.0f}",
                f"{entry['rss'][1]:.0f}",
            ]
        )
    out.append(
        _table(
            [
                "run",
                "N measured",
                "CPU ms per account",
                "wall ms per account",
                "API calls per account",
                "peak RSS KiB per account",
                f"CPU s at N={target:,}",
                f"API calls at N={target:,}",
                f"peak RSS MiB at N={target:,}",
            ],
            rows,
        )
    )
    out += ["", "The parts whose API calls grow with N (wall seconds, at the loads measured):", ""]
    out.append(
        _table(
            ["run", "part", "API calls per account", f"API calls at N={target:,}", "wall ms per account"],
            [
                [RUN_TITLES[entry["run"]], part, f"{calls:.2f}", f"{total:,.0f}", f"{per_account * 1000:.1f}"]
                for entry in growth
                for part, (per_account, _projected, calls, total) in entry["parts"].items()
            ],
        )
    )
    return out


def startup_section(cases):
    """The report's "before the first task" section, from the start-up probes of the default configuration."""
    measured = sorted(
        (case for case in cases if case["config"] == "default" and case.get("startup")), key=lambda c: c["members"]
    )
    if not measured:
        return []
    out = ["", "## Before the first task", ""]
    # Results written before --startup-repeat existed took the least of three runs.
    repeats = sorted({case.get("startup_repeat", 3) for case in measured})
    runs = "one run" if repeats == [1] else f"the least of {' or '.join(map(str, repeats))} runs"
    out.append(
        "What an `ansible-playbook` run pays before its first task, in CPU seconds (user + system of the probe's "
        f"processes; they hardly grow with the machine's load, wall seconds do), {runs} of each probe "
        "(`measure_startup` in bench.py): each step is one probe less the one before it. The last row is the wall "
        "time the no-op re-run itself spent before its first task (its `inventory plugin` part), at the load it ran."
    )
    out.append("")
    sizes = [case["members"] for case in measured]
    rows = {}
    for case in measured:
        costs = startup_costs(case["startup"])
        for step, seconds in costs.items():
            rows.setdefault(step, {})[case["members"]] = seconds
        rows.setdefault("the sum of these steps but facts", {})[case["members"]] = (
            None if None in costs.values() else round(sum(costs.values()) - costs[STARTUP_STEPS[3][0]], 2)
        )
        same = [c for c in cases if c["config"] == "default" and c["members"] == case["members"] and c["runs"]]
        noop = same[0]["runs"].get("noop") if same else None
        rows.setdefault("before the first task of the real no-op re-run (wall)", {})[case["members"]] = (
            noop["parts"][INVENTORY_PART]["seconds"] if noop else None
        )
    out.append(
        _table(
            ["step"] + [f"N={n}" for n in sizes],
            [
                [step] + ["-" if by_n.get(n) is None else f"{by_n[n]:.2f} s" for n in sizes]
                for step, by_n in rows.items()
            ],
        )
    )
    return out


def _cpu(run):
    return run["ansible_cpu_seconds"] + run["emulator_cpu_seconds"]


def baseline_seconds(cases):
    """The default configuration's no-op re-run at N=10: the unit of the table's ratio column (None if not run)."""
    run = _runs(cases, "default", "noop").get(10)
    return run["seconds"] if run else None


def _default_runs_by_name(cases):
    """(run name, {N: run}, sorted sizes) of the default configuration, for each run name that was measured."""
    for name in RUN_ORDER:
        runs = _runs(cases, "default", name)
        if runs:
            yield name, runs, sorted(runs)


def org_wide_calls(run):
    return sum(run["parts"].get(role, {}).get("calls", 0) for role in ORG_WIDE_ROLES)


def _target(title, status, detail):
    return {"title": title, "status": status, "detail": detail}


def _time_target(cases, size, name, limit):
    runs = _runs(cases, "default", name)
    title = f"{RUN_TITLES[name]} within {limit} s at N={size}"
    if not runs:
        return _target(title, "n/a", f"the {RUN_TITLES[name]} was not measured")
    if size in runs:
        seconds = runs[size]["seconds"]
        return _target(title, "met" if seconds <= limit else "not met", f"{seconds} s at N={size}")
    nearest = min(runs, key=lambda n: abs(n - size))
    return _target(
        title, "n/a", f"N={size} not measured; {runs[nearest]['seconds']} s at N={nearest} (limit {limit} s)"
    )


def evaluate(cases):
    targets = []

    # 1. The organization-wide work's API calls do not depend on N.
    title = "organization-wide work (key, bucket, trail, SCPs, alarms, SIEM kit) makes the same API calls at every N"
    details, constant, measured = [], True, False
    for name in ("converge", "noop", "check"):
        runs = _runs(cases, "default", name)
        if len(runs) < 2:
            continue
        measured = True
        counts = {n: org_wide_calls(run) for n, run in runs.items()}
        constant = constant and len(set(counts.values())) == 1
        details.append(f"{name}: " + ", ".join(f"N={n}: {count}" for n, count in sorted(counts.items())))
    if measured:
        targets.append(_target(title, "met" if constant else "not met", "; ".join(details)))
    else:
        targets.append(_target(title, "n/a", "needs two sizes or more"))

    # 2. The no-op re-run writes nothing.
    title = "no-op re-run makes zero write calls"
    for config in sorted({case["config"] for case in cases}):
        runs = _runs(cases, config, "noop")
        if not runs:
            continue
        writes = {n: run["writes"] for n, run in runs.items()}
        changed = {n: run["changed"] for n, run in runs.items()}
        detail = ", ".join(f"N={n}: {writes[n]} writes, changed={changed[n]}" for n in sorted(runs))
        offenders = sorted(
            {action for run in runs.values() for action, entry in run["by_action"].items() if entry["write"]}
        )
        if offenders:
            detail += "; write calls: " + ", ".join(offenders)
        label = "" if config == "default" else f" ({CONFIG_TITLES[config]})"
        status = "met" if not any(writes.values()) else "not met"
        targets.append(_target(title + label, status, detail))

    # 3. Per-account work is batched: member plays run each task once, not once per account.
    title = "per-account work is batched: each member-play task runs once, not once per account"
    for config in sorted({case["config"] for case in cases} - {"one-region"}):
        rows, per_account = [], {}
        for name in ("converge", "noop", "check"):
            runs = _runs(cases, config, name)
            for run in runs.values():
                for part, task in run["member_tasks_per_account"]:
                    per_account.setdefault(part, set()).add(task)
            if runs:
                rows.append(
                    f"{name}: "
                    + ", ".join(
                        f"N={n}: {run['member_tasks']} tasks, {run['member_task_results']} task results"
                        for n, run in sorted(runs.items())
                    )
                )
        posture = _runs(cases, config, "posture")
        if posture:
            rows.append(
                "posture: "
                + ", ".join(f"N={n}: {run['task_results']} task results" for n, run in sorted(posture.items()))
            )
        if rows:
            if per_account:
                rows.append(
                    "run once per account: "
                    + ", ".join(
                        (
                            f"{part}: {len(tasks)} tasks"
                            if len(tasks) > 1
                            else f"{part}: {next(iter(tasks)).split(' - ')[0]}"
                        )
                        for part, tasks in sorted(per_account.items())
                    )
                )
            label = "" if config == "default" else f" ({CONFIG_TITLES[config]})"
            targets.append(_target(title + label, "not met" if per_account else "met", "; ".join(rows)))

    # 4. Module invocations: what a run costs, whatever N (each is an AnsiballZ process, ~0.3 to 0.6 s).
    title = f"module invocations per run at most {MODULE_TARGET}, at every N (default configuration)"
    rows, worst = [], 0
    for name, runs, sizes in _default_runs_by_name(cases):
        if name == "posture":
            continue
        rows.append(f"{name}: " + ", ".join(f"N={n}: {runs[n]['module_runs']}" for n in sizes))
        worst = max([worst] + [runs[n]["module_runs"] for n in sizes])
    if rows:
        targets.append(_target(title, "met" if worst <= MODULE_TARGET else "not met", "; ".join(rows)))
    else:
        targets.append(_target(title, "n/a", "no playbook run was measured"))

    # 5. Time at N=10 and N=500 (default configuration, no accelerator), memory at N=500, growth from 100 to 500.
    for size, limits in TIME_TARGETS.items():
        for name, limit in limits.items():
            targets.append(_time_target(cases, size, name, limit))
    title = (
        f"peak memory (summed RSS) of the ansible-playbook process tree under {MEMORY_TARGET_MIB} MiB at N={TARGET_N}"
    )
    peaks = {(n, name): run["peak_rss_mib"] for name in RUN_ORDER for n, run in _runs(cases, "default", name).items()}
    if peaks:
        sizes = {n for n, _name in peaks}
        at = TARGET_N if TARGET_N in sizes else max(sizes)
        worst = max((mib, name) for (n, name), mib in peaks.items() if n == at)
        pss = _runs(cases, "default", worst[1])[at]["peak_pss_mib"]
        detail = f"highest summed RSS {worst[0]} MiB ({worst[1]}; summed PSS {pss} MiB) at N={at}"
        status = ("met" if worst[0] < MEMORY_TARGET_MIB else "not met") if at == TARGET_N else "n/a"
        targets.append(_target(title, status, detail + ("" if at == TARGET_N else f"; N={TARGET_N} not measured")))
    title = "time grows less than linearly in N from N=100 to N=500"
    growth = []
    for name in RUN_ORDER:
        runs = _runs(cases, "default", name)
        if 100 in runs and TARGET_N in runs:
            ratio = runs[TARGET_N]["seconds"] / runs[100]["seconds"]
            growth.append((name, ratio, math.log(ratio) / math.log(TARGET_N / 100)))
    if growth:
        sublinear = all(ratio < TARGET_N / 100 for _name, ratio, _exponent in growth)
        detail = "; ".join(f"{name}: x{ratio:.2f} (time ~ N^{exponent:.2f})" for name, ratio, exponent in growth)
        targets.append(
            _target(title, "met" if sublinear else "not met", detail + f" (linear would be x{TARGET_N // 100})")
        )
    else:
        targets.append(_target(title, "n/a", "needs N=100 and N=500"))
    return targets


# ---------------------------------------------------------------- report


CONFIG_TITLES = {
    "default": "default configuration",
    "accelerated": "accelerated (Mitogen, mitogen_linear)",
    "one-region": "legacy-trail regions = [us-east-1]",
    "member-groups": "access groups in members on",
}


def machine():
    info = {"python": platform.python_version(), "kernel": platform.release(), "cores": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
        )
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        kib = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
        info["memory_gib"] = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        info["memory_gib"] = None
    versions = {}
    for package in ("ansible-core", "ansible", "moto", "boto3", "botocore", "matplotlib", "mitogen"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    try:
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.amazon.aws.plugins.module_utils.common import AMAZON_AWS_COLLECTION_VERSION

        versions["amazon.aws"] = AMAZON_AWS_COLLECTION_VERSION
    except ImportError:
        versions["amazon.aws"] = "unknown"
    info["versions"] = versions
    return info


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(results):
    cases, targets = results["cases"], results["targets"]
    info = results["machine"]
    out = [
        f"# Trailguard benchmark: {results['name']}",
        "",
        f"Run {results['started']} to {results['finished']} with `{results['command']}`.",
        "",
        *([results["note"], ""] if results.get("note") else []),
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB memory, Linux {info['kernel']}, "
        f"Python {info['python']}; load average {results['load_before']} before, {results['load_after']} after "
        "(1, 5, 15 min; the machine is shared, so times are pessimistic when the load is above 2).",
        "- Versions: " + ", ".join(f"{name} {version}" for name, version in info["versions"].items()) + ".",
        "- Against the local emulator (moto, server mode, tools/moto_server.py), every request through "
        "tools/fault_proxy.py (no faults); inventory: inventory/organizations.yml with the example group_vars "
        "(CIS monitoring, SIEM kit, access groups in the management account on; AWS Config off)"
        + (f"; extra arguments: `{' '.join(results['extra'])}`" if results["extra"] else "")
        + ".",
        "- N = member accounts; the organization also has the management and log-archive accounts, in nested OUs. "
        "Seeding is not measured. Peak memory: the summed RSS of the ansible-playbook process tree (controller and "
        "forks), sampled every 0.2 s, which counts the pages the forks share with the controller once per process, "
        "and the summed PSS (shared pages split among the processes that share them); the emulator's RSS apart. "
        "CPU: user + system seconds of the whole ansible-playbook tree and of the emulator during the run; on this "
        "2-core machine the wall time of an idle machine is at least their sum / 2.",
        "",
        "## Results",
        "",
    ]
    baseline = _runs(cases, "default", "noop").get(10)
    rows = []
    for case in cases:
        if "error" in case and not case["runs"]:
            rows.append([CONFIG_TITLES[case["config"]], case["members"], f"not run: {case['error']}"] + ["-"] * 14)
        for name in RUN_ORDER:
            run = case["runs"].get(name)
            if not run:
                continue
            rows.append(
                [
                    CONFIG_TITLES[case["config"]],
                    case["members"],
                    RUN_TITLES[name] + ("" if run["returncode"] == 0 else f" (FAILED, rc {run['returncode']})"),
                    f"{run['seconds']:.1f}",
                    f"x{run['seconds'] / baseline['seconds']:.2f}" if baseline else "-",
                    f"x{_cpu(run) / _cpu(baseline):.2f}" if baseline and _cpu(baseline) else "-",
                    run.get("load", "-"),
                    f"{run['ansible_cpu_seconds']:.0f} / {run['emulator_cpu_seconds']:.0f}",
                    f"{run['peak_rss_mib']:.0f}",
                    f"{run['peak_pss_mib']:.0f}",
                    f"{run['emulator_peak_rss_mib']:.0f}",
                    run["calls"],
                    run["reads"],
                    run["writes"],
                    run["changed"],
                    run["task_results"],
                    run.get("module_runs", "-"),
                ]
            )
    out.append(
        "`x N=10 default no-op`: the run's wall time, and its CPU seconds (ansible-playbook tree and emulator), "
        "divided by those of the no-op re-run at N=10 in the default configuration"
        + (f" ({baseline['seconds']:.1f} s wall, {_cpu(baseline):.1f} s CPU)." if baseline else " (not measured).")
        + " `load`: the machine's 1-minute load average as the run started (2 cores: above 2, other work was "
        "waiting for a core and every wall time here grew with it; the CPU seconds hardly do, so on a loaded machine "
        "the CPU ratio is the fairer comparison)."
    )
    out.append("")
    out.append(
        _table(
            [
                "configuration",
                "N",
                "run",
                "wall s",
                "x N=10 default no-op (wall)",
                "x N=10 default no-op (CPU)",
                "load (1 min) at start",
                "CPU s (ansible / emulator)",
                "peak RSS MiB (ansible tree)",
                "peak PSS MiB (ansible tree)",
                "emulator RSS MiB",
                "API calls",
                "reads",
                "writes",
                "changed",
                "task results",
                "module invocations",
            ],
            rows,
        )
    )
    out += ["", "## Targets", ""]
    out.append(
        _table(["target", "status", "measured"], [[t["title"], t["status"].upper(), t["detail"]] for t in targets])
    )

    out += ["", "## Where the time and the calls go", ""]
    out.append(
        "Wall time, API calls (writes) and module invocations by part (role, or the task's module outside roles; "
        "`(members)`: the member-account plays; `inventory plugin`: Ansible's start-up and the inventory plugin "
        "listing the organization, before the first task). Default configuration. A module invocation is a task "
        "result that ran a module (each loop item and `until` attempt counts), not one of Ansible's controller-side "
        "actions (" + ", ".join(f"`{action}`" for action in sorted(CONTROLLER_ACTIONS)) + ")."
    )
    for name, runs, sizes in _default_runs_by_name(cases):
        names = sorted({part for run in runs.values() for part in run["parts"]})
        out += ["", f"### {RUN_TITLES[name]}", ""]
        part_rows = []
        for part in sorted(
            names, key=lambda p: -max(run["parts"].get(p, {}).get("seconds", 0) for run in runs.values())
        ):
            cells = [part]
            for n in sizes:
                entry = runs[n]["parts"].get(part)
                cells.append(
                    f"{entry['seconds']:.1f} s, {entry['calls']} ({entry['writes']} w), "
                    f"{entry.get('module_runs', '-')} mod"
                    if entry
                    else "-"
                )
            part_rows.append(cells)
        out.append(_table(["part"] + [f"N={n}" for n in sizes], part_rows))
        largest = max(sizes)
        out += ["", f"Slowest tasks at N={largest}:", ""]
        out.append(
            _table(
                ["task", "part", "s", "API calls", "task results", "module invocations"],
                [
                    [
                        task["name"],
                        task["part"],
                        f"{task['seconds']:.1f}",
                        task["calls"],
                        task["results"],
                        task.get("module_runs", "-"),
                    ]
                    for task in sorted(runs[largest]["tasks"], key=lambda task: -task["seconds"])[:8]
                ],
            )
        )

    out += ["", "## API calls by service and action", ""]
    out.append("W = write (changes something), R = read. Default configuration.")
    for name, runs, sizes in _default_runs_by_name(cases):
        actions = sorted({action for run in runs.values() for action in run["by_action"]})
        kinds = {action: entry["write"] for run in runs.values() for action, entry in run["by_action"].items()}
        out += ["", f"### {RUN_TITLES[name]}", ""]
        out.append(
            _table(
                ["service:action", "R/W"] + [f"N={n}" for n in sizes],
                [
                    [action, "W" if kinds[action] else "R"]
                    + [runs[n]["by_action"].get(action, {}).get("calls", 0) for n in sizes]
                    for action in actions
                ],
            )
        )

    out += startup_section(cases)
    out += growth_section(cases)

    missed = [t for t in targets if t["status"] == "not met"]
    out += ["", "## Closing note", ""]
    if not missed:
        out.append("Every target that was evaluated is met.")
    for target in missed:
        out.append(f"- Not met: {target['title']} ({target['detail']}).")
    for size, name, limit in (
        (size, name, limit) for size, limits in TIME_TARGETS.items() for name, limit in limits.items()
    ):
        run = _runs(cases, "default", name).get(size)
        if run and run["seconds"] > limit:
            top = sorted(run["parts"].items(), key=lambda item: -item[1]["seconds"])[:4]
            out.append(
                f"  - {RUN_TITLES[name]} at N={size}: {run['seconds']:.0f} s; the most time goes to "
                + "; ".join(f"{part} {entry['seconds']:.0f} s ({entry['calls']} calls)" for part, entry in top)
                + "."
            )
    out += [
        "",
        "Each run's log (with ansible.posix.profile_tasks' table at its end) and timeline are under "
        f"`{results['work']}`. benchmarks/README.md explains how to profile further.",
        "",
    ]
    return "\n".join(out)


def plot(results, path):
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    figure, (time_axis, calls_axis) = plt.subplots(1, 2, figsize=(13, 5.5))
    colours = {"converge": "tab:blue", "noop": "tab:green", "check": "tab:orange", "posture": "tab:purple"}
    styles = {"default": ("-", "o"), "accelerated": ("-.", "D"), "one-region": ("--", "s"), "member-groups": (":", "^")}
    for config in CONFIG_TITLES:
        for name in RUN_ORDER:
            runs = _runs(results["cases"], config, name)
            if not runs:
                continue
            sizes = sorted(runs)
            label = RUN_TITLES[name] + ("" if config == "default" else f" ({CONFIG_TITLES[config]})")
            style = dict(color=colours[name], linestyle=styles[config][0], marker=styles[config][1])
            time_axis.plot(sizes, [runs[n]["seconds"] for n in sizes], label=label, **style)
            calls_axis.plot(sizes, [runs[n]["calls"] for n in sizes], label=label, **style)
    # Each time target as a short bar in its run's colour, at its N.
    for size, limits in TIME_TARGETS.items():
        for name, limit in limits.items():
            time_axis.plot([size], [limit], color=colours[name], marker="_", markersize=18, markeredgewidth=2)
    time_axis.plot(
        [], [], color="grey", marker="_", markersize=18, linestyle="", label="target (default configuration)"
    )
    for axis, ylabel in ((time_axis, "wall time (s)"), (calls_axis, "API calls per run")):
        axis.set_xlabel("member accounts (N)")
        axis.set_ylabel(ylabel)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
    sizes = sorted({case["members"] for case in results["cases"]})
    if len(sizes) > 1:
        for axis in (time_axis, calls_axis):
            axis.set_xscale("log")
            axis.set_xticks(sizes)
            axis.set_xticklabels([str(n) for n in sizes])
        calls_axis.set_yscale("log")
    time_axis.set_title("Wall time against N")
    calls_axis.set_title("API calls against N")
    figure.suptitle(f"Trailguard benchmark ({results['name']}), load average {results['load_before']} at the start")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# ---------------------------------------------------------------- main


def _positive(text):
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return number


def _sizes(text):
    sizes = [int(item) for item in text.split(",") if item.strip()]
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive integers, not {text!r}")
    return sizes


def _run_names(text):
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in RUN_ORDER]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"runs must be a comma-separated subset of {','.join(RUN_ORDER)}")
    if "converge" not in names:
        raise argparse.ArgumentTypeError("runs must include converge: every other run needs the converged organization")
    return [name for name in RUN_ORDER if name in names]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_sizes, default=[10, 100, 500], help="member counts N (default 10,100,500)")
    parser.add_argument("--runs", type=_run_names, default=list(RUN_ORDER), help="default: converge,noop,check,posture")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], help="passed to every ansible-playbook run")
    parser.add_argument("--one-region", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--member-groups-sizes", type=_sizes, default=[], help="e.g. 10,50 (default: none)")
    parser.add_argument(
        "--accelerated-sizes",
        type=_sizes,
        default=[],
        help="e.g. 10,500: the same runs with the optional accelerator, Mitogen (default: none)",
    )
    parser.add_argument(
        "--no-startup", dest="startup", action="store_false", help="skip the start-up probes of the default runs"
    )
    parser.add_argument(
        "--startup-repeat",
        type=_positive,
        default=STARTUP_REPEAT,
        help=f"runs of each start-up probe, the least counts (default {STARTUP_REPEAT})",
    )
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="only the start-up probes at each size (no playbook run), added to the results .json named by --name",
    )
    parser.add_argument(
        "--member-groups-runs", type=int, choices=(1, 2), default=2, help="1: converge only, 2: and the no-op re-run"
    )
    parser.add_argument("--report-only", type=Path, help="write the .md and .png again from this results .json")
    parser.add_argument("--name", default="benchmark", help="results file name, without extension")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="where the results go")
    parser.add_argument("--work", type=Path, default=REPO / ".build" / "bench", help="logs and emulator state")
    parser.add_argument("--run-timeout", type=int, default=3600, help="seconds before a playbook run is killed")
    parser.add_argument(
        "--emulator-memory-limit", type=float, default=8, help="GiB of emulator RSS at which a case is stopped (8)"
    )
    return parser.parse_args(argv)


def legacy_share(cases):
    """The legacy-trail search's share of the default no-op re-run at the largest N."""
    runs = _runs(cases, "default", "noop") or _runs(cases, "default", "converge")
    if not runs:
        return 0.0
    run = runs[max(runs)]
    return run["parts"].get("legacy_trails" + MEMBER_SUFFIX, {}).get("seconds", 0.0) / run["seconds"]


def startup_only(args):
    """The start-up probes at each size, each on a fresh seeded emulator, put into the results' default cases."""
    path = args.out / f"{args.name}.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    for members in args.sizes:
        state_dir = args.work / f"startup-n{members}" / "emulator"
        url = emulator.start(state_dir=state_dir, timeout=60)
        try:
            seed(url, members)
            probes = measure_startup(url, state_dir.parent, args.startup_repeat)
        finally:
            stop_emulator(state_dir)
        print(f"  N={members} start-up probes: {probes}", flush=True)
        cases = [case for case in results["cases"] if case["config"] == "default" and case["members"] == members]
        if not cases:
            cases = [{"config": "default", "members": members, "accounts": members + 2, "runs": {}}]
            results["cases"].append(cases[0])
        cases[0]["startup"] = probes
        cases[0]["startup_repeat"] = args.startup_repeat
        cases[0]["startup_load"] = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    results.setdefault("finished", "(interrupted)")
    results.setdefault("load_after", "n/a")
    results["targets"] = evaluate(results["cases"])
    write_results(results, args.out, args.name)
    print(f"== added the start-up probes to {path} and wrote the .md and .png again")
    return 0


def accelerated_case(extra, runs, members, args):
    """The runs with the optional accelerator; recorded as not run when mitogen is not installed."""
    try:
        env = accelerator_env()
    except ImportError:
        error = f"mitogen is not installed (`make setup-fast` installs mitogen {pinned_accelerator()})"
        print(f"  N={members}: {error}", flush=True)
        return {"config": "accelerated", "members": members, "accounts": members + 2, "runs": {}, "error": error}
    config = {"key": "accelerated", "extra": extra, "runs": runs, "env": env}
    case = run_case(config, members, args.work, args.run_timeout, args.emulator_memory_limit)
    case["accelerator"] = {"mitogen": importlib.metadata.version("mitogen")}
    return case


def write_results(results, out, name):
    (out / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / f"{name}.md").write_text(report(results), encoding="utf-8")
    plot(results, out / f"{name}.png")


def add_case(results, case, args):
    """Keep every finished case on disk too, so that an interrupted run still leaves its figures."""
    results["cases"].append(case)
    (args.out / f"{args.name}.partial.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def main(argv=None):
    args = parse_args(argv)
    if args.report_only:
        results = json.loads(args.report_only.read_text(encoding="utf-8"))
        results.setdefault("finished", "(interrupted)")
        results.setdefault("load_after", "n/a")
        results["targets"] = evaluate(results["cases"])
        write_results(results, args.report_only.parent, args.report_only.stem)
        print(f"== wrote {args.report_only.with_suffix('.md')} and .png again")
        return 0
    extra = [item for value in args.extra_vars for item in ("-e", value)]
    args.out.mkdir(parents=True, exist_ok=True)
    if args.startup_only:
        return startup_only(args)
    args.work.mkdir(parents=True, exist_ok=True)
    results = {
        "name": args.name,
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_before": ", ".join(f"{load:.1f}" for load in os.getloadavg()),
        "machine": machine(),
        "extra": extra,
        "work": str(args.work),
        "cases": [],
    }
    config = {
        "key": "default",
        "extra": extra,
        "runs": args.runs,
        "startup": args.startup,
        "startup_repeat": args.startup_repeat,
    }
    print(f"== {CONFIG_TITLES['default']}: N = {args.sizes}, runs {args.runs}", flush=True)
    for members in args.sizes:
        add_case(results, run_case(config, members, args.work, args.run_timeout, args.emulator_memory_limit), args)
    if args.accelerated_sizes:
        print(f"== {CONFIG_TITLES['accelerated']}: N = {args.accelerated_sizes}, runs {args.runs}", flush=True)
        for members in args.accelerated_sizes:
            add_case(results, accelerated_case(extra, args.runs, members, args), args)

    share = legacy_share(results["cases"])
    results["legacy_trails_share"] = round(share, 3)
    largest = max(args.sizes, default=0)
    if args.one_region == "always" or (args.one_region == "auto" and share >= DOMINATES):
        # At the largest N only, the first converge and the no-op re-run (check mode searches as the re-run does;
        # the posture report searches its own regions, posture_regions).
        print(f"== the legacy-trail search took {share:.0%} of the no-op re-run at N={largest}: one region too")
        config = {
            "key": "one-region",
            "extra": extra + list(ONE_REGION),
            "runs": [name for name in args.runs if name in ("converge", "noop")],
        }
        add_case(results, run_case(config, largest, args.work, args.run_timeout, args.emulator_memory_limit), args)
    if args.member_groups_sizes:
        config = {
            "key": "member-groups",
            "extra": extra + list(MEMBER_GROUPS),
            "runs": [name for name in args.runs if name in ("converge", "noop")][: args.member_groups_runs],
        }
        print(f"== {CONFIG_TITLES['member-groups']}: N = {args.member_groups_sizes}, runs {config['runs']}", flush=True)
        for members in args.member_groups_sizes:
            add_case(results, run_case(config, members, args.work, args.run_timeout, args.emulator_memory_limit), args)

    results["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    results["load_after"] = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    results["targets"] = evaluate(results["cases"])
    write_results(results, args.out, args.name)
    (args.out / f"{args.name}.partial.json").unlink(missing_ok=True)
    print(f"== results: {args.out / (args.name + '.md')} and .png, .json")
    for target in results["targets"]:
        print(f"   {target['status'].upper():8} {target['title']}: {target['detail']}")
    # The accelerator is optional: its failures are recorded in the results, and do not fail the benchmark.
    required = [case for case in results["cases"] if case["config"] != "accelerated"]
    failed = [
        f"{case['config']} N={case['members']} {name}"
        for case in required
        for name, run in case["runs"].items()
        if run["returncode"] != 0
    ] + [f"{case['config']} N={case['members']}: {case['error']}" for case in required if "error" in case]
    if failed:
        print("== failed runs: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
