"""account_trails: find, stop or delete member accounts' own trails, against moto's in-process mock."""

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import account_trails

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
MANAGEMENT = "123456789012"
ORG_TRAIL = "acme-organization-trail"
ORG_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/{ORG_TRAIL}"


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
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, **settings)
    if logging:
        cloudtrail.start_logging(Name=name)
    return bucket


def trails(account, region=REGION):
    """{name: logging} of the account's own trails in the region."""
    cloudtrail = session(account).client("cloudtrail", region_name=region)
    return {
        trail["Name"]: cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"]
        for trail in cloudtrail.describe_trails(includeShadowTrails=False)["trailList"]
    }


def buckets(account):
    return sorted(bucket["Name"] for bucket in session(account).client("s3").list_buckets()["Buckets"])


@pytest.fixture
def organization():
    """Management account with a logging organization trail; member A has two trails, member B one."""
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
        "regions": [REGION, OTHER_REGION],
        "accounts": [
            {"account_id": org["a"], "name": "member-a"},
            {"account_id": org["b"], "name": "member-b"},
        ],
    }
    result.update(overrides)
    return result


def test_report_lists_each_members_own_trails_and_changes_nothing(run_module, organization):
    result = run_module(account_trails.main, args(organization))
    assert result["changed"] is False
    assert result["legacy_trail_count"] == 3 and result["actions"] == []
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
    assert [t["name"] for t in second["trails"]] == ["keep-trail"]
    assert trails(organization["a"]) == {"team-trail": True}


def test_the_organization_trail_is_never_a_legacy_trail(run_module, organization):
    result = run_module(account_trails.main, args(organization, accounts=[{"account_id": MANAGEMENT}], action="delete"))
    assert result["legacy_trail_count"] == 0 and result["changed"] is False
    assert trails(MANAGEMENT) == {ORG_TRAIL: True}


def test_delete_for_one_account_and_stop_for_the_rest_then_nothing_to_do(run_module, organization):
    before = {account: buckets(account) for account in organization.values()}
    accounts = [{"account_id": organization["a"], "action": "delete"}, {"account_id": organization["b"]}]
    result = run_module(account_trails.main, args(organization, action="stop", accounts=accounts), diff=True)
    assert result["changed"] is True
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
    assert result["diff"]["after"] == {organization["a"]: {}, organization["b"]: {result["actions"][-1]["trail_arn"]: "stopped"}}

    again = run_module(account_trails.main, args(organization, action="stop", accounts=accounts))
    assert again["changed"] is False and again["actions"] == []
    assert again["accounts"][1]["trails"][0]["result"] == "already stopped"


def test_check_mode_lists_the_actions_and_changes_nothing(run_module, organization):
    result = run_module(account_trails.main, args(organization, action="delete"), check_mode=True)
    assert result["changed"] is True and len(result["actions"]) == 3
    assert {t["result"] for account in result["accounts"] for t in account["trails"]} == {"would delete"}
    assert trails(organization["a"]) == {"team-trail": True} and trails(organization["b"]) == {"keep-trail": True}


def test_no_action_while_the_organization_trail_is_not_logging(run_module, organization):
    session().client("cloudtrail").stop_logging(Name=ORG_TRAIL)
    result = run_module(account_trails.main, args(organization, action="delete"))
    assert result["failed"] is True
    assert result["msg"].startswith("Refusing to stop or delete legacy trails")
    assert "it is not logging" in result["msg"] and "Nothing was changed" in result["msg"]
    assert trails(organization["a"]) == {"team-trail": True}
    # Check mode predicts what the real run does once the playbook's trail role has started the trail.
    predicted = run_module(account_trails.main, args(organization, action="delete"), check_mode=True)
    assert predicted["changed"] is True and len(predicted["actions"]) == 3
    # Reporting never needs the organization trail.
    assert run_module(account_trails.main, args(organization))["legacy_trail_count"] == 3


def test_no_action_without_the_organization_trail(run_module, organization):
    arn = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/missing"
    result = run_module(account_trails.main, args(organization, action="stop", organization_trail_arn=arn))
    assert result["failed"] is True and "it does not exist" in result["msg"]
    assert trails(organization["b"]) == {"keep-trail": True}


def test_every_enabled_region_by_default(run_module, organization):
    result = run_module(account_trails.main, args(organization, regions=[]))
    assert REGION in result["regions"] and OTHER_REGION in result["regions"] and len(result["regions"]) > 10
    assert result["legacy_trail_count"] == 3


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"organization_trail_arn": "acme-organization-trail"}, "organization_trail_arn (acme-organization-trail) must be a trail ARN"),
        ({"organization_trail_arn": "arn:aws:s3:::bucket"}, "must be a trail ARN"),
        ({"accounts": [{"account_id": "12345"}]}, "accounts[0].account_id (12345) must be a 12-digit AWS account ID"),
        ({"max_workers": 0}, "max_workers (0) must be at least 1"),
    ],
)
def test_invalid_options_fail_before_any_aws_call(run_module, overrides, message):
    # No mock_aws here: an AWS call would fail on the dummy credentials, not with the validation message.
    result = run_module(account_trails.main, args({"a": "111111111111", "b": "222222222222"}, **overrides))
    assert result["failed"] is True and message in result["msg"]


@pytest.mark.parametrize(
    "selectors, expected",
    [
        ({}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}, False),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}, True),
    ],
)
def test_logs_management_events(selectors, expected):
    assert account_trails.logs_management_events(selectors) is expected


def test_planned_result():
    logging, stopped = {"is_logging": True}, {"is_logging": False}
    assert account_trails.planned_result(logging, "report", False) == "reported"
    assert account_trails.planned_result(stopped, "stop", False) == "already stopped"
    assert account_trails.planned_result(logging, "stop", True) == "would stop"
    assert account_trails.planned_result(stopped, "delete", False) == "deleted"
