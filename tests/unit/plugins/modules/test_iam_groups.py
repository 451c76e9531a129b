"""Unit tests for the iam_groups module.

The pure functions and ensure_group run against MagicMock clients (every write, and the absence of writes in check
mode, is visible); main() runs against moto's in-process mock.
"""

import json
from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import iam_groups as module

# Customer managed policies: moto's in-process mock does not load the AWS managed ones.
READ_ONLY = "arn:aws:iam::123456789012:policy/CloudTrailReadOnly"
FULL = "arn:aws:iam::123456789012:policy/CloudTrailFull"
MFA = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyAllWithoutMFA",
            "Effect": "Deny",
            "NotAction": "iam:ChangePassword",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    ],
}


def group(name="Auditors", **overrides):
    """A groups[] entry with the defaults Ansible's argument spec fills in."""
    values = {
        "name": name,
        "path": "/",
        "managed_policy_arns": None,
        "purge_managed_policies": False,
        "inline_policies": {},
        "remove_inline_policies": [],
        "users": None,
        "purge_users": False,
    }
    values.update(overrides)
    return values


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"name": "bad name"}, "group name must match pattern"),
        ({"path": "no-slashes"}, "path must begin and end with /"),
        ({"managed_policy_arns": ["arn:aws:s3:::bucket"]}, "must be an ARN of service 'iam'"),
        ({"managed_policy_arns": ["arn:aws:iam::aws:role/x"]}, "must be a managed policy ARN"),
        ({"inline_policies": {"Mfa": MFA}, "remove_inline_policies": ["Mfa"]}, "both in inline_policies and remove"),
        ({"users": ["ok", "not ok"]}, "users[1] (not ok)"),
    ],
)
def test_bad_settings_are_refused_before_any_call(overrides, expected):
    entry = group(**overrides)
    error = module.validate_group(0, entry, [entry["name"]])
    assert error and expected in error


def test_a_group_listed_twice_in_any_case_is_refused():
    assert "listed more than once" in module.validate_group(1, group("auditors"), ["Auditors", "auditors"])


# ---------------------------------------------------------------- plan (pure)


def current(**overrides):
    values = {"arn": "arn", "path": "/", "users": ["bob"], "inline_policies": {}, "managed_policy_arns": [READ_ONLY]}
    values.update(overrides)
    return values


def test_nothing_is_removed_unless_purged_or_named():
    entry = group(managed_policy_arns=[FULL], users=["carol"])
    changes = module.plan_group(entry, current(inline_policies={"Other": MFA}))
    assert changes == {
        "managed_policy_arns": ([READ_ONLY], sorted([FULL, READ_ONLY])),
        "users": (["bob"], ["bob", "carol"]),
    }
    purged = module.plan_group(dict(entry, purge_managed_policies=True, purge_users=True), current())
    assert purged == {"managed_policy_arns": ([READ_ONLY], [FULL]), "users": (["bob"], ["carol"])}


def test_inline_policies_compare_as_policies_and_are_removed_only_by_name():
    reordered = json.loads(json.dumps(MFA))
    reordered["Statement"][0]["NotAction"] = ["iam:ChangePassword"]
    entry = group(inline_policies={"Mfa": MFA})
    assert module.plan_group(entry, current(inline_policies={"Mfa": reordered})) == {}
    assert module.plan_group(entry, current()) == {"inline_policies": ({"Mfa": None}, {"Mfa": MFA})}
    removed = module.plan_group(group(remove_inline_policies=["Mfa", "Gone"]), current(inline_policies={"Mfa": MFA}))
    assert removed == {"inline_policies": ({"Mfa": MFA}, {"Mfa": None})}


# ---------------------------------------------------------------- ensure_group against a MagicMock client


def test_check_mode_plans_a_new_group_and_writes_nothing():
    client = MagicMock()
    entry = group(managed_policy_arns=[READ_ONLY], inline_policies={"Mfa": MFA}, users=["bob"])
    created, changes, state = module.ensure_group(client, entry, None, check_mode=True)
    assert created and sorted(changes) == ["inline_policies", "managed_policy_arns", "users"]
    assert state["arn"] is None and state["users"] == ["bob"] and state["managed_policy_arns"] == [READ_ONLY]
    assert not client.method_calls


def test_only_the_differences_are_written():
    client = MagicMock()
    entry = group(
        managed_policy_arns=[FULL],
        purge_managed_policies=True,
        inline_policies={"Mfa": MFA},
        remove_inline_policies=["Old"],
        users=["carol"],
        purge_users=True,
    )
    module.ensure_group(client, entry, current(inline_policies={"Mfa": MFA, "Old": MFA}), check_mode=False)
    assert [(name, call.kwargs) for name, _args, call in [(c[0], c[1], c) for c in client.method_calls]] == [
        ("attach_group_policy", {"GroupName": "Auditors", "PolicyArn": FULL}),
        ("detach_group_policy", {"GroupName": "Auditors", "PolicyArn": READ_ONLY}),
        ("delete_group_policy", {"GroupName": "Auditors", "PolicyName": "Old"}),
        ("add_user_to_group", {"GroupName": "Auditors", "UserName": "carol"}),
        ("remove_user_from_group", {"GroupName": "Auditors", "UserName": "bob"}),
    ]
    client.reset_mock()
    assert module.ensure_group(client, group(users=["bob"]), current(), check_mode=False)[1] == {}
    assert not client.method_calls


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def iam():
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        for user in ("alice", "bob", "mallory"):
            client.create_user(UserName=user)
        for arn in (READ_ONLY, FULL):
            client.create_policy(PolicyName=arn.rsplit("/", maxsplit=1)[-1], PolicyDocument=json.dumps(MFA))
        client.create_group(GroupName="Auditors")
        client.add_user_to_group(GroupName="Auditors", UserName="mallory")
        client.put_group_policy(GroupName="Auditors", PolicyName="TheirOwn", PolicyDocument=json.dumps(MFA))
        yield client


def args(**overrides):
    values = {
        "groups": [
            {
                "name": "Administrators",
                "managed_policy_arns": [FULL],
                "purge_managed_policies": True,
                "inline_policies": {"Mfa": MFA},
                "users": ["alice"],
                "purge_users": True,
            },
            {
                "name": "Auditors",
                "managed_policy_arns": [READ_ONLY],
                "purge_managed_policies": True,
                "inline_policies": {"Mfa": json.dumps(MFA)},
                "users": ["bob"],
                "purge_users": True,
            },
        ]
    }
    values.update(overrides)
    return values


def read(client, name):
    found = client.get_group(GroupName=name)
    return {
        "users": sorted(user["UserName"] for user in found["Users"]),
        "managed": [p["PolicyArn"] for p in client.list_attached_group_policies(GroupName=name)["AttachedPolicies"]],
        "inline": sorted(client.list_group_policies(GroupName=name)["PolicyNames"]),
    }


def test_check_mode_then_apply_then_idempotent(iam, run_module):
    result = run_module(module.main, args(), check_mode=True, diff=True)
    assert result["changed"] and [g["created"] for g in result["groups"]] == [True, False]
    assert result["diff"]["after"]["Auditors"]["users"] == ["bob"]
    assert result["diff"]["before"]["Auditors"]["users"] == ["mallory"]
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["Auditors"]
    assert read(iam, "Auditors") == {"users": ["mallory"], "managed": [], "inline": ["TheirOwn"]}

    result = run_module(module.main, args())
    assert result.get("changed"), result
    assert read(iam, "Administrators") == {"users": ["alice"], "managed": [FULL], "inline": ["Mfa"]}
    # The group's own inline policy, not named, is kept.
    assert read(iam, "Auditors") == {"users": ["bob"], "managed": [READ_ONLY], "inline": ["Mfa", "TheirOwn"]}
    assert result["groups"][0]["arn"] == "arn:aws:iam::123456789012:group/Administrators"

    for check_mode in (True, False):
        result = run_module(module.main, args(), check_mode=check_mode, diff=True)
        assert not result["changed"], result["diff"]
        assert result["diff"] == {"before": {}, "after": {}}


def test_a_missing_user_changes_nothing_in_any_group(iam, run_module):
    entries = args()["groups"]
    entries[1]["users"] = ["bob", "nobody", "ghost"]
    result = run_module(module.main, {"groups": entries})
    assert result["failed"] and result["missing_users"] == ["ghost", "nobody"]
    assert "these users do not exist: ghost, nobody" in result["msg"]
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["Auditors"]
    assert read(iam, "Auditors") == {"users": ["mallory"], "managed": [], "inline": ["TheirOwn"]}


def test_an_inline_policy_is_deleted_only_when_named(iam, run_module):
    run_module(module.main, args())
    entries = args()["groups"]
    for entry in entries:
        entry["inline_policies"], entry["remove_inline_policies"] = {}, ["Mfa"]
    result = run_module(module.main, {"groups": entries}, diff=True)
    assert result["changed"] and result["diff"]["after"]["Auditors"] == {"inline_policies": {"Mfa": None}}
    assert read(iam, "Auditors")["inline"] == ["TheirOwn"]
    assert read(iam, "Administrators")["inline"] == []
    assert not run_module(module.main, {"groups": entries})["changed"]
