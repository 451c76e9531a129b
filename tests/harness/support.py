"""What the harness tests share: a seeded emulator, running a playbook, a static inventory, member sessions.

Every harness test runs against its own emulator (tools/emulator.py), never real AWS. The Ansible environment for
it (ansible_env) and this virtualenv's scripts (BIN, ANSIBLE_PLAYBOOK) are tools/emulator.py's, which the benchmark
uses too.
"""

import contextlib
import datetime
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import moto_server
import seed_org
from emulator import ANSIBLE_PLAYBOOK
from emulator import BIN  # noqa: F401  pylint: disable=unused-import
from emulator import ansible_env

# Extra vars for runs whose point is not monitoring: CIS alarms, the SIEM kit and the access groups off
# (15 of a full run's module runs, and most of its API calls).
MONITORING_OFF = {"trailguard_cis_monitoring": False, "trailguard_siem_kit": False, "trailguard_access_groups": False}
MONITORING_OFF_ARGS = tuple(
    arg for name, value in MONITORING_OFF.items() for arg in ("-e", f"{name}={str(value).lower()}")
)


@contextlib.contextmanager
def seeded_emulator(work, members=2):
    """An emulator of the test's own (state in `work`/emulator) with an organization of `members` member accounts
    seeded, and the AWS environment variables pointing at it until the block ends, when it stops.

    Yields (url, org, patch): `patch` is the MonkeyPatch that set the variables, for the test's own.
    """
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            yield url, seed_org.seed(members=members), patch
    finally:
        emulator.stop(state_dir)


def playbook(url, inventory, name, *args, check=True, env=None):
    """Run playbooks/<name> (or a path) against the emulator; with check=True, fail the test on a failed run."""
    path = Path(name) if Path(name).is_absolute() else REPO / "playbooks" / name
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(path), *args],
        capture_output=True,
        text=True,
        env=env or ansible_env(url),
        cwd=REPO,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"{name} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result


def write_inventory(directory, org, group_vars=REPO / "inventory" / "group_vars"):
    """inventory/hosts.yml's shape for the seeded organization, with the example group_vars."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(yaml.safe_dump(seed_org.inventory_for(org), sort_keys=False))
    (directory / "group_vars").symlink_to(group_vars)
    return directory / "hosts.yml"


def member_session(url, account_id):
    """A boto3 session in a member account, through the role the playbook assumes.

    In the management account, the caller's own: it has no OrganizationAccountAccessRole (Organizations creates that
    role in the accounts it creates), and the emulator, as AWS, refuses to assume a role that does not exist.
    """
    if account_id == emulator.MANAGEMENT_ACCOUNT_ID:
        return boto3.session.Session(region_name=emulator.DEFAULT_REGION)
    creds = boto3.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="harness"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=emulator.DEFAULT_REGION,
    )


def add_legacy_trail(url, account_id, name="team-trail", region=None):
    """An account-level trail in the member, as a team might have made before the organization trail."""
    session = member_session(url, account_id)
    region = region or emulator.DEFAULT_REGION
    bucket = f"legacy-{name}-{account_id}"
    s3 = session.client("s3", endpoint_url=url, region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    cloudtrail = session.client("cloudtrail", endpoint_url=url, region_name=region)
    cloudtrail.create_trail(Name=name, S3BucketName=bucket)
    cloudtrail.start_logging(Name=name)
    return bucket


def organization_trail_delivered(url, minutes_ago=1, name="acme-organization-trail"):
    """Tell the emulator the organization trail delivered log files `minutes_ago` (AWS's first delivery comes
    some minutes after StartLogging; legacy trails are stopped or deleted only once it has)."""
    arn = f"arn:aws:cloudtrail:{emulator.DEFAULT_REGION}:{emulator.MANAGEMENT_ACCOUNT_ID}:trail/{name}"
    delivered = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    moto_server.set_emulator_trail_status(url, arn, LatestDeliveryTime=delivered)
    return arn
