"""Unit tests for the organizations_trusted_access module.

The ensure_* functions run against MagicMock clients (so every write, and the
absence of writes in check mode, is visible); main() runs against moto's
in-process mock, with CloudTrail's delegated-admin calls patched in by conftest.
"""

from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import organizations_trusted_access as module

CLOUDTRAIL = "cloudtrail.amazonaws.com"
GUARDDUTY = "guardduty.amazonaws.com"
MANAGEMENT = "123456789012"


def state(enabled=(), admins=None):
    """A module state: `enabled` principals (with a fixed date) and {principal: [account IDs]}."""
    return {
        "enabled_service_principals": [
            {"service_principal": principal, "date_enabled": "2026-01-01T00:00:00+00:00"} for principal in enabled
        ],
        "delegated_administrators": admins or {},
    }


@pytest.fixture
def clients():
    return MagicMock(name="organizations"), MagicMock(name="cloudtrail")


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "principals, admins, expected",
    [
        ([CLOUDTRAIL], ["210987654321"], None),
        ([CLOUDTRAIL], None, None),
        ([], None, "service_principals must list at least one service principal"),
        ([CLOUDTRAIL, "cloud trail"], None, "service_principals[1] must be a service principal"),
        ([CLOUDTRAIL], ["210987654321", "12345"], "delegated_administrators[1] must be a 12-digit AWS account ID"),
    ],
)
def test_validate_options(principals, admins, expected):
    error = module.validate_options(principals, admins)
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


ORGANIZATION = {"Id": "o-abcdefghij", "MasterAccountId": MANAGEMENT, "FeatureSet": "ALL"}
ACCOUNTS = [
    {"Id": MANAGEMENT, "Status": "ACTIVE"},
    {"Id": "210987654321", "Status": "ACTIVE"},
    {"Id": "333333333333", "Status": "SUSPENDED"},
]


@pytest.mark.parametrize(
    "admins, state_, expected",
    [
        (["210987654321"], "present", None),
        ([MANAGEMENT], "present", "delegated_administrators[0]: 123456789012 is the management account"),
        ([MANAGEMENT], "absent", "delegated_administrators[0]: 123456789012 is the management account"),
        (
            ["210987654321", "444444444444"],
            "present",
            "delegated_administrators[1]: account 444444444444 is not a member",
        ),
        (["333333333333"], "present", "delegated_administrators[0]: account 333333333333 is SUSPENDED"),
        # Deregistering needs no membership: an account that left is simply not registered.
        (["444444444444"], "absent", None),
    ],
)
def test_validate_delegated_administrators(admins, state_, expected):
    error = module.validate_delegated_administrators(ORGANIZATION, ACCOUNTS, admins, state_)
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


# ---------------------------------------------------------------- ensure_present (MagicMock clients)


def test_present_enables_and_registers(clients):
    client, cloudtrail = clients
    current = state(admins={CLOUDTRAIL: [], GUARDDUTY: []})
    changed, new = module.ensure_present(
        client, cloudtrail, current, [CLOUDTRAIL, GUARDDUTY], ["210987654321"], False, check_mode=False
    )
    assert changed is True
    assert client.enable_aws_service_access.call_args_list == [
        call(ServicePrincipal=CLOUDTRAIL),
        call(ServicePrincipal=GUARDDUTY),
    ]
    # CloudTrail's own API for CloudTrail, Organizations' for anything else.
    cloudtrail.register_organization_delegated_admin.assert_called_once_with(MemberAccountId="210987654321")
    client.register_delegated_administrator.assert_called_once_with(
        AccountId="210987654321", ServicePrincipal=GUARDDUTY
    )
    assert new["delegated_administrators"] == {CLOUDTRAIL: ["210987654321"], GUARDDUTY: ["210987654321"]}
    assert [entry["service_principal"] for entry in new["enabled_service_principals"]] == [CLOUDTRAIL, GUARDDUTY]


def test_present_check_mode_predicts_without_writing(clients):
    client, cloudtrail = clients
    current = state(admins={CLOUDTRAIL: ["111111111111"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [CLOUDTRAIL], ["210987654321"], True, True)
    assert changed is True
    assert new == {
        "enabled_service_principals": [{"service_principal": CLOUDTRAIL, "date_enabled": None}],
        "delegated_administrators": {CLOUDTRAIL: ["210987654321"]},
    }
    client.enable_aws_service_access.assert_not_called()
    cloudtrail.register_organization_delegated_admin.assert_not_called()
    cloudtrail.deregister_organization_delegated_admin.assert_not_called()
    assert current["delegated_administrators"] == {CLOUDTRAIL: ["111111111111"]}, "input must not be modified"


def test_present_no_op(clients):
    client, cloudtrail = clients
    current = state([CLOUDTRAIL], {CLOUDTRAIL: ["210987654321"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [CLOUDTRAIL], ["210987654321"], True, False)
    assert changed is False
    assert new == current
    assert client.method_calls == []
    assert cloudtrail.method_calls == []


def test_present_keeps_unlisted_admins_without_purge(clients):
    client, cloudtrail = clients
    current = state([GUARDDUTY], {GUARDDUTY: ["111111111111"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [GUARDDUTY], ["210987654321"], False, False)
    assert changed is True
    client.deregister_delegated_administrator.assert_not_called()
    assert new["delegated_administrators"] == {GUARDDUTY: ["111111111111", "210987654321"]}


def test_present_purge_deregisters_before_registering(clients):
    client, cloudtrail = clients
    current = state([GUARDDUTY], {GUARDDUTY: ["111111111111"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [GUARDDUTY], ["210987654321"], True, False)
    assert changed is True
    assert client.method_calls == [
        call.deregister_delegated_administrator(AccountId="111111111111", ServicePrincipal=GUARDDUTY),
        call.register_delegated_administrator(AccountId="210987654321", ServicePrincipal=GUARDDUTY),
    ]
    assert new["delegated_administrators"] == {GUARDDUTY: ["210987654321"]}


def test_present_without_admin_list_leaves_admins_even_with_purge(clients):
    client, cloudtrail = clients
    current = state([CLOUDTRAIL], {CLOUDTRAIL: ["111111111111"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [CLOUDTRAIL], None, True, False)
    assert changed is False
    assert new == current
    assert cloudtrail.method_calls == []


def test_present_empty_admin_list_with_purge_removes_all(clients):
    client, cloudtrail = clients
    current = state([CLOUDTRAIL], {CLOUDTRAIL: ["111111111111"]})
    changed, new = module.ensure_present(client, cloudtrail, current, [CLOUDTRAIL], [], True, False)
    assert changed is True
    cloudtrail.deregister_organization_delegated_admin.assert_called_once_with(DelegatedAdminAccountId="111111111111")
    assert new["delegated_administrators"] == {CLOUDTRAIL: []}


# ---------------------------------------------------------------- ensure_absent (MagicMock clients)


def test_absent_deregisters_listed_admins_then_disables(clients):
    client, cloudtrail = clients
    current = state([GUARDDUTY], {GUARDDUTY: ["111111111111", "210987654321"]})
    changed, new = module.ensure_absent(client, cloudtrail, current, [GUARDDUTY], ["210987654321"], False, False)
    assert changed is True
    assert client.method_calls == [
        call.deregister_delegated_administrator(AccountId="210987654321", ServicePrincipal=GUARDDUTY),
        call.disable_aws_service_access(ServicePrincipal=GUARDDUTY),
    ]
    assert new == state((), {GUARDDUTY: ["111111111111"]})


def test_absent_purge_deregisters_every_admin_with_the_cloudtrail_api(clients):
    client, cloudtrail = clients
    current = state([CLOUDTRAIL], {CLOUDTRAIL: ["111111111111", "210987654321"]})
    changed, new = module.ensure_absent(client, cloudtrail, current, [CLOUDTRAIL], None, True, False)
    assert changed is True
    assert cloudtrail.method_calls == [
        call.deregister_organization_delegated_admin(DelegatedAdminAccountId="111111111111"),
        call.deregister_organization_delegated_admin(DelegatedAdminAccountId="210987654321"),
    ]
    client.disable_aws_service_access.assert_called_once_with(ServicePrincipal=CLOUDTRAIL)
    assert new == state((), {CLOUDTRAIL: []})


def test_absent_check_mode_makes_no_writes(clients):
    client, cloudtrail = clients
    current = state([CLOUDTRAIL], {CLOUDTRAIL: ["111111111111"]})
    changed, new = module.ensure_absent(client, cloudtrail, current, [CLOUDTRAIL], None, True, True)
    assert changed is True
    assert new == state((), {CLOUDTRAIL: []})
    assert client.method_calls == []
    assert cloudtrail.method_calls == []


def test_absent_no_op(clients):
    client, cloudtrail = clients
    current = state((), {CLOUDTRAIL: []})
    changed, new = module.ensure_absent(client, cloudtrail, current, [CLOUDTRAIL], ["210987654321"], False, False)
    assert changed is False
    assert new == current
    assert client.method_calls == []


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def org():
    """A moto organization (all features) with one member account."""
    with mock_aws():
        client = boto3.client("organizations")
        organization = client.create_organization(FeatureSet="ALL")["Organization"]
        member = client.create_account(AccountName="audit", Email="audit@example.com")["CreateAccountStatus"]
        yield {"client": client, "organization": organization, "member_id": member["AccountId"]}


def enabled(client):
    return [
        entry["ServicePrincipal"]
        for entry in client.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    ]


def admins(client, principal):
    return [
        admin["Id"]
        for admin in client.list_delegated_administrators(ServicePrincipal=principal)["DelegatedAdministrators"]
    ]


def test_main_enable_and_register_then_idempotent(org, run_module):
    args = {"service_principal": CLOUDTRAIL, "delegated_administrators": [org["member_id"]]}

    checked = run_module(module.main, args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["delegated_administrators"] == {CLOUDTRAIL: [org["member_id"]]}
    assert checked["diff"]["before"] == {"enabled_service_principals": [], "delegated_administrators": {CLOUDTRAIL: []}}
    assert enabled(org["client"]) == [] and admins(org["client"], CLOUDTRAIL) == []

    applied = run_module(module.main, args, diff=True)
    assert applied["changed"] is True
    assert [entry["service_principal"] for entry in applied["enabled_service_principals"]] == [CLOUDTRAIL]
    assert applied["enabled_service_principals"][0]["date_enabled"].startswith("20")
    assert applied["diff"]["after"]["delegated_administrators"] == {CLOUDTRAIL: [org["member_id"]]}
    assert enabled(org["client"]) == [CLOUDTRAIL]
    assert admins(org["client"], CLOUDTRAIL) == [org["member_id"]]

    again = run_module(module.main, args, check_mode=True)
    assert again["changed"] is False
    again = run_module(module.main, args)
    assert again["changed"] is False
    assert "diff" not in again


def test_main_absent_with_purge(org, run_module):
    org["client"].enable_aws_service_access(ServicePrincipal=GUARDDUTY)
    org["client"].register_delegated_administrator(AccountId=org["member_id"], ServicePrincipal=GUARDDUTY)
    args = {"service_principals": [GUARDDUTY], "state": "absent", "purge_delegated_administrators": True}

    result = run_module(module.main, args)
    assert result["changed"] is True
    assert result["enabled_service_principals"] == []
    assert result["delegated_administrators"] == {GUARDDUTY: []}
    assert enabled(org["client"]) == []
    assert run_module(module.main, args)["changed"] is False


def test_main_fails_before_any_call_on_bad_account_id(run_module, monkeypatch):
    describe = MagicMock()
    monkeypatch.setattr(module, "describe_organization", describe)
    result = run_module(module.main, {"service_principals": [CLOUDTRAIL], "delegated_administrators": ["12345"]})
    assert result["failed"] is True
    assert result["msg"] == "delegated_administrators[0] must be a 12-digit AWS account ID, got '12345'"
    describe.assert_not_called()


def test_main_fails_without_all_features(run_module):
    with mock_aws():
        boto3.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
        result = run_module(module.main, {"service_principals": [CLOUDTRAIL]})
    assert result["failed"] is True
    assert "feature set 'CONSOLIDATED_BILLING', but trusted access needs all features enabled" in result["msg"]


def test_main_fails_outside_an_organization(run_module):
    with mock_aws():
        result = run_module(module.main, {"service_principals": [CLOUDTRAIL]})
    assert result["failed"] is True
    assert result["msg"].startswith(f"Account {MANAGEMENT} is not in an AWS Organization")


def test_main_fails_for_a_member_caller(org, run_module, monkeypatch):
    role = f"arn:aws:iam::{org['member_id']}:role/OrganizationAccountAccessRole"
    credentials = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    result = run_module(module.main, {"service_principals": [CLOUDTRAIL]})
    assert result["failed"] is True
    assert f"the management account is {MANAGEMENT}, but the caller is account {org['member_id']}" in result["msg"]


@pytest.mark.parametrize(
    "account_id, expected",
    [
        (MANAGEMENT, "delegated_administrators[0]: 123456789012 is the management account of organization"),
        ("444444444444", "delegated_administrators[0]: account 444444444444 is not a member of organization"),
    ],
)
def test_main_fails_for_an_invalid_delegated_admin(org, run_module, account_id, expected):
    result = run_module(module.main, {"service_principals": [CLOUDTRAIL], "delegated_administrators": [account_id]})
    assert result["failed"] is True
    assert result["msg"].startswith(expected)
    assert enabled(org["client"]) == [], "nothing may change before the checks pass"


def test_main_reports_aws_errors(org, run_module):
    result = run_module(module.main, {"service_principals": ["nothing.example.com"]})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to ")
    assert "unrecognized service principal" in result["msg"]
