"""organization_info: a read-only description of the organization and the caller."""

from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import organization_info

MANAGEMENT = "123456789012"


@pytest.fixture
def organization():
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        org = client.create_organization(FeatureSet="ALL")["Organization"]
        status = client.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
        yield org, status["AccountId"]


def test_management_account_sees_roots_and_accounts(run_module, organization):
    org, member = organization
    result = run_module(organization_info.main, {"include_accounts": True})
    assert result["changed"] is False
    assert result["caller_account_id"] == MANAGEMENT
    assert result["is_management_account"] is True
    assert result["organization"]["id"] == org["Id"]
    assert result["organization"]["feature_set"] == "ALL"
    assert result["organization"]["master_account_id"] == MANAGEMENT
    assert [root["id"] for root in result["roots"]] and result["roots"][0]["id"].startswith("r-")
    assert {account["id"] for account in result["accounts"]} == {MANAGEMENT, member}


def test_accounts_only_when_asked(run_module, organization):
    result = run_module(organization_info.main, {})
    assert "accounts" not in result and "roots" in result


def test_member_account_is_not_management(run_module, organization, monkeypatch):
    member = organization[1]
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="unit"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    result = run_module(organization_info.main, {"include_accounts": True})
    assert result["caller_account_id"] == member
    assert result["is_management_account"] is False
    assert "roots" not in result and "accounts" not in result


def test_no_organization(run_module):
    with mock_aws():
        result = run_module(organization_info.main, {})
    assert result["organization"] == {} and result["is_management_account"] is False


@pytest.mark.parametrize(
    "region, partition",
    [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")],
)
def test_the_partition_is_the_callers(run_module, monkeypatch, region, partition):
    # moto answers each region in its partition, as AWS does: GovCloud and China callers have ARNs there.
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    with mock_aws():
        boto3.client("organizations", region_name=region).create_organization(FeatureSet="ALL")
        result = run_module(organization_info.main, {"region": region})
    assert result["partition"] == partition
    assert result["caller_arn"].startswith(f"arn:{partition}:")
    assert result["is_management_account"] is True


@pytest.mark.parametrize(
    "arn, partition",
    [
        ("arn:aws:sts::123456789012:assumed-role/TrailguardRunner/ci", "aws"),
        ("arn:aws-us-gov:iam::123456789012:user/runner", "aws-us-gov"),
        ("arn:aws-cn:sts::123456789012:assumed-role/TrailguardRunner/ci", "aws-cn"),
    ],
)
def test_arn_partition(arn, partition):
    assert organization_info.arn_partition(arn) == partition


def test_trails_only_when_asked(run_module, organization):
    assert "trails" not in run_module(organization_info.main, {})


def test_trails_of_every_region_with_their_settings(run_module, organization):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="control-tower-logs")
    s3.create_bucket(Bucket="west-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="aws-controltower-BaselineCloudTrail",
        S3BucketName="control-tower-logs",
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
    )
    boto3.client("cloudtrail", region_name="eu-west-1").create_trail(
        Name="team-trail", S3BucketName="west-logs", IsMultiRegionTrail=True
    )

    result = run_module(organization_info.main, {"include_trails": True})

    # Sorted by ARN, so by region first.
    assert [(trail["name"], trail["home_region"]) for trail in result["trails"]] == [
        ("team-trail", "eu-west-1"),
        ("aws-controltower-BaselineCloudTrail", "us-east-1"),
    ]
    team, control_tower = result["trails"]
    assert control_tower["is_organization_trail"] is True and control_tower["is_multi_region_trail"] is True
    assert (
        control_tower["trail_arn"]
        == f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/aws-controltower-BaselineCloudTrail"
    )
    assert team["is_organization_trail"] is False and team["s3_bucket_name"] == "west-logs"


def test_describe_trails_names_them_by_arn():
    """DescribeTrails reads a trail of another region only when named by its ARN; an empty list would mean the
    current region's trails, so no call is made for an account without trails."""
    listed = [
        {"Name": "a", "TrailARN": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/a", "HomeRegion": "eu-west-1"},
        {"Name": "b", "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/b", "HomeRegion": "us-east-1"},
    ]
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {"Trails": listed}
    client.describe_trails.return_value = {"trailList": [{**listed[1], "IsOrganizationTrail": True}]}

    trails = organization_info.account_trails(client)

    client.describe_trails.assert_called_once_with(trailNameList=[listed[0]["TrailARN"], listed[1]["TrailARN"]])
    # A trail DescribeTrails does not return keeps what ListTrails said of it.
    assert trails == [
        {"name": "a", "trail_arn": listed[0]["TrailARN"], "home_region": "eu-west-1"},
        {"name": "b", "trail_arn": listed[1]["TrailARN"], "home_region": "us-east-1", "is_organization_trail": True},
    ]

    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {"Trails": []}
    assert organization_info.account_trails(client) == []
    client.describe_trails.assert_not_called()
