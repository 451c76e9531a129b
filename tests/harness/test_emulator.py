"""The emulator harness itself: start/stop by PID, seeding, and the moto fixes.

These run the real server (tools/emulator.py), not the in-process mock.
"""

import datetime
import json
import os
import subprocess
import sys
import urllib.error
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import moto_server
import seed_org


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


def _session_in(aws, account_id):
    """A boto3 client factory for another account of the organization, through its OrganizationAccountAccessRole."""
    creds = aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="harness"
    )["Credentials"]
    return lambda service, **kw: aws(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        **kw,
    )


def _bucket(s3, name, region):
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def test_patch_list_trails_lists_the_whole_account_from_any_region(aws):
    """CloudTrail API Reference, ListTrails: "Lists trails that are in the current account", with each HomeRegion.

    CloudTrail User Guide, "Creating a trail for an organization": the organization trail is created in every
    account of the organization, so a member lists it too, under the management account's ARN.
    """
    org = seed_org.seed(members=1)
    member = org["members"][0]["account_id"]
    trails = {
        "org-trail": ("us-east-1", True),
        "eu-trail": ("eu-west-1", False),
        "sydney-trail": ("ap-southeast-2", False),
    }
    for name, (region, organization) in trails.items():
        _bucket(aws("s3", region_name=region), f"{name}-logs", region)
        aws("cloudtrail", region_name=region).create_trail(
            Name=name, S3BucketName=f"{name}-logs", IsOrganizationTrail=organization, IsMultiRegionTrail=organization
        )
    member_aws = _session_in(aws, member)
    _bucket(member_aws("s3", region_name="eu-west-1"), "member-trail-logs", "eu-west-1")
    member_aws("cloudtrail", region_name="eu-west-1").create_trail(
        Name="member-trail", S3BucketName="member-trail-logs"
    )

    # From a region where the management account has no trail at all.
    listed = aws("cloudtrail", region_name="us-west-2").list_trails()["Trails"]
    management = emulator.MANAGEMENT_ACCOUNT_ID
    assert sorted((t["Name"], t["HomeRegion"], t["TrailARN"]) for t in listed) == sorted(
        (name, region, f"arn:aws:cloudtrail:{region}:{management}:trail/{name}")
        for name, (region, _created) in trails.items()
    )
    # The member: its own trail and the organization trail, from any region; never the management's own trails.
    for region in ("us-east-1", "eu-central-1"):
        seen = member_aws("cloudtrail", region_name=region).list_trails()["Trails"]
        assert sorted((t["TrailARN"], t["HomeRegion"]) for t in seen) == [
            (f"arn:aws:cloudtrail:eu-west-1:{member}:trail/member-trail", "eu-west-1"),
            (f"arn:aws:cloudtrail:us-east-1:{management}:trail/org-trail", "us-east-1"),
        ]
    # An account outside the organization sees none of them. It has no role to assume (the emulator refuses, as AWS
    # does), so the request names the account in moto's x-moto-account-id header (moto's multi-account documentation).
    outsider = aws("cloudtrail")
    outsider.meta.events.register(
        "before-send.cloudtrail.ListTrails",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id", "999988887777"),
    )
    assert outsider.list_trails()["Trails"] == []


def test_patch_trail_status_reports_deliveries_and_what_a_test_sets(aws, server):
    """CloudTrail API Reference, GetTrailStatus: LatestDeliveryTime is the last delivery of log files to the bucket;
    a new trail has none until its first delivery (CloudTrail User Guide, "Finding your CloudTrail log files": log
    files come about every 5 minutes)."""
    url = server[0]
    aws("s3").create_bucket(Bucket="status-logs")
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(Name="status-trail", S3BucketName="status-logs")["TrailARN"]
    assert "StartLoggingTime" not in cloudtrail.get_trail_status(Name=arn)
    cloudtrail.start_logging(Name=arn)
    started = cloudtrail.get_trail_status(Name=arn)
    assert started["IsLogging"] is True and "StartLoggingTime" in started
    assert "LatestDeliveryTime" not in started  # waiting for the first delivery, as in AWS
    # StartLogging on a logging trail changes nothing.
    cloudtrail.start_logging(Name=arn)
    assert cloudtrail.get_trail_status(Name=arn)["StartLoggingTime"] == started["StartLoggingTime"]

    delivered = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(minutes=3)
    moto_server.set_emulator_trail_status(
        url,
        arn,
        LatestDeliveryTime=delivered,
        LatestDeliveryError="AccessDenied",
        LatestCloudWatchLogsDeliveryError="x",
    )
    status = cloudtrail.get_trail_status(Name=arn)
    assert status["LatestDeliveryTime"] == delivered
    assert (status["LatestDeliveryError"], status["LatestCloudWatchLogsDeliveryError"]) == ("AccessDenied", "x")
    moto_server.set_emulator_trail_status(url, arn, LatestDeliveryError=None, LatestCloudWatchLogsDeliveryError=None)
    status = cloudtrail.get_trail_status(Name=arn)
    assert "LatestDeliveryError" not in status and status["LatestDeliveryTime"] == delivered

    with pytest.raises(urllib.error.HTTPError) as error:
        moto_server.set_emulator_trail_status(url, arn, IsLogging=False)
    assert error.value.code == 400 and "unknown trail status fields ['IsLogging']" in error.value.read().decode()

    # With no delay, a trail delivers (to S3 and to its CloudWatch Logs group) as soon as it starts logging.
    moto_server.set_emulator_trail_status(url, first_delivery_seconds=0)
    aws("logs").create_log_group(logGroupName="trail-group")
    group = aws("logs").describe_log_groups()["logGroups"][0]["arn"]
    now_arn = cloudtrail.create_trail(
        Name="at-once",
        S3BucketName="status-logs",
        CloudWatchLogsLogGroupArn=group,
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/r",
    )["TrailARN"]
    cloudtrail.start_logging(Name=now_arn)
    status = cloudtrail.get_trail_status(Name=now_arn)
    assert status["LatestDeliveryTime"] == status["StartLoggingTime"] == status["LatestCloudWatchLogsDeliveryTime"]
    # A reset restores AWS's delay.
    emulator.reset(url)
    aws("s3").create_bucket(Bucket="status-logs")
    again = aws("cloudtrail").create_trail(Name="after-reset", S3BucketName="status-logs")["TrailARN"]
    aws("cloudtrail").start_logging(Name=again)
    assert "LatestDeliveryTime" not in aws("cloudtrail").get_trail_status(Name=again)


def test_patch_trail_status_schedule():
    """The first delivery FirstDeliverySeconds after the start, then one every interval, none after the end."""
    assert moto_server._latest_delivery(1000, 1299, 300, 300) is None  # pylint: disable=protected-access
    assert moto_server._latest_delivery(1000, 1300, 300, 300) == 1300  # pylint: disable=protected-access
    assert moto_server._latest_delivery(1000, 2199, 300, 300) == 1900  # pylint: disable=protected-access


def _policy_of_size(bucket, size):
    """A valid bucket policy whose whitespace-free JSON is exactly `size` bytes."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/x",
            }
        ],
    }
    policy["Statement"][0]["Sid"] = "a" * (size - len(json.dumps(policy, separators=(",", ":"))))
    return policy


def test_patch_bucket_policy_over_20_kb_is_refused(aws):
    """Amazon S3 User Guide, "Bucket policies and user policies": "Bucket policies are limited to 20 KB in size."."""
    s3 = aws("s3")
    s3.create_bucket(Bucket="policy-size")
    largest = _policy_of_size("policy-size", 20 * 1024)
    # The size is the policy's, not its formatting's: the largest policy, indented, still fits.
    s3.put_bucket_policy(Bucket="policy-size", Policy=json.dumps(largest, indent=4))
    assert json.loads(s3.get_bucket_policy(Bucket="policy-size")["Policy"]) == largest
    with pytest.raises(s3.exceptions.ClientError) as error:
        s3.put_bucket_policy(Bucket="policy-size", Policy=json.dumps(_policy_of_size("policy-size", 20 * 1024 + 1)))
    assert error.value.response["Error"]["Code"] == "PolicyTooLarge"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The policy in place is kept.
    assert json.loads(s3.get_bucket_policy(Bucket="policy-size")["Policy"]) == largest


def test_patch_config_refuses_a_delivery_channel_to_an_object_lock_bucket(aws):
    """AWS::Config::DeliveryChannel reference: "AWS Config does not support the delivery channel to an Amazon S3
    bucket bucket where object lock is enabled."."""
    org = seed_org.seed(members=1)
    log_archive = _session_in(aws, org["log_archive"]["account_id"])
    log_archive("s3").create_bucket(Bucket="locked-archive", ObjectLockEnabledForBucket=True)
    log_archive("s3").create_bucket(Bucket="plain-archive")
    config = _session_in(aws, org["members"][0]["account_id"])("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::111111111111:role/config"}
    )
    with pytest.raises(config.exceptions.ClientError) as error:
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "locked-archive"})
    assert error.value.response["Error"]["Code"] == "InsufficientDeliveryPolicyException"
    assert "Object Lock" in error.value.response["Error"]["Message"]
    assert config.describe_delivery_channels()["DeliveryChannels"] == []
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "plain-archive"})
    assert config.describe_delivery_channels()["DeliveryChannels"][0]["s3BucketName"] == "plain-archive"


def test_patch_lifecycle_keeps_object_size_filters(aws):
    """Amazon S3 User Guide, "Lifecycle configuration elements": a rule's filter may name ObjectSizeGreaterThan and
    ObjectSizeLessThan, alone or in an And; S3 stores and returns them."""
    s3 = aws("s3")
    s3.create_bucket(Bucket="lifecycle-sizes")
    rules = [
        {
            "ID": "larger-to-glacier",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "", "ObjectSizeGreaterThan": 131072}},
            "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
        },
        {"ID": "every-size", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 0}, "Expiration": {"Days": 180}},
        {"ID": "no-size", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket="lifecycle-sizes", LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket="lifecycle-sizes")["Rules"] == rules


def test_one_configuration_recorder_and_one_delivery_channel_per_region(aws):
    """AWS Config API Reference, PutConfigurationRecorder and PutDeliveryChannel: an account has one configuration
    recorder and one delivery channel per region. Stock moto already refuses a second of each, as AWS does."""
    config = aws("config")
    aws("s3").create_bucket(Bucket="config-archive")
    recorder = {"name": "aws-controltower-BaselineConfigRecorder", "roleARN": "arn:aws:iam::123456789012:role/c"}
    config.put_configuration_recorder(ConfigurationRecorder=recorder)
    with pytest.raises(config.exceptions.MaxNumberOfConfigurationRecordersExceededException):
        config.put_configuration_recorder(ConfigurationRecorder=dict(recorder, name="default"))
    config.put_delivery_channel(DeliveryChannel={"name": "aws-controltower-channel", "s3BucketName": "config-archive"})
    with pytest.raises(config.exceptions.MaxNumberOfDeliveryChannelsExceededException):
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-archive"})


def test_list_public_keys_returns_the_key_that_signs_digest_files(aws):
    """AWS CloudTrail API Reference, ListPublicKeys: the public keys whose private keys signed digest files in
    [StartTime, EndTime], each a DER-encoded PKCS #1 Value with its validity and Fingerprint; a start after the
    end is InvalidTimeRangeException. Stock moto answers 500 (not implemented)."""
    import cloudtrail_delivery  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import padding  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel

    cloudtrail = aws("cloudtrail", region_name="eu-west-1")
    start = datetime.datetime(2026, 11, 18, tzinfo=datetime.timezone.utc)
    keys = cloudtrail.list_public_keys(StartTime=start, EndTime=start + datetime.timedelta(hours=3))["PublicKeyList"]
    assert [key["Fingerprint"] for key in keys] == [cloudtrail_delivery.fingerprint()]
    assert keys[0]["ValidityStartTime"] <= start <= keys[0]["ValidityEndTime"]
    public_key = serialization.load_der_public_key(keys[0]["Value"])
    signature = cloudtrail_delivery.signing_key().sign(b"digest", padding.PKCS1v15(), hashes.SHA256())
    public_key.verify(signature, b"digest", padding.PKCS1v15(), hashes.SHA256())  # raises if it is another key
    assert cloudtrail.list_public_keys()["PublicKeyList"]  # now, by default
    old = datetime.datetime(2010, 1, 1, tzinfo=datetime.timezone.utc)
    assert cloudtrail.list_public_keys(StartTime=old, EndTime=old + datetime.timedelta(days=1))["PublicKeyList"] == []
    with pytest.raises(cloudtrail.exceptions.InvalidTimeRangeException):
        cloudtrail.list_public_keys(StartTime=start, EndTime=start - datetime.timedelta(hours=1))


def test_patch_metric_filters_are_replaced_by_name_and_sorted(aws):
    """CloudWatch Logs API Reference, PutMetricFilter ("Creates or updates a metric filter"; ResourceNotFoundException
    for a missing log group) and DescribeMetricFilters ("ASCII-sorted by filter name"). Stock moto kept a second copy
    on every update, so an updated filter survived its deletion."""
    logs = aws("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="trail")
    transformation = [{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]
    for name, pattern in (("b-filter", "ERROR"), ("a-filter", "WARN"), ("b-filter", "FATAL")):
        logs.put_metric_filter(
            logGroupName="trail", filterName=name, filterPattern=pattern, metricTransformations=transformation
        )
    found = logs.describe_metric_filters(logGroupName="trail")["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in found] == [("a-filter", "WARN"), ("b-filter", "FATAL")]
    logs.delete_metric_filter(logGroupName="trail", filterName="b-filter")
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName="trail")["metricFilters"]] == [
        "a-filter"
    ]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_metric_filter(
            logGroupName="missing", filterName="x", filterPattern="", metricTransformations=transformation
        )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_metric_filters(logGroupName="missing")


def test_patch_assume_role_needs_the_role(aws):
    """IAM User Guide, "Troubleshoot IAM roles" ("I can't assume a role"): the role must exist under the exact,
    case-sensitive name; AWS STS answers AccessDenied otherwise. Creating the role makes the same call succeed."""
    org = seed_org.seed(members=0)
    log_archive = org["log_archive"]["account_id"]
    arn = f"arn:aws:iam::{log_archive}:role/TrailguardDeploy"
    sts = aws("sts")
    for missing in (arn, arn.replace("TrailguardDeploy", "trailguarddeploy")):
        with pytest.raises(sts.exceptions.ClientError) as denied:
            sts.assume_role(RoleArn=missing, RoleSessionName="harness")
        error = denied.value.response["Error"]
        assert error["Code"] == "AccessDenied" and denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error["Message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {missing}")

    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{log_archive}:role/OrganizationAccountAccessRole", RoleSessionName="harness"
    )["Credentials"]
    session = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    aws("iam", **session).create_role(RoleName="TrailguardDeploy", AssumeRolePolicyDocument="{}")
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="harness")["AssumedRoleUser"]
    assert assumed["Arn"] == f"arn:aws:sts::{log_archive}:assumed-role/TrailguardDeploy/harness"


def test_patch_default_policies_are_attached_only_while_their_type_is_enabled(aws):
    """AWS Organizations User Guide, "Disabling a policy type"
    (https://docs.aws.amazon.com/organizations/latest/userguide/disable-policy-type.html): once SCPs are enabled every
    root, OU and account starts with only FullAWSAccess attached, and disabling them detaches every SCP without
    deleting it. "RCP evaluation": RCPFullAWSAccess is attached everywhere when RCPs are enabled. AttachPolicy
    (API Reference): PolicyTypeNotEnabledException until the type is enabled in the root."""
    org = seed_org.seed(members=2)
    client = aws("organizations")
    root = client.list_roots()["Roots"][0]["Id"]

    def targets(policy_id):
        return sorted(t["TargetId"] for t in client.list_targets_for_policy(PolicyId=policy_id)["Targets"])

    every = sorted([root, *org["ous"].values(), *(a["Id"] for a in client.list_accounts()["Accounts"])])
    assert len(every) == 1 + len(org["ous"]) + 4
    assert targets("p-FullAWSAccess") == [] and targets("p-RCPFullAWSAccess") == []
    scp = client.create_policy(
        Name="deny-leave",
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}],
            }
        ),
    )["Policy"]["PolicySummary"]["Id"]
    with pytest.raises(client.exceptions.PolicyTypeNotEnabledException):
        client.attach_policy(PolicyId=scp, TargetId=root)

    client.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert targets("p-FullAWSAccess") == every and targets("p-RCPFullAWSAccess") == []
    client.attach_policy(PolicyId=scp, TargetId=root)
    # What is created while SCPs are enabled starts with FullAWSAccess, and with no RCP while RCPs are disabled.
    ou = client.create_organizational_unit(ParentId=root, Name="Later")["OrganizationalUnit"]["Id"]
    account = client.create_account(AccountName="later", Email="later@example.com")["CreateAccountStatus"]["AccountId"]
    assert {ou, account} <= set(targets("p-FullAWSAccess"))
    assert targets("p-RCPFullAWSAccess") == []
    client.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    assert targets("p-RCPFullAWSAccess") == sorted([*every, ou, account])

    # A deleted OU is no policy's target; disabling SCPs then detaches every SCP, and deletes none.
    gone = client.create_organizational_unit(ParentId=root, Name="Gone")["OrganizationalUnit"]["Id"]
    client.delete_organizational_unit(OrganizationalUnitId=gone)
    assert gone not in targets("p-FullAWSAccess")
    client.disable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert targets("p-FullAWSAccess") == [] and targets(scp) == []
    assert client.describe_policy(PolicyId=scp)["Policy"]["PolicySummary"]["Name"] == "deny-leave"
    assert targets("p-RCPFullAWSAccess") == sorted([*every, ou, account]), "RCPs are still enabled"
    client.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert targets("p-FullAWSAccess") == sorted([*every, ou, account]) and targets(scp) == []


def _queue_receiving(aws_client, name):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _drain(aws_client, url):
    sqs, bodies = aws_client("sqs"), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


S3_CALL = {
    "Source": "aws.s3",
    "DetailType": "AWS API Call via CloudTrail",
    "Detail": json.dumps({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"}),
    "Resources": ["arn:aws:s3:::logs"],
}


def test_patch_events_deliver_to_sns_topics_whole_events_and_never_from_disabled_rules(aws):
    """EventBridge User Guide, "Event bus targets in Amazon EventBridge" (an SNS topic is a target) and "Amazon
    EventBridge events" (the event a target gets has `account`); PutRule API Reference (DISABLED: EventBridge
    does not match any events). Stock moto answered PutEvents with a 500 for an SNS target."""
    events, sns = aws("events"), aws("sns")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    via_topic, via_topic_arn = _queue_receiving(aws, "via-topic")
    direct, direct_arn = _queue_receiving(aws, "direct")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=via_topic_arn)
    events.put_rule(Name="to-topic", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.put_targets(Rule="to-topic", Targets=[{"Id": "topic", "Arn": topic}, {"Id": "queue", "Arn": direct_arn}])

    event_id = events.put_events(Entries=[S3_CALL])["Entries"][0]["EventId"]

    [notification] = _drain(aws, via_topic)
    published = json.loads(notification["Message"])
    [received] = _drain(aws, direct)
    for event in (published, received):
        assert event["id"] == event_id and event["account"] == "123456789012" and event["source"] == "aws.s3"
        assert event["resources"] == ["arn:aws:s3:::logs"] and event["detail"]["eventName"] == "PutBucketPolicy"
        assert datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")

    events.disable_rule(Name="to-topic")
    events.put_events(Entries=[S3_CALL])
    assert _drain(aws, via_topic) == [] and _drain(aws, direct) == []


def test_patch_events_forward_to_another_accounts_bus_unchanged_and_only_as_its_policy_allows(aws):
    """EventBridge User Guide, "Sending and receiving events between AWS accounts in Amazon EventBridge": the
    receiver's rules match events that come from the sender account, by its ID in `account`; and "Permissions
    for event buses": the default bus only allows events from its own account until its policy names others."""
    org = seed_org.seed(members=1)
    sender_id, stranger_id = org["log_archive"]["account_id"], org["members"][0]["account_id"]
    receiver = aws("events")
    receiver_bus = receiver.describe_event_bus(Name="default")["Arn"]
    inbox, inbox_arn = _queue_receiving(aws, "inbox")
    pattern = {"source": ["aws.s3"], "account": [sender_id, stranger_id]}
    receiver.put_rule(Name="from-sender", EventPattern=json.dumps(pattern))
    receiver.put_targets(Rule="from-sender", Targets=[{"Id": "inbox", "Arn": inbox_arn}])

    def forwarding(account_id):
        session = _session_in(aws, account_id)
        events = session("events")
        events.put_rule(Name="forward", EventPattern=json.dumps({"source": ["aws.s3"]}))
        role = f"arn:aws:iam::{account_id}:role/forwarder"
        events.put_targets(Rule="forward", Targets=[{"Id": "bus", "Arn": receiver_bus, "RoleArn": role}])
        return events

    sender, stranger = forwarding(sender_id), forwarding(stranger_id)
    sender.put_events(Entries=[S3_CALL])
    assert _drain(aws, inbox) == [], "the receiving bus has no policy yet"

    allow = {
        "Sid": "FromSender",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{sender_id}:root"},
        "Action": "events:PutEvents",
        "Resource": receiver_bus,
    }
    receiver.put_permission(Policy=json.dumps({"Version": "2012-10-17", "Statement": [allow]}))
    event_id = sender.put_events(Entries=[S3_CALL])["Entries"][0]["EventId"]
    [event] = _drain(aws, inbox)
    assert event["id"] == event_id and event["account"] == sender_id
    assert event["resources"] == ["arn:aws:s3:::logs"] and event["detail"]["eventName"] == "PutBucketPolicy"

    stranger.put_events(Entries=[S3_CALL])
    assert _drain(aws, inbox) == [], "the policy names the sender only"


def test_patch_athena_workgroups_and_saved_queries_as_the_api_reference_documents(aws):
    """Athena API Reference: GetWorkGroup (a missing workgroup is InvalidRequestException "WorkGroup <name> is not
    found."), UpdateWorkGroup and WorkGroupConfigurationUpdates (only the settings given change;
    RemoveBytesScannedCutoffPerQuery unsets the limit), BatchGetNamedQuery (an ID it cannot return is in
    UnprocessedNamedQueryIds), UpdateNamedQuery, DeleteNamedQuery, and DeleteWorkGroup (a workgroup holding saved
    queries goes only with RecursiveDeleteOption)."""
    athena = aws("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException, match="WorkGroup nowhere is not found."):
        athena.get_work_group(WorkGroup="nowhere")
    athena.create_work_group(
        Name="investigations",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}, "BytesScannedCutoffPerQuery": 10**8},
    )
    athena.update_work_group(
        WorkGroup="investigations",
        State="DISABLED",
        ConfigurationUpdates={
            "ResultConfigurationUpdates": {"EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "key"}},
            "RemoveBytesScannedCutoffPerQuery": True,
        },
    )
    work_group = athena.get_work_group(WorkGroup="investigations")["WorkGroup"]
    assert work_group["State"] == "DISABLED"
    assert work_group["Configuration"]["ResultConfiguration"] == {
        "OutputLocation": "s3://results/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "key"},
    }
    assert "BytesScannedCutoffPerQuery" not in work_group["Configuration"]

    query_id = athena.create_named_query(Name="q", Database="d", QueryString="SELECT 1", WorkGroup="investigations")[
        "NamedQueryId"
    ]
    athena.update_named_query(NamedQueryId=query_id, Name="q2", Description="two", QueryString="SELECT 2")
    found = athena.batch_get_named_query(NamedQueryIds=[query_id, "no-such-id"])
    assert [(q["Name"], q["Description"], q["QueryString"], q["Database"]) for q in found["NamedQueries"]] == [
        ("q2", "two", "SELECT 2", "d")
    ]
    assert [item["NamedQueryId"] for item in found["UnprocessedNamedQueryIds"]] == ["no-such-id"]
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.delete_work_group(WorkGroup="investigations")
    athena.delete_named_query(NamedQueryId=query_id)
    assert athena.list_named_queries(WorkGroup="investigations")["NamedQueryIds"] == []
    athena.create_named_query(Name="q", Database="d", QueryString="SELECT 1", WorkGroup="investigations")
    athena.delete_work_group(WorkGroup="investigations", RecursiveDeleteOption=True)
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_work_group(WorkGroup="investigations")
