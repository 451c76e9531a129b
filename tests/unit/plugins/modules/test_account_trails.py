"""account_trails: find, stop or delete accounts' own trails, against moto's in-process mock.

The mock runs with the emulator's fixes (tests/unit/conftest.py): ListTrails lists the whole account, and
GetTrailStatus reports no delivery until one happens or a test sets it (moto_server.set_trail_status).
"""

import datetime

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from moto_server import set_trail_status

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.modules import account_trails

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
MANAGEMENT = "123456789012"
ORG_TRAIL = "acme-organization-trail"
ORG_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/{ORG_TRAIL}"
NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(autouse=True)
def shared_botocore_loader(monkeypatch):
    """Speed only: the module makes a boto3 session per client, and each would re-read botocore's service models."""
    loader = botocore.loaders.create_loader()
    monkeypatch.setattr(botocore.session, "create_loader", lambda *args, **kwargs: loader)


def session(account=None):
    if account in (None, MANAGEMENT):
        return boto3.session.Session(region_name=REGION)
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="unit-test"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def add_trail(account, name, region=REGION, logging=True, **settings):
    aws = session(account)
    bucket = f"{name}-{account}-logs"
    s3 = aws.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    cloudtrail = aws.client("cloudtrail", region_name=region)
    arn = cloudtrail.create_trail(Name=name, S3BucketName=bucket, **settings)["TrailARN"]
    if logging:
        cloudtrail.start_logging(Name=name)
    return arn


def trails(account, region=REGION):
    """{name: logging} of the account's own trails in the region."""
    cloudtrail = session(account).client("cloudtrail", region_name=region)
    return {
        trail["Name"]: cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"]
        for trail in cloudtrail.describe_trails(includeShadowTrails=False)["trailList"]
    }


def buckets(account):
    return sorted(bucket["Name"] for bucket in session(account).client("s3").list_buckets()["Buckets"])


def delivered(minutes_ago=2, **fields):
    """The organization trail has delivered log files `minutes_ago` (as CloudTrail reports it)."""
    set_trail_status(ORG_TRAIL_ARN, LatestDeliveryTime=NOW - datetime.timedelta(minutes=minutes_ago), **fields)


@pytest.fixture
def organization():
    """A logging organization trail that has not delivered yet; member A has two trails, member B one."""
    with mock_aws():
        org = boto3.client("organizations", region_name=REGION)
        org.create_organization(FeatureSet="ALL")
        members = [
            org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
            for name in ("member-a", "member-b")
        ]
        add_trail(MANAGEMENT, ORG_TRAIL, IsOrganizationTrail=True, IsMultiRegionTrail=True)
        add_trail(members[0], "team-trail")
        add_trail(members[0], "old-eu-trail", region=OTHER_REGION)
        add_trail(members[1], "keep-trail")
        yield {"a": members[0], "b": members[1]}


def args(org, **overrides):
    result = {
        "organization_trail_arn": ORG_TRAIL_ARN,
        "accounts": [
            {"account_id": org["a"], "name": "member-a"},
            {"account_id": org["b"], "name": "member-b"},
        ],
    }
    result.update(overrides)
    return result


def test_report_lists_each_accounts_own_trails_of_every_region_and_changes_nothing(run_module, organization):
    result = run_module(account_trails.main, args(organization))
    assert result["changed"] is False
    assert result["legacy_trail_count"] == 3 and result["actions"] == [] and result["regions"] == []
    # Reporting never needs the organization trail.
    assert "organization_trail" not in result
    first, second = result["accounts"]
    assert (first["name"], first["action"]) == ("member-a", "report")
    assert sorted((t["name"], t["home_region"]) for t in first["trails"]) == [
        ("old-eu-trail", OTHER_REGION),
        ("team-trail", REGION),
    ]
    team = next(t for t in first["trails"] if t["name"] == "team-trail")
    assert team["s3_bucket_name"] == f"team-trail-{organization['a']}-logs"
    assert team["is_logging"] and team["logs_management_events"] and not team["is_multi_region_trail"]
    assert team["note"] == account_trails.DUPLICATE_COST_NOTE and team["result"] == "reported"
    # The organization trail, which ListTrails also lists in the members, is never one of theirs.
    assert [t["name"] for t in second["trails"]] == ["keep-trail"]
    assert trails(organization["a"]) == {"team-trail": True}


def test_regions_limits_the_report_and_the_actions_to_those_home_regions(run_module, organization):
    delivered()
    result = run_module(account_trails.main, args(organization, regions=[OTHER_REGION], action="delete"))
    assert result["regions"] == [OTHER_REGION] and result["legacy_trail_count"] == 1
    assert [a["trail_arn"].rsplit("/", 1)[1] for a in result["actions"]] == ["old-eu-trail"]
    assert trails(organization["a"], OTHER_REGION) == {} and trails(organization["a"]) == {"team-trail": True}


def test_no_organization_trail_is_ever_a_legacy_trail(run_module, organization):
    """The management account's own trails are found too, but neither ours nor another organization trail."""
    add_trail(MANAGEMENT, "aws-controltower-BaselineCloudTrail", IsOrganizationTrail=True, IsMultiRegionTrail=True)
    add_trail(MANAGEMENT, "old-management-trail", region="us-west-2")
    delivered()
    result = run_module(account_trails.main, args(organization, accounts=[{"account_id": MANAGEMENT}], action="delete"))
    assert [t["name"] for t in result["accounts"][0]["trails"]] == ["old-management-trail"]
    assert result["changed"] is True and result["accounts"][0]["trails"][0]["result"] == "deleted"
    assert trails(MANAGEMENT) == {ORG_TRAIL: True, "aws-controltower-BaselineCloudTrail": True}


def test_delete_for_one_account_and_stop_for_the_rest_then_nothing_to_do(run_module, organization):
    delivered()
    before = {account: buckets(account) for account in organization.values()}
    accounts_ = [{"account_id": organization["a"], "action": "delete"}, {"account_id": organization["b"]}]
    result = run_module(account_trails.main, args(organization, action="stop", accounts=accounts_), diff=True)
    assert result["changed"] is True
    assert result["organization_trail"]["delivering"] is True and "reason" not in result["organization_trail"]
    assert sorted((a["action"], a["trail_arn"].rsplit("/", 1)[1]) for a in result["actions"]) == [
        ("delete", "old-eu-trail"),
        ("delete", "team-trail"),
        ("stop", "keep-trail"),
    ]
    assert trails(organization["a"]) == {} and trails(organization["a"], OTHER_REGION) == {}
    assert trails(organization["b"]) == {"keep-trail": False}
    # Buckets, and so the logs in them, are never touched; the organization trail keeps logging.
    assert {account: buckets(account) for account in organization.values()} == before
    assert trails(MANAGEMENT) == {ORG_TRAIL: True}
    assert result["diff"]["after"] == {
        organization["a"]: {},
        organization["b"]: {result["actions"][-1]["trail_arn"]: "stopped"},
    }

    again = run_module(account_trails.main, args(organization, action="stop", accounts=accounts_))
    assert again["changed"] is False and again["actions"] == []
    assert again["accounts"][1]["trails"][0]["result"] == "already stopped"


def test_check_mode_lists_the_actions_and_changes_nothing(run_module, organization):
    delivered()
    result = run_module(account_trails.main, args(organization, action="delete"), check_mode=True)
    assert result["changed"] is True and len(result["actions"]) == 3
    assert {t["result"] for account in result["accounts"] for t in account["trails"]} == {"would delete"}
    assert trails(organization["a"]) == {"team-trail": True} and trails(organization["b"]) == {"keep-trail": True}


def test_a_new_organization_trail_is_waited_for_then_the_next_run_acts(run_module, organization):
    """Logging is not enough: nothing is stopped or deleted before the organization trail has delivered."""
    first = run_module(account_trails.main, args(organization, action="delete"))
    assert "failed" not in first and first["changed"] is False and first["actions"] == []
    assert {t["result"] for account in first["accounts"] for t in account["trails"]} == {"waiting"}
    waited = first["organization_trail"]
    assert waited["delivering"] is False and waited["latest_delivery_time"] is None
    assert waited["reason"].startswith("waiting for the first delivery: it has been logging since ")
    assert trails(organization["a"]) == {"team-trail": True} and trails(organization["b"]) == {"keep-trail": True}

    delivered(minutes_ago=4)
    later = run_module(account_trails.main, args(organization, action="delete"))
    assert later["changed"] is True and len(later["actions"]) == 3
    assert later["organization_trail"]["latest_delivery_time"].endswith("Z")
    assert trails(organization["a"]) == {} and trails(organization["b"]) == {}


def test_a_delivery_older_than_max_delivery_age_is_waited_for(run_module, organization):
    delivered(minutes_ago=90)
    stale = run_module(account_trails.main, args(organization, action="stop"))
    assert stale["changed"] is False and "more than 60 minutes ago" in stale["organization_trail"]["reason"]
    assert trails(organization["b"]) == {"keep-trail": True}
    allowed = run_module(account_trails.main, args(organization, action="stop", max_delivery_age=120))
    assert allowed["changed"] is True and trails(organization["b"]) == {"keep-trail": False}


@pytest.mark.parametrize(
    "error", [{"LatestDeliveryError": "AccessDenied"}, {"LatestCloudWatchLogsDeliveryError": "AccessDeniedException"}]
)
def test_a_delivery_error_refuses_every_action_in_check_mode_too(run_module, organization, error):
    delivered(**error)
    ((name, code),) = error.items()
    for check_mode in (False, True):
        result = run_module(account_trails.main, args(organization, action="delete"), check_mode=check_mode)
        assert result["failed"] is True and result["msg"].startswith("Refusing to stop or delete legacy trails")
        assert f"{name} '{code}'" in result["msg"] and "Nothing was changed" in result["msg"]
    assert trails(organization["a"]) == {"team-trail": True}


def test_no_action_while_the_organization_trail_is_not_logging(run_module, organization):
    delivered()
    session().client("cloudtrail").stop_logging(Name=ORG_TRAIL)
    result = run_module(account_trails.main, args(organization, action="delete"))
    assert result["failed"] is True
    assert "it is not logging" in result["msg"] and "Nothing was changed" in result["msg"]
    assert trails(organization["a"]) == {"team-trail": True}
    # Check mode predicts the first real run: the trail role starts the trail, which then has to deliver first.
    predicted = run_module(account_trails.main, args(organization, action="delete"), check_mode=True)
    assert predicted["changed"] is False and predicted["actions"] == []
    assert predicted["organization_trail"]["reason"].startswith("it is not logging; this run creates or starts it")
    assert {t["result"] for account in predicted["accounts"] for t in account["trails"]} == {"waiting"}


def test_no_action_without_the_organization_trail(run_module, organization):
    arn = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/missing"
    result = run_module(account_trails.main, args(organization, action="stop", organization_trail_arn=arn))
    assert result["failed"] is True and "it does not exist" in result["msg"]
    assert trails(organization["b"]) == {"keep-trail": True}


def test_one_failed_stop_keeps_the_others_done_and_reported(run_module, organization, monkeypatch):
    delivered()
    real_stop = account_trails.stop_logging

    def stop_logging(client, name):
        if name.endswith("/old-eu-trail"):
            raise AnsibleCloudTrailError(message="Failed to stop logging: AccessDenied")
        return real_stop(client, name)

    monkeypatch.setattr(account_trails, "stop_logging", stop_logging)
    result = run_module(account_trails.main, args(organization, action="stop"))
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("1 legacy trail stop(s) or delete(s) failed; the others were done: member-a")
    assert "old-eu-trail: Failed to stop logging: AccessDenied" in result["msg"]
    outcome = {t["name"]: (t["result"], t.get("error")) for account in result["accounts"] for t in account["trails"]}
    assert outcome == {
        "old-eu-trail": ("failed", "Failed to stop logging: AccessDenied"),
        "team-trail": ("stopped", None),
        "keep-trail": ("stopped", None),
    }
    assert trails(organization["a"]) == {"team-trail": False} and trails(organization["a"], OTHER_REGION) == {
        "old-eu-trail": True
    }


def test_a_region_that_cannot_be_read_is_reported_for_that_region_only(run_module, organization, monkeypatch):
    """An opt-in region not enabled, or a region-deny SCP, fails the calls of one region in one account."""
    delivered()
    real_get_trail = accounts.get_trail

    def get_trail(client, name):
        if client.meta.region_name == OTHER_REGION:
            raise AnsibleCloudTrailError(message="Failed to get trail: UnrecognizedClientException")
        return real_get_trail(client, name)

    monkeypatch.setattr(accounts, "get_trail", get_trail)
    result = run_module(account_trails.main, args(organization, action="stop"))
    assert "failed" not in result and "error" not in result["accounts"][0]
    eu = next(t for t in result["accounts"][0]["trails"] if t["name"] == "old-eu-trail")
    assert eu["result"] == "not read" and "is_logging" not in eu
    assert (
        eu["error"]
        == f"could not be read in its home region {OTHER_REGION}: Failed to get trail: UnrecognizedClientException"
    )
    assert [t["result"] for t in result["accounts"][0]["trails"] if t["name"] == "team-trail"] == ["stopped"]
    assert trails(organization["a"]) == {"team-trail": False}
    assert trails(organization["a"], OTHER_REGION) == {"old-eu-trail": True}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"organization_trail_arn": "acme-organization-trail"},
            "organization_trail_arn (acme-organization-trail) must be a trail ARN",
        ),
        ({"organization_trail_arn": "arn:aws:s3:::bucket"}, "must be a trail ARN"),
        ({"accounts": [{"account_id": "12345"}]}, "accounts[0].account_id (12345) must be a 12-digit AWS account ID"),
        ({"max_workers": 0}, "max_workers (0) must be at least 1"),
        ({"max_delivery_age": 0}, "max_delivery_age (0) must be a number of minutes, at least 1"),
    ],
)
def test_invalid_options_fail_before_any_aws_call(run_module, overrides, message):
    # No mock_aws here: an AWS call would fail on the dummy credentials, not with the validation message.
    result = run_module(account_trails.main, args({"a": "111111111111", "b": "222222222222"}, **overrides))
    assert result["failed"] is True and message in result["msg"]


def test_planned_result():
    logging, stopped = {"is_logging": True}, {"is_logging": False}
    assert account_trails.planned_result(logging, "report", False) == "reported"
    assert account_trails.planned_result(stopped, "stop", False) == "already stopped"
    assert account_trails.planned_result(logging, "stop", True) == "would stop"
    assert account_trails.planned_result(stopped, "delete", False) == "deleted"
    assert account_trails.planned_result(logging, "delete", False, delivering=False) == "waiting"
    assert account_trails.planned_result({"error": "x"}, "delete", False) == "not read"


ORG = {"IsOrganizationTrail": True}


@pytest.mark.parametrize(
    "trail, status, expected",
    [
        (None, {}, ("setup", "it does not exist")),
        ({"Name": ORG_TRAIL}, {"IsLogging": True}, ("setup", "it is not an organization trail")),
        (ORG, {"IsLogging": False}, ("setup", "it is not logging")),
        (ORG, {"IsLogging": True, "LatestDeliveryTime": NOW}, None),
        (ORG, {"IsLogging": True, "LatestDeliveryTime": NOW - datetime.timedelta(minutes=59)}, None),
        (ORG, {"IsLogging": True, "LatestDeliveryTime": NOW - datetime.timedelta(minutes=61)}, "wait"),
        (ORG, {"IsLogging": True}, "wait"),
        (ORG, {"IsLogging": True, "LatestDeliveryTime": NOW, "LatestDeliveryError": "NoSuchBucket"}, "error"),
        (ORG, {"IsLogging": True, "LatestDeliveryTime": NOW, "LatestCloudWatchLogsDeliveryError": "x"}, "error"),
    ],
)
def test_organization_trail_problem(trail, status, expected):
    problem = account_trails.organization_trail_problem(trail, status, NOW, 60)
    assert (problem if problem is None or isinstance(expected, tuple) else problem[0]) == expected
