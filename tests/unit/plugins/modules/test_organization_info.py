"""organization_info: a read-only description of the organization and the caller."""

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
