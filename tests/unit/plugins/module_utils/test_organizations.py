"""Unit tests for plugins/module_utils/organizations.py.

MagicMock clients for error handling, retries and call shapes; moto's
in-process mock for the paginated reads and the OU path walk.
"""

from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import organizations as orgs
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import CLOUDTRAIL_SERVICE_PRINCIPAL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError


@pytest.fixture
def org():
    """A moto organization: root, /Workloads/Prod, /Sandbox and one member account."""
    with mock_aws():
        client = boto3.client("organizations")
        organization = client.create_organization(FeatureSet="ALL")["Organization"]
        root_id = client.list_roots()["Roots"][0]["Id"]
        workloads = client.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]
        prod = client.create_organizational_unit(ParentId=workloads["Id"], Name="Prod")["OrganizationalUnit"]
        sandbox = client.create_organizational_unit(ParentId=root_id, Name="Sandbox")["OrganizationalUnit"]
        member = client.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
        yield {
            "client": client,
            "organization": organization,
            "root_id": root_id,
            "workloads": workloads,
            "prod": prod,
            "sandbox": sandbox,
            "member_id": member["AccountId"],
        }


# ---------------------------------------------------------------- error handling


@pytest.mark.parametrize(
    "code",
    [
        "AccountNotFoundException",
        "ChildNotFoundException",
        "OrganizationalUnitNotFoundException",
        "ParentNotFoundException",
        "PolicyNotFoundException",
        "RootNotFoundException",
        "TargetNotFoundException",
        "AccountNotRegisteredException",
    ],
)
def test_missing_codes_read_as_none_and_delete_as_false(code, client_error):
    client = MagicMock()
    client.describe_policy.side_effect = client_error(code)
    client.detach_policy.side_effect = client_error(code)
    assert orgs.describe_policy(client, "p-12345678") is None
    assert orgs.detach_policy(client, "p-12345678", "ou-ab12-cdef3456") is False


def test_missing_list_returns_empty_list(client_error):
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value.build_full_result.side_effect = client_error(
        "PolicyNotFoundException"
    )
    assert orgs.list_targets_for_policy(client, "p-12345678") == []


def test_other_errors_become_ansible_organizations_error(client_error):
    client = MagicMock()
    client.describe_policy.side_effect = client_error("AccessDeniedException")
    with pytest.raises(AnsibleOrganizationsError) as raised:
        orgs.describe_policy(client, "p-12345678")
    assert raised.value.message == "Failed to describe policy"
    assert "AccessDeniedException" in str(raised.value)


def test_missing_code_is_an_error_for_writes(client_error):
    """Only reads and deletes treat NotFound as an answer; a failed attach is an error."""
    client = MagicMock()
    client.attach_policy.side_effect = client_error("TargetNotFoundException")
    with pytest.raises(AnsibleOrganizationsError, match="Failed to attach policy"):
        orgs.attach_policy(client, "p-12345678", "ou-ab12-cdef3456")


@pytest.mark.parametrize("code", ["ConcurrentModificationException", "TooManyRequestsException"])
def test_retries_concurrent_modification_and_throttling(no_sleep, code, client_error):
    client = MagicMock()
    client.enable_aws_service_access.side_effect = [client_error(code), None]
    assert orgs.enable_aws_service_access(client, "cloudtrail.amazonaws.com") is True
    assert client.enable_aws_service_access.call_count == 2
    assert len(no_sleep) == 1


def test_does_not_retry_other_errors(no_sleep, client_error):
    client = MagicMock()
    client.enable_aws_service_access.side_effect = client_error("AccessDeniedException")
    with pytest.raises(AnsibleOrganizationsError):
        orgs.enable_aws_service_access(client, "cloudtrail.amazonaws.com")
    assert client.enable_aws_service_access.call_count == 1
    assert no_sleep == []


# ---------------------------------------------------------------- organization and caller


def test_describe_organization_returns_none_outside_an_organization(client_error):
    client = MagicMock()
    client.describe_organization.side_effect = client_error("AWSOrganizationsNotInUseException")
    assert orgs.describe_organization(client) is None


def test_describe_organization(org):
    assert orgs.describe_organization(org["client"])["Id"] == org["organization"]["Id"]


def test_caller_is_management():
    organization = {"Id": "o-abcdefghij", "MasterAccountId": "123456789012", "FeatureSet": "ALL"}
    assert orgs.caller_is_management(organization, "123456789012") is True
    assert orgs.caller_is_management(organization, "210987654321") is False
    assert orgs.caller_is_management(None, "123456789012") is False


def test_management_caller_error_names_both_accounts():
    organization = {"Id": "o-abcdefghij", "MasterAccountId": "123456789012", "FeatureSet": "ALL"}
    assert orgs.management_caller_error(organization, "123456789012", "do it") is None
    message = orgs.management_caller_error(organization, "210987654321", "do it")
    assert "management account is 123456789012" in message
    assert "caller is account 210987654321" in message
    assert "not in an AWS Organization" in orgs.management_caller_error(None, "210987654321", "do it")


def test_all_features_error_says_how_to_enable():
    assert orgs.all_features_error({"Id": "o-abcdefghij", "FeatureSet": "ALL"}, "trusted access") is None
    message = orgs.all_features_error({"Id": "o-abcdefghij", "FeatureSet": "CONSOLIDATED_BILLING"}, "trusted access")
    assert "'CONSOLIDATED_BILLING'" in message
    assert "trusted access needs all features" in message
    assert "EnableAllFeatures" in message


# ---------------------------------------------------------------- roots, OUs, accounts (moto)


def test_paginated_reads(org):
    client = org["client"]
    assert [root["Id"] for root in orgs.list_roots(client)] == [org["root_id"]]
    names = sorted(ou["Name"] for ou in orgs.list_organizational_units_for_parent(client, org["root_id"]))
    assert names == ["Sandbox", "Workloads"]
    assert org["member_id"] in {account["Id"] for account in orgs.list_accounts(client)}
    assert orgs.describe_account(client, org["member_id"])["Name"] == "member"
    assert orgs.describe_account(client, "111122223333") is None
    assert orgs.describe_organizational_unit(client, org["prod"]["Id"])["Name"] == "Prod"


@pytest.mark.parametrize(
    "path, key",
    [("/Workloads", "workloads"), ("/Workloads/Prod", "prod"), ("/Workloads/Prod/", "prod"), ("/Sandbox", "sandbox")],
)
def test_resolve_ou_path(org, path, key):
    assert orgs.resolve_ou_path(org["client"], org["root_id"], path)["Id"] == org[key]["Id"]


def test_resolve_ou_path_names_the_missing_segment_and_the_option(org):
    with pytest.raises(AnsibleOrganizationsError) as raised:
        orgs.resolve_ou_path(org["client"], org["root_id"], "/Workloads/Dev", option="targets[2]")
    message = raised.value.message
    assert message.startswith("targets[2]: OU path '/Workloads/Dev' does not exist")
    assert "no OU named 'Dev' under /Workloads (OUs there: Prod)" in message


@pytest.mark.parametrize("path", ["/", "Workloads", ""])
def test_resolve_ou_path_rejects_non_paths(org, path):
    with pytest.raises(AnsibleOrganizationsError, match="is not an OU path"):
        orgs.resolve_ou_path(org["client"], org["root_id"], path)


# ---------------------------------------------------------------- trusted access and delegated admins


def test_trusted_access_and_delegated_admins(org):
    client = org["client"]
    principal = "cloudtrail.amazonaws.com"
    assert orgs.list_aws_service_access_for_organization(client) == []
    orgs.enable_aws_service_access(client, principal)
    assert [entry["ServicePrincipal"] for entry in orgs.list_aws_service_access_for_organization(client)] == [principal]
    orgs.register_delegated_administrator(client, org["member_id"], principal)
    assert [admin["Id"] for admin in orgs.list_delegated_administrators(client, principal)] == [org["member_id"]]
    assert [admin["Id"] for admin in orgs.list_delegated_administrators(client)] == [org["member_id"]]
    assert orgs.deregister_delegated_administrator(client, org["member_id"], principal) is True
    # Already gone: a no-op, not an error.
    assert orgs.deregister_delegated_administrator(client, org["member_id"], principal) is False
    orgs.disable_aws_service_access(client, principal)
    assert orgs.list_aws_service_access_for_organization(client) == []


def test_cloudtrail_delegated_admin_uses_cloudtrail_api():
    cloudtrail = MagicMock()
    assert orgs.register_cloudtrail_delegated_admin(cloudtrail, "210987654321") is True
    cloudtrail.register_organization_delegated_admin.assert_called_once_with(MemberAccountId="210987654321")
    assert orgs.deregister_cloudtrail_delegated_admin(cloudtrail, "210987654321") is True
    cloudtrail.deregister_organization_delegated_admin.assert_called_once_with(DelegatedAdminAccountId="210987654321")


def test_cloudtrail_delegated_admin_through_emulated_api(org):
    cloudtrail = boto3.client("cloudtrail")
    orgs.register_cloudtrail_delegated_admin(cloudtrail, org["member_id"])
    admins = orgs.list_delegated_administrators(org["client"], CLOUDTRAIL_SERVICE_PRINCIPAL)
    assert [admin["Id"] for admin in admins] == [org["member_id"]]
    orgs.deregister_cloudtrail_delegated_admin(cloudtrail, org["member_id"])
    assert orgs.list_delegated_administrators(org["client"], CLOUDTRAIL_SERVICE_PRINCIPAL) == []


# ---------------------------------------------------------------- policies and tags


def test_policy_lifecycle(org):
    client = org["client"]
    policy = orgs.create_policy(
        client, "guard", "first", '{"Version":"2012-10-17","Statement":[]}', "SERVICE_CONTROL_POLICY", {"a": "b"}
    )
    policy_id = policy["PolicySummary"]["Id"]
    assert "guard" in [entry["Name"] for entry in orgs.list_policies(client, "SERVICE_CONTROL_POLICY")]
    assert orgs.list_tags_for_resource(client, policy_id) == {"a": "b"}
    orgs.update_policy(client, policy_id, description="second")
    assert orgs.describe_policy(client, policy_id)["PolicySummary"]["Description"] == "second"
    assert orgs.enable_policy_type(client, org["root_id"], "SERVICE_CONTROL_POLICY") is True
    assert orgs.enable_policy_type(client, org["root_id"], "SERVICE_CONTROL_POLICY") is False
    orgs.attach_policy(client, policy_id, org["prod"]["Id"])
    assert [target["TargetId"] for target in orgs.list_targets_for_policy(client, policy_id)] == [org["prod"]["Id"]]
    orgs.detach_policy(client, policy_id, org["prod"]["Id"])
    assert orgs.list_targets_for_policy(client, policy_id) == []
    assert orgs.delete_policy(client, policy_id) is True
    assert orgs.describe_policy(client, policy_id) is None
    assert orgs.delete_policy(client, policy_id) is False


def test_create_policy_without_tags_sends_no_tags():
    client = MagicMock()
    orgs.create_policy(client, "guard", "", "{}", "SERVICE_CONTROL_POLICY")
    client.create_policy.assert_called_once_with(
        Name="guard", Description="", Content="{}", Type="SERVICE_CONTROL_POLICY"
    )


def test_update_policy_sends_only_what_changes():
    client = MagicMock()
    orgs.update_policy(client, "p-12345678", content="{}")
    client.update_policy.assert_called_once_with(PolicyId="p-12345678", Content="{}")


def test_tag_helpers(org):
    client = org["client"]
    ou_id = org["sandbox"]["Id"]
    assert orgs.tag_resource(client, ou_id, {"team": "sec", "env": "prod"}) is True
    assert orgs.untag_resource(client, ou_id, ["env"]) is True
    assert orgs.list_tags_for_resource(client, ou_id) == {"team": "sec"}


def test_tag_helpers_skip_empty_changes():
    client = MagicMock()
    assert orgs.tag_resource(client, "p-12345678", {}) is False
    assert orgs.untag_resource(client, "p-12345678", []) is False
    client.tag_resource.assert_not_called()
    client.untag_resource.assert_not_called()
