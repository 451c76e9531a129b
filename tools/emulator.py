"""The one place that starts and stops the local AWS emulator (moto, server mode).

Tests, molecule, the demo and the benchmarks all go through this file:

    python tools/emulator.py start [--port N]     # prints the endpoint URL
    python tools/emulator.py stop
    python tools/emulator.py run [--port N] -- CMD ARGS...

`run` starts the emulator, runs CMD with the environment pointing every AWS
SDK call at it (AWS_ENDPOINT_URL, dummy credentials, region), and stops the
emulator by PID when CMD ends, whatever happens. It never talks to real AWS:
the credentials are dummies and the endpoint is 127.0.0.1.

State (PID, port, log) lives in --state-dir: by default .build/emulator for
start/stop, and a fresh directory under .build/emulator-runs for each `run`,
so that runs side by side never stop each other's emulator.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = REPO / ".build" / "emulator"
RUNS_DIR = REPO / ".build" / "emulator-runs"
DEFAULT_REGION = "us-east-1"
BIN = Path(sys.executable).parent  # this Python's scripts: ansible-playbook, ansible-galaxy ...
ANSIBLE_PLAYBOOK = BIN / "ansible-playbook"
MANAGEMENT_ACCOUNT_ID = "123456789012"  # moto's default account

# Dummy credentials: moto accepts anything while IAM enforcement is off.
EMULATOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": DEFAULT_REGION,
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
    # AWS-managed IAM policies (AWSCloudTrail_FullAccess, AWS_ConfigRole ...) exist in AWS; load them into moto too.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}
# Never let a developer's own AWS config leak into a test run.
UNSET_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def endpoint_url(port):
    return f"http://{HOST}:{port}"


def emulator_env(url, base=None):
    """The environment a process needs to talk to the emulator at `url`."""
    env = dict(os.environ if base is None else base)
    for name in UNSET_ENV:
        env.pop(name, None)
    env.update(EMULATOR_ENV)
    env["AWS_ENDPOINT_URL"] = url
    env["AWS_URL"] = url  # amazon.aws's own name for the same setting
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


# Ansible as the project runs it: its ansible.cfg, and the collection linked by `make setup`.
ANSIBLE_SETTINGS = {
    "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
    "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".build" / "collections"),
    "ANSIBLE_NOCOLOR": "1",
}


def ansible_env(url, **extra):
    """The environment a playbook needs to talk to the emulator at `url` (and nothing else), plus `extra`."""
    env = emulator_env(url)
    env.update(ANSIBLE_SETTINGS)
    env.update(extra)
    return env


def _wait_until_up(url, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the emulator exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:  # nosec: loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the emulator did not answer on {url} within {timeout}s")


def start(port=None, state_dir=DEFAULT_STATE_DIR, timeout=120):
    """Start the patched moto server in the background; return its URL."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "emulator.json"
    if state_file.exists():
        pid = json.loads(state_file.read_text())["pid"]
        if _alive(pid):
            raise RuntimeError(f"an emulator (PID {pid}) is already recorded in {state_dir}; stop it first")
        state_file.unlink()
    port = int(port or free_port())
    url = endpoint_url(port)
    log = open(state_dir / "emulator.log", "wb")  # pylint: disable=consider-using-with
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, str(REPO / "tools" / "moto_server.py"), "-H", HOST, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=emulator_env(url),
    )
    try:
        _wait_until_up(url, proc, timeout)
    except RuntimeError:
        proc.kill()
        raise
    state_file.write_text(json.dumps({"pid": proc.pid, "port": port, "url": url}))
    return url


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(state_dir=DEFAULT_STATE_DIR):
    """Stop the emulator recorded in state_dir by its PID. Returns True if one was running."""
    state_file = Path(state_dir) / "emulator.json"
    if not state_file.exists():
        return False
    pid = json.loads(state_file.read_text())["pid"]
    state_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _attempt in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it exited between the last look and now
    return True


def reset(url):
    """Wipe all emulator state (accounts, org, buckets ...)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    # A reset wipes every account's backends: slow on a busy machine.
    with urllib.request.urlopen(request, timeout=120) as response:  # nosec: loopback only
        return response.status == 200


def run(command, port=None, state_dir=None):
    if state_dir is None:
        RUNS_DIR.mkdir(parents=True, exist_ok=True)
        state_dir = tempfile.mkdtemp(prefix="run-", dir=RUNS_DIR)
    url = start(port=port, state_dir=state_dir)
    print(f"emulator: started on {url} (log: {Path(state_dir) / 'emulator.log'})", flush=True)
    try:
        return subprocess.call(command, env=emulator_env(url))
    finally:
        stop(state_dir)
        print("emulator: stopped", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", default=None, help=f"default: {DEFAULT_STATE_DIR} (run: a fresh directory)")
    sub = parser.add_subparsers(dest="action", required=True)
    start_parser = sub.add_parser("start", help="start in the background and print the URL")
    start_parser.add_argument("--port", type=int, default=None)
    sub.add_parser("stop", help="stop the emulator started with 'start'")
    run_parser = sub.add_parser("run", help="start, run a command against it, stop")
    run_parser.add_argument("--port", type=int, default=None)
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.action == "start":
        print(start(port=args.port, state_dir=args.state_dir or DEFAULT_STATE_DIR))
        return 0
    if args.action == "stop":
        return 0 if stop(args.state_dir or DEFAULT_STATE_DIR) else 1
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    return run(command, port=args.port, state_dir=args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
