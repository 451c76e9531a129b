"""The emulator harness itself: start/stop by PID, seeding, and the moto fixes.

These run the real server (tools/emulator.py), not the in-process mock.
"""

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import emulator  # noqa: E402  pylint: disable=wrong-import-position
import seed_org  # noqa: E402  pylint: disable=wrong-import-position


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("emulator")
    url = emulator.start(state_dir=state_dir)
    yield url, state_dir
    emulator.stop(state_dir)


@pytest.fixture
def aws(server, monkeypatch):
    url = server[0]
    emulator.reset(url)
    for name, value in emulator.emulator_env(url, base={}).items():
        monkeypatch.setenv(name, value)
    return lambda service, **kw: boto3.client(service, endpoint_url=url, **kw)


def test_start_listens_on_loopback_and_stop_kills_by_pid(tmp_path):
    url = emulator.start(state_dir=tmp_path)
    assert url.startswith("http://127.0.0.1:")
    pid = __import__("json").loads((tmp_path / "emulator.json").read_text())["pid"]
    assert _alive(pid)
    assert emulator.stop(tmp_path) is True
    assert not _alive(pid)
    assert emulator.stop(tmp_path) is False


def test_start_refuses_to_replace_a_running_emulator(tmp_path):
    emulator.start(state_dir=tmp_path)
    try:
        with pytest.raises(RuntimeError, match="already recorded"):
            emulator.start(state_dir=tmp_path)
    finally:
        assert emulator.stop(tmp_path) is True


def test_run_stops_the_emulator_even_when_the_command_fails(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "emulator.py"), "--state-dir", str(tmp_path), "run", "--", "false"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "emulator: stopped" in result.stdout
    assert not (tmp_path / "emulator.json").exists()


def test_seed_builds_the_demo_organization(aws):
    org = seed_org.seed(members=4)
    client = aws("organizations")
    accounts = {a["Id"]: a for a in client.list_accounts()["Accounts"]}
    assert org["management"]["account_id"] == emulator.MANAGEMENT_ACCOUNT_ID
    assert org["log_archive"]["account_id"] in accounts
    assert len(org["members"]) == 4
    assert {m["ou"] for m in org["members"]} == {"/Workloads", "/Sandbox"}
    assert client.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    for member in org["members"]:
        parents = client.list_parents(ChildId=member["account_id"])["Parents"]
        assert parents[0]["Id"] == org["ous"][member["ou"]]
    inventory = seed_org.inventory_for(org)["all"]["children"]
    assert set(inventory) == {"management", "log_archive", "members"}
    assert len(inventory["members"]["hosts"]) == 4


def test_assumed_role_lands_in_the_member_account(aws):
    org = seed_org.seed(members=1)
    member = org["members"][0]["account_id"]
    creds = aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="harness"
    )["Credentials"]
    sts = aws(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert sts.get_caller_identity()["Account"] == member


def test_patch_s3_notification_accepts_capitalised_filters_and_delivers(aws):
    s3, sqs = aws("s3"), aws("sqs")
    s3.create_bucket(Bucket="notify-me")
    queue_url = sqs.create_queue(QueueName="feed")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = [{"Name": "Prefix", "Value": "AWSLogs/"}, {"Name": "Suffix", "Value": ""}]
    s3.put_bucket_notification_configuration(
        Bucket="notify-me",
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": rules}}}
            ]
        },
    )
    stored = s3.get_bucket_notification_configuration(Bucket="notify-me")["QueueConfigurations"][0]
    assert stored["Filter"]["Key"]["FilterRules"][0] == {"Name": "Prefix", "Value": "AWSLogs/"}
    s3.put_object(Bucket="notify-me", Key="other/x.json", Body=b"{}")
    s3.put_object(Bucket="notify-me", Key="AWSLogs/x.json", Body=b"{}")
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]]
    created = [b for b in bodies if "ObjectCreated" in b]
    # S3 URL-encodes keys in event records, as AWS does.
    assert len(created) == 1 and "AWSLogs%2Fx.json" in created[0]


def test_patch_object_lock_reads_back_only_the_unit_set(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="locked",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}},
        },
    )
    rule = s3.get_object_lock_configuration(Bucket="locked")["ObjectLockConfiguration"]["Rule"]
    assert rule == {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}


def test_patch_cloudtrail_delegated_admin(aws):
    org = seed_org.seed(members=0)
    audit = org["log_archive"]["account_id"]
    aws("cloudtrail").register_organization_delegated_admin(MemberAccountId=audit)
    admins = aws("organizations").list_delegated_administrators(ServicePrincipal="cloudtrail.amazonaws.com")
    assert [a["Id"] for a in admins["DelegatedAdministrators"]] == [audit]
    aws("cloudtrail").deregister_organization_delegated_admin(DelegatedAdminAccountId=audit)
    admins = aws("organizations").list_delegated_administrators(ServicePrincipal="cloudtrail.amazonaws.com")
    assert admins["DelegatedAdministrators"] == []


def test_seed_refuses_to_run_without_the_emulator(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://organizations.us-east-1.amazonaws.com")
    with pytest.raises(SystemExit, match="local emulator"):
        seed_org.seed(members=1)


def test_patch_bucket_policy_conditions_do_not_deny_everyone(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="guarded")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::guarded", "arn:aws:s3:::guarded/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyEveryoneThisKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::guarded/secret",
            },
        ],
    }
    s3.put_bucket_policy(Bucket="guarded", Policy=__import__("json").dumps(policy))
    s3.put_object(Bucket="guarded", Key="log", Body=b"x")
    assert s3.get_object(Bucket="guarded", Key="log")["Body"].read() == b"x"
    s3.put_object(Bucket="guarded", Key="secret", Body=b"x")
    with pytest.raises(Exception, match="403|Forbidden|AccessDenied"):
        s3.get_object(Bucket="guarded", Key="secret")


def test_patch_cloudtrail_replace_semantics_and_delete_by_arn(aws):
    aws("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(Name="trail-1", S3BucketName="trail-logs")["TrailARN"]
    insights = [{"InsightType": "ApiCallRateInsight"}]
    cloudtrail.put_insight_selectors(TrailName=arn, InsightSelectors=insights)
    cloudtrail.put_insight_selectors(TrailName=arn, InsightSelectors=insights)
    assert cloudtrail.get_insight_selectors(TrailName=arn)["InsightSelectors"] == insights
    cloudtrail.put_insight_selectors(TrailName=arn, InsightSelectors=[])
    assert cloudtrail.get_insight_selectors(TrailName=arn).get("InsightSelectors", []) == []
    advanced = [{"Name": "m", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    cloudtrail.put_event_selectors(TrailName=arn, AdvancedEventSelectors=advanced)
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=[{"ReadWriteType": "All"}])
    assert not cloudtrail.get_event_selectors(TrailName=arn).get("AdvancedEventSelectors")
    cloudtrail.delete_trail(Name=arn)
    assert cloudtrail.describe_trails()["trailList"] == []


def test_patch_acl_calls_fail_on_bucket_owner_enforced(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="acls-disabled", ObjectOwnership="BucketOwnerEnforced")
    s3.create_bucket(Bucket="acls-enabled", ObjectOwnership="ObjectWriter")
    log_delivery = {
        "Grantee": {"URI": "http://acs.amazonaws.com/groups/s3/LogDelivery", "Type": "Group"},
        "Permission": "FULL_CONTROL",
    }

    def with_log_delivery(bucket):
        """What community.aws.s3_logging does to the target bucket before PutBucketLogging."""
        acl = s3.get_bucket_acl(Bucket=bucket)
        return {"Owner": acl["Owner"], "Grants": acl["Grants"] + [log_delivery]}

    with pytest.raises(s3.exceptions.ClientError) as error:
        s3.put_bucket_acl(Bucket="acls-disabled", AccessControlPolicy=with_log_delivery("acls-disabled"))
    assert error.value.response["Error"] == {
        "Code": "AccessControlListNotSupported",
        "Message": "The bucket does not allow ACLs",
    }
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert log_delivery not in s3.get_bucket_acl(Bucket="acls-disabled")["Grants"]

    s3.put_object(Bucket="acls-disabled", Key="log", Body=b"x")
    with pytest.raises(s3.exceptions.ClientError, match="AccessControlListNotSupported"):
        s3.put_object_acl(Bucket="acls-disabled", Key="log", ACL="public-read")

    # A bucket with ACLs enabled still takes the grant.
    s3.put_bucket_acl(Bucket="acls-enabled", AccessControlPolicy=with_log_delivery("acls-enabled"))
    assert log_delivery in s3.get_bucket_acl(Bucket="acls-enabled")["Grants"]
