"""Log file integrity benchmark: trailguard.cloudtrail.log_integrity_info against `aws cloudtrail validate-logs`.

    make bench-integrity        # 50 accounts x 4 regions x 24 hours, 100 ms per request, the CLI timed on 10 accounts
    .venv/bin/python benchmarks/integrity_bench.py --name integrity-emulator    # no latency, the CLI on all accounts
    .venv/bin/python benchmarks/integrity_bench.py --accounts 10 --regions 2 --hours 6 --name integrity-small

In a fresh emulator: an organization of --accounts accounts (management, the log-archive account `audit` and
members), the bucket, and an organization trail; tools/cloudtrail_delivery.py then writes --hours hours of signed
digest files and log files (--logs-per-hour each) for every account in --regions regions. Setting up is not
measured. Then, in the same run:

- ours: the module, run by `ansible localhost -m trailguard.cloudtrail.log_integrity_info` over the whole
  organization (wall time, as a user sees it), and run directly as a Python process (how Ansible runs a module,
  without the controller) over the first quarter of the hours and over all of them: peak RSS of each, so that
  flat memory shows as the same peak for four times the data;
- the AWS CLI (requirements-awscli.txt, `make setup-awscli`): `aws cloudtrail validate-logs --account-id A
  --region R` for every account and region, one after the other, as the CLI must be run for an organization
  trail; wall time and the largest peak RSS of one run. --cli-accounts K times only the first K accounts and
  scales the time up to all of them (said so in the results).

With --latency S, the timed runs reach the emulator through tools/fault_proxy.py, which waits S seconds before
each request, as S3's network latency would (the emulator answers in a few ms of CPU, which no client can
overlap on 2 cores). Both must find every file valid. Writes benchmarks/results/<name>.md and .json.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import cloudtrail_delivery as delivery  # noqa: E402  pylint: disable=wrong-import-position
import emulator  # noqa: E402  pylint: disable=wrong-import-position
from fault_proxy import FaultProxy  # noqa: E402  pylint: disable=wrong-import-position
import seed_org  # noqa: E402  pylint: disable=wrong-import-position

AWS_CLI = REPO / ".venv-awscli" / "bin" / "aws"
RESULTS = REPO / "benchmarks" / "results"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "sa-east-1")
BUCKET, TRAIL_NAME = "bench-cloudtrail", "bench-organization-trail"
START = datetime.datetime(2026, 11, 18, tzinfo=datetime.timezone.utc)
MODULE = REPO / "plugins" / "modules" / "log_integrity_info.py"


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def measured(command, env, cwd=REPO):
    """Run command in a child Python that reports its process tree's peak RSS; (seconds, peak MiB, result)."""
    probe = (
        "import resource, subprocess, sys, json\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(json.dumps({'rc': r.returncode, 'out': r.stdout, 'err': r.stderr[-5000:],"
        " 'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, env=env, cwd=cwd, check=True
    )
    elapsed = time.monotonic() - started
    result = json.loads(done.stdout)
    return elapsed, result["maxrss_kib"] / 1024, result


def setup(args, url):
    org = seed_org.seed(members=max(0, args.accounts - 2))
    management, audit = org["management"]["account_id"], org["log_archive"]["account_id"]
    creds = boto3.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{audit}:role/OrganizationAccountAccessRole", RoleSessionName="bench"
    )["Credentials"]
    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    s3.create_bucket(Bucket=BUCKET)
    trail_arn = boto3.client("cloudtrail", endpoint_url=url).create_trail(
        Name=TRAIL_NAME,
        S3BucketName=BUCKET,
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )["TrailARN"]
    trail = delivery.Trail(BUCKET, org["organization_id"], TRAIL_NAME, "us-east-1", management)
    accounts = [management, audit] + [member["account_id"] for member in org["members"]]
    regions = list(REGIONS[: args.regions])
    started = time.monotonic()
    delivery.Delivery(s3, trail, logs_per_hour=args.logs_per_hour, workers=4).run(
        accounts, regions, START, args.hours + 2
    )
    print(
        f"delivered {len(accounts)} accounts x {len(regions)} regions x {args.hours + 2} hours in "
        f"{time.monotonic() - started:.0f}s",
        flush=True,
    )
    return org, accounts, regions, trail_arn, creds


def module_args(org, end_hours, args):
    return {
        "bucket": BUCKET,
        "organization_id": org["organization_id"],
        "trail_name": TRAIL_NAME,
        "trail_home_region": "us-east-1",
        "start_time": iso(START + datetime.timedelta(hours=1)),
        "end_time": iso(START + datetime.timedelta(hours=1 + end_hours)),
        "max_workers": args.workers,
    }


def run_ours(org, args, env, direct_env, work):
    """The module through Ansible (time, through env), and directly (peak RSS, straight to the emulator) at a
    quarter of the hours and at all of them."""
    full = module_args(org, args.hours, args)
    ansible_env = dict(env, **emulator.ANSIBLE_SETTINGS)
    seconds, _rss, result = measured(
        [
            str(emulator.BIN / "ansible"),
            "localhost",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-m",
            "trailguard.cloudtrail.log_integrity_info",
            "-a",
            json.dumps(full),
            "-o",
        ],
        ansible_env,
    )
    summary = json.loads(result["out"].split(" => ", 1)[1])["report"]["summary"] if " => " in result["out"] else {}
    if result["rc"] != 0 or summary.get("status") != "pass":
        raise RuntimeError(f"our run did not pass: {result['out'][-3000:]} {result['err']}")
    memory = {}
    direct_env = dict(direct_env, PYTHONPATH=str(REPO / ".build" / "collections"))
    for label, hours in (("quarter", max(1, args.hours // 4)), ("all", args.hours)):
        path = work / f"args-{label}.json"
        path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args(org, hours, args)}))
        direct_seconds, rss, direct = measured([sys.executable, str(MODULE), str(path)], direct_env)
        report = json.loads(direct["out"])["report"]
        memory[label] = {
            "hours": hours,
            "seconds": round(direct_seconds, 1),
            "peak_rss_mib": round(rss, 1),
            "digests": report["summary"]["digests"]["valid"],
            "log_files": report["summary"]["log_files"]["valid"],
            "status": report["summary"]["status"],
        }
    return {"seconds": round(seconds, 1), "memory": memory}


def run_cli(org, accounts, regions, trail_arn, args, env):
    timed = accounts[: args.cli_accounts] if args.cli_accounts else accounts
    total, peak, failures, runs = 0.0, 0.0, [], 0
    for account in timed:
        for region in regions:
            seconds, rss, result = measured(
                [
                    str(AWS_CLI),
                    "cloudtrail",
                    "validate-logs",
                    "--trail-arn",
                    trail_arn,
                    "--account-id",
                    account,
                    "--start-time",
                    iso(START + datetime.timedelta(hours=1)),
                    "--end-time",
                    iso(START + datetime.timedelta(hours=1 + args.hours)),
                    "--region",
                    region,
                    "--endpoint-url",
                    env["AWS_ENDPOINT_URL"],
                ],
                env,
            )
            total, peak, runs = total + seconds, max(peak, rss), runs + 1
            if result["rc"] != 0 or "INVALID" in result["out"] + result["err"]:
                failures.append(f"{account} {region}: {result['err'][-500:]}")
    scale = len(accounts) / len(timed)
    return {
        "seconds": round(total * scale, 1),
        "measured_seconds": round(total, 1),
        "runs": runs,
        "accounts_timed": len(timed),
        "scaled": scale != 1,
        "peak_rss_mib": round(peak, 1),
        "failures": failures,
    }


def write_results(name, figures):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    ours, cli, memory = figures["ours"], figures["cli"], figures["ours"]["memory"]
    ratio = cli["seconds"] / ours["seconds"]
    lines = [
        f"# Log integrity benchmark: {figures['accounts']} accounts x {figures['regions']} regions x {figures['hours']} hours",
        "",
        f"Run {figures['date']} on {os.cpu_count()} cores (load average at the start {figures['load']}), against the emulator;",
        f"{figures['digests']} digest files and {figures['log_files']} log files in the range, all valid.",
        "",
        (
            f"Every request of the timed runs went through tools/fault_proxy.py, which waits {figures['latency'] * 1000:.0f} ms "
            'before passing it on (the Amazon S3 User Guide, "Performance design patterns for Amazon S3", gives '
            "roughly 100-200 ms for small objects). The emulator itself answers in a few ms of CPU, which "
            "a parallel client cannot overlap on 2 cores; see integrity-emulator.md for that run."
            if figures["latency"]
            else "Straight to the emulator, which answers each request with a few ms of CPU: on 2 cores a parallel client "
            "cannot overlap much of that, unlike S3's network latency (see integrity.md, with latency)."
        ),
        "",
        "| | wall time | peak RSS |",
        "| --- | --- | --- |",
        f"| trailguard `log_integrity_info` (one `ansible` task, {figures['workers']} workers) | {ours['seconds']} s | "
        f"{memory['all']['peak_rss_mib']} MiB (the module process) |",
        f"| `aws cloudtrail validate-logs`, {cli['runs']} runs (account by account, region by region) | {cli['seconds']} s"
        + (
            f" (measured {cli['measured_seconds']} s for {cli['accounts_timed']} accounts, scaled)"
            if cli["scaled"]
            else ""
        )
        + f" | {cli['peak_rss_mib']} MiB (one run) |",
        "",
        f"**Ours is {ratio:.1f}x faster** than the AWS CLI (goal: at least 5x).",
        "",
        "Memory of the module process, run directly, for a quarter of the range and for all of it:",
        "",
        "| hours | digest files | log files | time | peak RSS |",
        "| --- | --- | --- | --- | --- |",
    ]
    for item in (memory["quarter"], memory["all"]):
        lines.append(
            f"| {item['hours']} | {item['digests']} | {item['log_files']} | {item['seconds']} s | {item['peak_rss_mib']} MiB |"
        )
    growth = memory["all"]["peak_rss_mib"] / memory["quarter"]["peak_rss_mib"]
    lines += ["", f"Four times the files, {growth:.2f}x the peak memory: log files are streamed, never held whole.", ""]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=4, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--logs-per-hour", type=int, default=2)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the proxy waits before each request of the timed runs (0: none, no proxy)",
    )
    parser.add_argument("--cli-accounts", type=int, default=0, help="time the CLI on this many accounts only (0: all)")
    parser.add_argument("--name", default="integrity")
    args = parser.parse_args(argv)
    if not AWS_CLI.exists():
        sys.exit(f"the AWS CLI is not in {AWS_CLI.parent}: run `make setup-awscli`")

    work = Path(tempfile.mkdtemp(prefix="integrity-bench-", dir=REPO / ".build"))
    url = emulator.start(state_dir=work / "emulator")
    env = emulator.emulator_env(url)
    os.environ.update(env)
    proxy = None
    try:
        load = os.getloadavg()[0]
        org, accounts, regions, trail_arn, _creds = setup(args, url)
        timed_env = env
        if args.latency:
            # Both clients reach the emulator through the same proxy, which waits `latency` before each request.
            proxy = FaultProxy(url, latency=args.latency)
            timed_env = emulator.emulator_env(proxy.start())
        print("ours ...", flush=True)
        ours = run_ours(org, args, timed_env, env, work)
        print(f"ours: {ours['seconds']}s; the AWS CLI, {len(accounts)} x {len(regions)} runs ...", flush=True)
        cli = run_cli(org, accounts, regions, trail_arn, args, timed_env)
        if cli["failures"]:
            raise RuntimeError("the AWS CLI found invalid files:\n" + "\n".join(cli["failures"][:5]))
        figures = {
            "date": datetime.date.today().isoformat(),
            "load": round(load, 2),
            "accounts": len(accounts),
            "regions": len(regions),
            "hours": args.hours,
            "workers": args.workers,
            "latency": args.latency,
            "digests": ours["memory"]["all"]["digests"],
            "log_files": ours["memory"]["all"]["log_files"],
            "ours": ours,
            "cli": cli,
        }
        ratio = write_results(args.name, figures)
        print((RESULTS / f"{args.name}.md").read_text())
        return 0 if ratio >= 5 else 1
    finally:
        if proxy:
            proxy.stop()
        emulator.stop(work / "emulator")


if __name__ == "__main__":
    sys.exit(main())
