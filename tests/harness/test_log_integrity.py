"""Log file integrity, checked against a client we did not write: the AWS CLI's `cloudtrail validate-logs`.

An organization is seeded in the emulator, with the bucket in the log-archive account and an organization
trail with log file validation in the management account. tools/cloudtrail_delivery.py then writes 14 hours of
CloudTrail log and digest files for every account in two regions, exactly as CloudTrail lays them out, signed
with the test key that the emulator serves from ListPublicKeys; logging is stopped after 7.5 hours and started
again 2h40 later. Each member account then gets one kind of tampering (CloudTrail User Guide, "Validating
CloudTrail log file integrity": a log or digest file deleted, modified, re-signed, or a log file added), and one
member leaves the organization.

playbooks/validate_logs.yml (trailguard.cloudtrail.log_integrity_info) and the real AWS CLI (awscli from
requirements-awscli.txt, in .venv-awscli: `make setup-awscli`), run account by account against the same emulator,
must agree on every case where the CLI is right; where the CLI cannot see (an injected log file, a second
consecutive deleted digest) the test shows the CLI missing it and ours catching it. The agreement table is
written to .build/reports/log_integrity_agreement.md.
"""

import datetime
import json
import re
import subprocess
from pathlib import Path

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[2]

import cloudtrail_delivery as delivery
import emulator
from support import member_session, playbook, seeded_emulator, write_inventory

AWS_CLI = REPO / ".venv-awscli" / "bin" / "aws"
UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 18, tzinfo=UTC)
HOURS = 14
STOPPED, STARTED = T0 + datetime.timedelta(hours=7, minutes=30), T0 + datetime.timedelta(hours=10, minutes=10)
# Range 1 (before the pause) holds the tampering; range 2 spans the pause.
RANGE_1 = (T0 + datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=6))
RANGE_2 = (T0 + datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=12))
REGIONS = ("us-east-1", "eu-west-1")
CASE_REGION = "us-east-1"
# Group vars of inventory/group_vars/all.yml (prefix acme).
BUCKET, TRAIL_NAME = "acme-cloudtrail", "acme-organization-trail"
CASES = (
    "intact",
    "log deleted",
    "log modified",
    "digest deleted",
    "digest modified",
    "wrong signature",
    "log injected",
    "two consecutive digests deleted",
    "account left the organization",
)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tamper(case, s3, trail, account_id, chain):
    """Apply one case to the account's chain in CASE_REGION (the 4th digest sits well inside range 1)."""
    target = chain[3]
    if case == "log deleted":
        delivery.delete(s3, BUCKET, target["logs"][0])
    elif case == "log modified":
        delivery.modify_log(s3, BUCKET, target["logs"][0])
    elif case == "digest deleted":
        delivery.delete(s3, BUCKET, target["key"])
    elif case == "digest modified":
        delivery.modify_digest(s3, BUCKET, target["key"])
    elif case == "wrong signature":
        delivery.resign_digest(
            s3, BUCKET, target["key"], rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
    elif case == "log injected":
        delivery.inject_log(s3, trail, account_id, CASE_REGION, target["start"] + datetime.timedelta(minutes=20))
    elif case == "two consecutive digests deleted":
        delivery.delete(s3, BUCKET, chain[3]["key"])
        delivery.delete(s3, BUCKET, chain[4]["key"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The emulator with the organization, its trail and the tampered deliveries."""
    if not AWS_CLI.exists():
        pytest.fail(f"the AWS CLI is not installed in {AWS_CLI.parent}: run `make setup-awscli`")
    work = tmp_path_factory.mktemp("integrity")
    with seeded_emulator(work, members=len(CASES)) as (url, org, _patch):
        inventory = write_inventory(work / "inventory", org)
        management = org["management"]["account_id"]
        audit = org["log_archive"]["account_id"]
        audit_s3 = member_session(url, audit).client("s3", endpoint_url=url)
        audit_s3.create_bucket(Bucket=BUCKET)
        cloudtrail = boto3.client("cloudtrail", endpoint_url=url)
        trail_arn = cloudtrail.create_trail(
            Name=TRAIL_NAME,
            S3BucketName=BUCKET,
            IsOrganizationTrail=True,
            IsMultiRegionTrail=True,
            EnableLogFileValidation=True,
        )["TrailARN"]
        trail = delivery.Trail(BUCKET, org["organization_id"], TRAIL_NAME, "us-east-1", management)
        assert trail.arn == trail_arn
        cases = {case: member["account_id"] for case, member in zip(CASES, org["members"])}
        accounts = [management, audit, *cases.values()]
        chains = delivery.Delivery(audit_s3, trail, logs_per_hour=2).run(
            accounts, REGIONS, T0, HOURS, pauses=[(STOPPED, STARTED)]
        )
        for case, account_id in cases.items():
            tamper(case, audit_s3, trail, account_id, chains[(account_id, CASE_REGION)])
        boto3.client("organizations", endpoint_url=url).remove_account_from_organization(
            AccountId=cases["account left the organization"]
        )
        yield {
            "url": url,
            "org": org,
            "inventory": inventory,
            "cases": cases,
            "trail_arn": trail_arn,
            "management": management,
            "work": work,
        }


def validate(world, time_range, *extra, strict=False, check=True):
    """playbooks/validate_logs.yml over time_range; (the playbook's result, its integrity.json)."""
    output = world["work"] / f"report-{len(list(world['work'].glob('report-*')))}"
    run = playbook(
        world["url"],
        world["inventory"],
        "validate_logs.yml",
        "-e",
        f"log_integrity_start_time={iso(time_range[0])}",
        "-e",
        f"log_integrity_end_time={iso(time_range[1])}",
        "-e",
        f"log_integrity_output_dir={output}",
        "-e",
        f"log_integrity_strict={str(strict).lower()}",
        *extra,
        check=check,
    )
    assert (output / "integrity.json").exists(), f"no report:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return run, json.loads((output / "integrity.json").read_text())


def aws_cli(world, account_id, time_range, region=CASE_REGION):
    """`aws cloudtrail validate-logs` for one account of the organization trail, as the management account.

    The CLI asks CloudTrail (DescribeTrails, ListPublicKeys) at --endpoint-url; its S3 and Organizations clients
    take no --endpoint-url, so AWS_ENDPOINT_URL (set by tools/emulator.py) points them at the emulator too.
    """
    result = subprocess.run(
        [
            str(AWS_CLI),
            "cloudtrail",
            "validate-logs",
            "--trail-arn",
            world["trail_arn"],
            "--account-id",
            account_id,
            "--start-time",
            iso(time_range[0]),
            "--end-time",
            iso(time_range[1]),
            "--region",
            region,
            "--endpoint-url",
            world["url"],
            "--verbose",
        ],
        capture_output=True,
        text=True,
        env=emulator.emulator_env(world["url"]),
        check=False,
    )
    counts = {}
    for name in ("digest", "log"):
        valid = re.search(rf"(\d+)/(\d+) {name} files valid", result.stdout)
        invalid = re.search(rf"(\d+)/\d+ {name} files INVALID", result.stdout)
        counts[f"{name}s_valid"] = int(valid.group(1)) if valid else 0
        counts[f"{name}s_invalid"] = int(invalid.group(1)) if invalid else 0
    counts["exit"] = result.returncode
    counts["not_found"] = result.stderr.count("INVALID: not found")
    counts["gap"] = "No log files were delivered by CloudTrail between" in result.stderr
    counts["output"] = result.stdout + result.stderr
    return counts


def ours(report, account_id, region=CASE_REGION):
    account = next(item for item in report["accounts"] if item["account_id"] == account_id)
    return account, next(item for item in account["regions"] if item["region"] == region)


@pytest.fixture(scope="module")
def range_1(world):
    """Range 1 for the whole organization, strict: it must fail the play, after writing the JSON."""
    run, report = validate(world, RANGE_1, strict=True, check=False)
    cli = {case: aws_cli(world, account_id, RANGE_1) for case, account_id in world["cases"].items()}
    return run, report, cli


def test_every_account_and_region_in_the_bucket_is_validated(world, range_1):
    _run, report, _cli = range_1
    org = world["org"]
    expected = {org["management"]["account_id"], org["log_archive"]["account_id"], *world["cases"].values()}
    assert {account["account_id"] for account in report["accounts"]} == expected
    for account in report["accounts"]:
        assert [region["region"] for region in account["regions"]] == sorted(REGIONS)
    left = world["cases"]["account left the organization"]
    assert {account["account_id"]: account["member"] for account in report["accounts"]}[left] is False


def test_strict_fails_the_play_after_writing_the_report(range_1):
    run, report, _cli = range_1
    assert run.returncode != 0
    assert "log_integrity_strict is true and 7 account(s)" in run.stdout
    assert report["summary"]["status"] == "fail"


def test_ours_and_the_aws_cli_agree_where_the_cli_is_right(world, range_1):
    _run, report, cli = range_1
    rows, failures = [], []
    for case, account_id in world["cases"].items():
        account, region = ours(report, account_id)
        digests, logs = region["digests"], region["log_files"]
        them = cli[case]
        invalid_digests = digests["modified"] + digests["invalid_signature"]
        # Always: the same valid digests and log files, and the same broken log files.
        agree = (
            them["digests_valid"] == digests["valid"]
            and them["logs_valid"] == logs["valid"]
            and them["logs_invalid"] == logs["missing"] + logs["modified"]
        )
        if case == "two consecutive digests deleted":
            # The CLI jumps from the first missing digest to the next one listed: it reports one of the two.
            agree = agree and them["not_found"] == 1 and digests["missing"] == 2 and them["digests_invalid"] == 1
        else:
            agree = agree and them["digests_invalid"] == invalid_digests + digests["missing"]
        if case == "log injected":
            # The CLI reads only the files that digests name: it passes. Ours finds the file no digest names.
            agree = agree and them["exit"] == 0 and logs["injected"] == 1
        else:
            agree = agree and (them["exit"] == 0) == (region["status"] == "pass")
        rows.append((case, them, region, account["member"], agree))
        if not agree:
            failures.append(f"{case}: CLI {them}\nours {region}")
    table = agreement_table(rows)
    (REPO / ".build" / "reports").mkdir(parents=True, exist_ok=True)
    (REPO / ".build" / "reports" / "log_integrity_agreement.md").write_text(table)
    print(table)
    assert not failures, "\n\n".join(failures)


def agreement_table(rows):
    lines = [
        "| case | aws cloudtrail validate-logs | trailguard log_integrity_info | agree |",
        "| --- | --- | --- | --- |",
    ]
    for case, them, region, member, agree in rows:
        digests, logs = region["digests"], region["log_files"]
        cli = (
            f"exit {them['exit']}; digests {them['digests_valid']} valid, {them['digests_invalid']} INVALID; "
            f"logs {them['logs_valid']} valid, {them['logs_invalid']} INVALID; {them['not_found']} 'not found'"
        )
        mine = (
            f"{region['status']}; digests {digests['valid']} valid, {digests['missing']} missing, "
            f"{digests['modified']} modified, {digests['invalid_signature']} badly signed; logs {logs['valid']} valid, "
            f"{logs['missing']} missing, {logs['modified']} modified, {logs['injected']} injected, "
            f"{logs['unverified']} unverified" + ("; not a member" if member is False else "")
        )
        lines.append(f"| {case} | {cli} | {mine} | {'yes' if agree else 'NO'} |")
    return "\n".join(lines) + "\n"


def test_each_tampering_is_reported_as_what_it_is(world, range_1):
    _run, report, _cli = range_1
    kinds = {}
    for case, account_id in world["cases"].items():
        _account, region = ours(report, account_id)
        kinds[case] = sorted({item["kind"] for item in region["findings"] if item["kind"] != "logging_paused"})
    assert kinds == {
        "intact": [],
        "log deleted": ["missing_log"],
        "log modified": ["modified_log"],
        "digest deleted": ["missing_digest", "unverified_log"],
        "digest modified": ["modified_digest", "unverified_log"],
        "wrong signature": ["invalid_signature", "unverified_log"],
        "log injected": ["injected_log"],
        "two consecutive digests deleted": ["missing_digest", "unverified_log"],
        "account left the organization": [],
    }
    # The other region of every account, and the management and log-archive accounts, are intact.
    for account in report["accounts"]:
        for region in account["regions"]:
            if region["region"] != CASE_REGION or account["account_id"] not in world["cases"].values():
                assert region["status"] == "pass", (account["account_id"], region)


def test_a_pause_in_logging_is_legitimate_for_both(world):
    """Range 2 spans StopLogging and StartLogging: a chain break that the trail's own events explain."""
    intact = world["cases"]["intact"]
    run, report = validate(
        world, RANGE_2, "-e", json.dumps({"log_integrity_accounts": [intact, world["management"]]}), strict=True
    )
    assert run.returncode == 0
    _account, region = ours(report, intact)
    paused = [item for item in region["findings"] if item["kind"] == "logging_paused"]
    assert region["status"] == "pass" and len(paused) == 1
    assert [event["name"] for event in paused[0]["events"]] == ["StopLogging", "StartLogging"]
    them = aws_cli(world, intact, RANGE_2)
    assert them["exit"] == 0 and them["gap"], them["output"]
    assert them["digests_valid"] == region["digests"]["valid"] and them["logs_valid"] == region["log_files"]["valid"]
