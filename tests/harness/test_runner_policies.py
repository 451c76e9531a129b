"""The runner policies in docs/iam/ are enough for a whole playbook run, with the emulator enforcing IAM.

An organization (management, audit, two members, each member with a legacy trail) is seeded with
enforcement off. Then the runner gets only the documented policies: an IAM user `trailguard-runner` in the
management account with docs/iam/management.json, cloudtrail-delegated-admin.json (the run registers the
log-archive account as CloudTrail's delegated administrator) and tamper-alerts-management.json (the management
account's event bus accepts the log-archive account's tamper alerts) as managed policies, and the role the playbook assumes
(OrganizationAccountAccessRole, which moto seeds without any policy) with docs/iam/log-archive.json in the
log-archive account and docs/iam/member.json in the members; the first member also gets
member-legacy-trail-actions.json and deletes its legacy trail. moto's /moto-api/reset-auth then switches
enforcement on and playbooks/org_cloudtrail.yml runs with the runner's keys and the example switches
(CIS monitoring, SIEM kit, access groups on; AWS Config off).

moto checks every request's action against the caller's policies, but it sees them its own way, so each
policy is given to moto in "moto's view" (moto_view below): S3 actions under moto's names, CloudWatch under
its signing name, Resource kept only where moto passes the real ARN (S3 buckets, sts:AssumeRole), and no
Condition (moto reads an unmet condition in an Allow as an explicit deny). docs/iam/README.md says what
this does and does not prove.
"""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]

import emulator
import moto_server
from support import BIN, add_legacy_trail, ansible_env, member_session, playbook, seeded_emulator, write_inventory

POLICIES = REPO / "docs" / "iam"
RUNNER = "trailguard-runner"
ROLE = "OrganizationAccountAccessRole"
LOG_BUCKET = "acme-cloudtrail"  # the example group_vars' prefix, acme
OUTSIDE_BUCKET = "not-trailguards-bucket"

# moto names an S3 request after its own table (moto/s3/responses.py ACTION_MAP), and several real IAM
# actions fall back to one moto name. moto's name is granted only when every real action behind it is.
MOTO_S3_ACTIONS = {
    "s3:HeadBucket": {"s3:ListBucket"},
    "s3:ListBucket": {
        "s3:ListBucket",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketRequestPayment",
        "s3:GetEncryptionConfiguration",
        "s3:GetInventoryConfiguration",
    },
    "s3:CreateBucket": {
        "s3:CreateBucket",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration",
    },
}
# The only services for which moto authorizes against the real resource ARN.
MOTO_RESOURCE_SERVICES = {"s3", "sts"}


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def moto_view(policy):
    """The policy as moto can evaluate it (see the module docstring)."""
    granted = {action for statement in policy["Statement"] for action in _as_list(statement["Action"])}
    statements = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", "moto_view handles Allow statements only"
        actions = set(_as_list(statement["Action"])) - set(MOTO_S3_ACTIONS)
        for moto_name, real in MOTO_S3_ACTIONS.items():
            if real & set(_as_list(statement["Action"])) and real <= granted:
                actions.add(moto_name)
        # CloudWatch's signing name, which moto uses as the action's prefix.
        actions |= {"monitoring:" + action.split(":", 1)[1] for action in actions if action.startswith("cloudwatch:")}
        scoped = {action.split(":", 1)[0] for action in actions} <= MOTO_RESOURCE_SERVICES
        resource = statement["Resource"] if scoped else "*"
        statements.append({"Effect": "Allow", "Action": sorted(actions), "Resource": resource})
    return {"Version": "2012-10-17", "Statement": statements}


def render(name, org):
    """docs/iam/<name> for the seeded organization: the example account IDs replaced by the real ones."""
    text = (POLICIES / name).read_text()
    text = text.replace("111111111111", org["management"]["account_id"])
    return json.loads(text.replace("222222222222", org["log_archive"]["account_id"]))


def set_enforcement(url, on):
    """Switch moto's IAM enforcement on (from the next request) or off."""
    # moto reads the body as a bare number (requests after which to start enforcing), not as a form.
    body = b"0" if on else b"inf"
    request = urllib.request.Request(
        f"{url}/moto-api/reset-auth", data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec: loopback only
        assert response.status == 200


def runner_client(url, keys, service):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=emulator.DEFAULT_REGION,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
    )


def put_runner_policy(url, *documents):
    """Make `documents` (moto's view) the runner's only policies, managed ones as README.md advises."""
    iam = boto3.client("iam", endpoint_url=url)
    for attached in iam.list_attached_user_policies(UserName=RUNNER)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=RUNNER, PolicyArn=attached["PolicyArn"])
        iam.delete_policy(PolicyArn=attached["PolicyArn"])
    for index, document in enumerate(documents):
        name = f"TrailguardRunner{index}"
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=RUNNER, PolicyArn=arn)


def runner_policies(org, management=None):
    """The runner's documented policies, in moto's view; `management` replaces management.json's document."""
    return (
        moto_view(management or render("management.json", org)),
        moto_view(render("cloudtrail-delegated-admin.json", org)),
        moto_view(render("tamper-alerts-management.json", org)),
    )


def give_role(url, account_id, *names, org):
    """The assumed role in `account_id` gets exactly the named policies (moto's view), inline."""
    iam = member_session(url, account_id).client("iam", endpoint_url=url)
    for name in names:
        iam.put_role_policy(
            RoleName=ROLE, PolicyName=Path(name).stem, PolicyDocument=json.dumps(moto_view(render(name, org)))
        )


def adhoc(url, keys, module, **args):
    """One module task, trailguard.cloudtrail.<module>, with the runner's keys."""
    args = json.dumps(dict(args, region=emulator.DEFAULT_REGION))
    return subprocess.run(
        [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}",
         "-m", f"trailguard.cloudtrail.{module}", "-a", args],
        capture_output=True, text=True, cwd=REPO, check=False,
        env=ansible_env(url, AWS_ACCESS_KEY_ID=keys["AccessKeyId"], AWS_SECRET_ACCESS_KEY=keys["SecretAccessKey"]),
    )  # fmt: skip


def adhoc_organization_info(url, keys):
    return adhoc(url, keys, "organization_info")


@pytest.fixture(scope="module")
def enforced_run(tmp_path_factory):
    """The organization set up by a playbook run as the least-privilege runner, enforcement still on."""
    work = tmp_path_factory.mktemp("runner-policies")
    with seeded_emulator(work, members=2) as (url, org, _patch):
        deleting, reporting = org["members"]
        for member in org["members"]:
            add_legacy_trail(url, member["account_id"])
        inventory = write_inventory(work / "inventory", org)
        (work / "inventory" / "host_vars").mkdir()
        (work / "inventory" / "host_vars" / f"{deleting['name']}.yml").write_text("legacy_trails_action: delete\n")

        iam = boto3.client("iam", endpoint_url=url)
        iam.create_user(UserName=RUNNER)
        keys = iam.create_access_key(UserName=RUNNER)["AccessKey"]
        put_runner_policy(url, *runner_policies(org))
        log_archive = org["log_archive"]["account_id"]
        give_role(url, log_archive, "log-archive.json", org=org)
        member_session(url, log_archive).client("s3", endpoint_url=url).create_bucket(Bucket=OUTSIDE_BUCKET)
        give_role(url, deleting["account_id"], "member.json", "member-legacy-trail-actions.json", org=org)
        give_role(url, reporting["account_id"], "member.json", org=org)

        # The organization trail has delivered by the time the legacy trails are handled, as minutes later on AWS.
        moto_server.set_emulator_trail_status(url, first_delivery_seconds=0)
        set_enforcement(url, on=True)
        env = ansible_env(url, AWS_ACCESS_KEY_ID=keys["AccessKeyId"], AWS_SECRET_ACCESS_KEY=keys["SecretAccessKey"])
        delegated_admin = ("-e", f"trail_delegated_admin_account_id={log_archive}")
        run = playbook(url, inventory, "org_cloudtrail.yml", *delegated_admin, check=False, env=env)
        yield {"url": url, "org": org, "keys": keys, "run": run, "deleting": deleting, "reporting": reporting}


def test_the_documented_policies_are_enough_for_a_whole_run(enforced_run):
    run = enforced_run["run"]
    assert run.returncode == 0, f"the run failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    # account_trails turns a member's AWS error into a per-account error instead of failing the task.
    assert "AccessDenied" not in run.stdout
    assert "): failed: " not in run.stdout
    assert "trail team-trail in us-east-1" in run.stdout
    assert "Action delete: deleted." in run.stdout
    assert "Action report: reported." in run.stdout

    url = enforced_run["url"]
    set_enforcement(url, on=False)
    try:
        trails = {
            member["name"]: [
                trail["Name"]
                for trail in member_session(url, member["account_id"])
                .client("cloudtrail", endpoint_url=url)
                .list_trails()["Trails"]
                if f":{member['account_id']}:" in trail["TrailARN"]
            ]
            for member in (enforced_run["deleting"], enforced_run["reporting"])
        }
        organization_trails = boto3.client("cloudtrail", endpoint_url=url).describe_trails()["trailList"]
        delegated = boto3.client("organizations", endpoint_url=url).list_delegated_administrators(
            ServicePrincipal="cloudtrail.amazonaws.com"
        )["DelegatedAdministrators"]
    finally:
        set_enforcement(url, on=True)
    assert trails == {enforced_run["deleting"]["name"]: [], enforced_run["reporting"]["name"]: ["team-trail"]}
    assert [trail["Name"] for trail in organization_trails if trail["IsOrganizationTrail"]] == [
        "acme-organization-trail"
    ]
    assert [admin["Id"] for admin in delegated] == [enforced_run["org"]["log_archive"]["account_id"]]


def test_enforcement_is_on_and_bucket_scoping_is_enforced(enforced_run):
    url, keys, org = enforced_run["url"], enforced_run["keys"], enforced_run["org"]
    with pytest.raises(ClientError, match="AccessDenied"):
        runner_client(url, keys, "iam").list_users()  # not in management.json
    role = runner_client(url, keys, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{org['log_archive']['account_id']}:role/{ROLE}", RoleSessionName="check"
    )["Credentials"]
    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=role["AccessKeyId"],
        aws_secret_access_key=role["SecretAccessKey"],
        aws_session_token=role["SessionToken"],
    )
    assert s3.get_bucket_versioning(Bucket=LOG_BUCKET)["Status"] == "Enabled"
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_bucket_versioning(Bucket=OUTSIDE_BUCKET)  # log-archive.json names only Trailguard's buckets


def test_one_missing_action_fails_the_task_that_needs_it(enforced_run):
    url, keys, org = enforced_run["url"], enforced_run["keys"], enforced_run["org"]
    policy = render("management.json", org)
    needed = "organizations:DescribeOrganization"
    without = {
        "Version": policy["Version"],
        "Statement": [
            dict(statement, Action=[action for action in _as_list(statement["Action"]) if action != needed])
            for statement in policy["Statement"]
        ],
    }
    set_enforcement(url, on=False)
    put_runner_policy(url, *runner_policies(org, management=without))
    set_enforcement(url, on=True)
    try:
        failed = adhoc_organization_info(url, keys)
    finally:
        set_enforcement(url, on=False)
        put_runner_policy(url, *runner_policies(org))
        set_enforcement(url, on=True)
    passed = adhoc_organization_info(url, keys)
    assert failed.returncode != 0
    assert "AccessDenied" in failed.stdout and needed in failed.stdout, failed.stdout[-3000:]
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert org["organization_id"] in passed.stdout


def test_registering_a_delegated_administrator_needs_the_delegated_admin_policy(enforced_run):
    """The registration task fails with AccessDenied with management.json alone, and passes with the file beside it."""
    url, keys, org = enforced_run["url"], enforced_run["keys"], enforced_run["org"]
    register = dict(
        service_principals=["cloudtrail.amazonaws.com"],
        delegated_administrators=[enforced_run["reporting"]["account_id"]],
    )
    set_enforcement(url, on=False)
    put_runner_policy(url, moto_view(render("management.json", org)))
    set_enforcement(url, on=True)
    try:
        failed = adhoc(url, keys, "organizations_trusted_access", **register)
    finally:
        set_enforcement(url, on=False)
        put_runner_policy(url, *runner_policies(org))
        set_enforcement(url, on=True)
    passed = adhoc(url, keys, "organizations_trusted_access", **register)
    assert failed.returncode != 0
    assert (
        "AccessDenied" in failed.stdout and "cloudtrail:RegisterOrganizationDelegatedAdmin" in failed.stdout
    ), failed.stdout[-3000:]
    assert passed.returncode == 0 and "localhost | CHANGED" in passed.stdout, passed.stdout[-3000:]
