"""Run every molecule scenario, in N shards side by side, each shard against its own emulator.

    python tools/molecule_shards.py --shards 2 --molecule .venv/bin/molecule

First `molecule reset` forgets what earlier runs left (else molecule skips the
prepare step of a scenario it ran before). Then each shard runs
`python tools/emulator.py run -- molecule test -s <scenario> ...`, so each has
its own emulator and the machine's cores are used. The heaviest scenario (the whole playbook) goes first so the shards
end close together. Each shard's output is printed whole when it ends; the
exit code is non-zero if any shard failed.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Rough relative cost of a scenario (how many full playbook runs it makes); unlisted ones count 1.
WEIGHTS = {"playbook": 3, "role_audit_bucket": 2, "role_trail": 2, "posture": 3}


def scenarios():
    return sorted(path.parent.name for path in (REPO / "extensions" / "molecule").glob("*/molecule.yml"))


def shard(names, count):
    """Greedy: heaviest first, each onto the lightest shard."""
    shards = [[] for _shard in range(count)]
    loads = [0] * count
    for name in sorted(names, key=lambda n: (-WEIGHTS.get(n, 1), n)):
        lightest = loads.index(min(loads))
        shards[lightest].append(name)
        loads[lightest] += WEIGHTS.get(name, 1)
    return [sorted(s) for s in shards if s]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--molecule", default="molecule", help="the molecule executable")
    args = parser.parse_args(argv)
    names_all = scenarios()
    reset = [args.molecule, "reset"] + [arg for name in names_all for arg in ("-s", name)]
    subprocess.run(reset, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    command = [sys.executable, str(REPO / "tools" / "emulator.py"), "run", "--", args.molecule, "test"]
    running = []
    for names in shard(names_all, args.shards):
        log = tempfile.TemporaryFile(mode="w+")  # pylint: disable=consider-using-with
        cmd = command + [arg for name in names for arg in ("-s", name)]
        print(f"molecule shard: {' '.join(names)}", flush=True)
        running.append((names, log, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)))
    failed = []
    for names, log, proc in running:
        code = proc.wait()
        log.seek(0)
        sys.stdout.write(log.read())
        sys.stdout.flush()
        if code:
            failed.append(" ".join(names))
    for names in failed:
        print(f"molecule shard FAILED: {names}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
