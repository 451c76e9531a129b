# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The benchmark's timeline: when each play and task started, and each task's result per host.

benchmarks/bench.py enables it (ANSIBLE_CALLBACK_PLUGINS, ANSIBLE_CALLBACKS_ENABLED) and
reads the JSON lines it appends to $TRAILGUARD_BENCH_TIMELINE. The times are
time.monotonic(), which on Linux is one clock for every process, so the benchmark
can put each API request that its proxy saw into the task that was running then.
"""

DOCUMENTATION = r"""
name: bench_timeline
type: aggregate
short_description: Writes play and task start times and task results as JSON lines, for benchmarks/bench.py
description:
  - Appends one JSON line per play start, task start and task result to the file named by the environment
    variable E(TRAILGUARD_BENCH_TIMELINE). Does nothing when it is not set.
  - A result says how many times the task's action ran for its host (each loop item that was not skipped, each
    C(until) attempt).
requirements:
  - enabled in the configuration (ANSIBLE_CALLBACKS_ENABLED)
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


def _runs(outcome, status):
    """How many times the task's action ran: once, once per loop item not skipped, once per `until` attempt."""
    if status == "skipped" or outcome.get("skipped"):
        return 0
    items = outcome.get("results")
    if isinstance(items, list):
        return sum(_runs(item, "ok") for item in items if isinstance(item, dict))
    return int(outcome.get("attempts", 1) or 1)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        path = os.environ.get("TRAILGUARD_BENCH_TIMELINE")
        self._out = open(path, "a", encoding="utf-8") if path else None  # pylint: disable=consider-using-with
        self._play = None

    def _write(self, **event):
        if self._out:
            event["t"] = time.monotonic()
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()
        hosts = play.hosts if isinstance(play.hosts, list) else [play.hosts]
        self._write(event="play", name=self._play, hosts=",".join(str(pattern) for pattern in hosts))

    def v2_playbook_on_task_start(self, task, is_conditional):
        role = task._role.get_name(include_role_fqcn=False) if task._role else None  # pylint: disable=protected-access
        self._write(event="task", name=task.get_name(), role=role, play=self._play, action=task.action)

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _result(self, result, status):
        outcome = result._result  # pylint: disable=protected-access
        changed = bool(outcome.get("changed", False))
        host = result._host.get_name()  # pylint: disable=protected-access
        self._write(event="result", status=status, host=host, changed=changed, runs=_runs(outcome, status))

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._write(event="end")
        if self._out:
            self._out.close()
            self._out = None
