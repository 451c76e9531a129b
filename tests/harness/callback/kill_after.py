# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash tests only: SIGKILL the whole ansible-playbook run right after a given task, as a crash would.

Enabled with ANSIBLE_CALLBACK_PLUGINS=tests/harness/callback and ANSIBLE_CALLBACKS_ENABLED=kill_after.

KILL_AFTER_TASK   K (a number): kill when task K+1 starts, so that exactly K tasks ran;
                  or text: kill when the task after the first one whose name contains it starts.
                  Unset: never kill (the run only gets its own process group, see below).
KILL_AFTER_STATE  a file: the run's process ID is written there at the start (a test's fault proxy
                  kills the run with kill_tree(pid) in the middle of a module), then "task N: name" as each
                  task starts, and "killed after task N: name" when the run is killed.

The kill takes the whole process tree: Ansible's workers call setsid(), so a process group kill would
leave them, and the module they run, to finish the task on their own.
"""

DOCUMENTATION = """
name: kill_after
type: aggregate
short_description: SIGKILL the run after a given task (crash tests)
description:
  - Kills ansible-playbook and its workers with SIGKILL when the task after the chosen one starts.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import os
import signal

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kill_after"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        target = os.environ.get("KILL_AFTER_TASK", "")
        self._count = int(target) if target.isdigit() else None
        self._name = None if target.isdigit() or not target else target
        self._state = os.environ.get("KILL_AFTER_STATE")
        self._started = 0
        self._armed = None

    def v2_playbook_on_start(self, playbook):
        if self._state:
            with open(self._state, "w", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._armed is not None or self._count == 0:
            self._kill(self._armed or "task 0: (none)")
        self._started += 1
        name = f"task {self._started}: {task.get_name()}"
        self._write(f"{name}\n")
        if self._started == self._count or (self._name and self._name in task.get_name()):
            self._armed = name

    def _write(self, text):
        if self._state:
            with open(self._state, "a", encoding="utf-8") as handle:
                handle.write(text)

    def _kill(self, after):
        self._write(f"killed after {after}\n")
        self._display.display(f"kill_after: SIGKILL after {after}")
        kill_tree(os.getpid())


def _descendants(root):
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _signal(pids, sig):
    for target in pids:
        try:
            os.kill(target, sig)
        except ProcessLookupError:
            pass


def kill_tree(pid):
    """SIGKILL pid and every process under it, stopped first so that none forks a new one meanwhile."""
    if pid != os.getpid():
        _signal([pid], signal.SIGSTOP)
    _signal(_descendants(pid), signal.SIGSTOP)
    _signal(_descendants(pid), signal.SIGKILL)
    _signal([pid], signal.SIGKILL)
