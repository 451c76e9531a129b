"""Unit tests for the scp_attach module.

The ensure_* functions run against MagicMock clients (every write, and the
absence of writes in check mode, is visible); main() runs against moto's
in-process mock.
"""

import json
from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import scp_attach as module

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
DENY_STOP = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Guard", "Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*"}],
}
DENY_STOP_AND_DELETE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Guard",
            "Effect": "Deny",
            "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
            "Resource": "*",
        }
    ],
}


def minified(document):
    return json.dumps(document, separators=(",", ":"))


def target(target_id, target_type="ORGANIZATIONAL_UNIT", name="OU"):
    return {"target_id": target_id, "type": target_type, "name": name}


def policy_state(**overrides):
    state = {
        "policy_id": "p-12345678",
        "arn": "arn:aws:organizations::123456789012:policy/o-abcdefghij/service_control_policy/p-12345678",
        "name": "guard",
        "description": "old",
        "type": SCP,
        "aws_managed": False,
        "content": DENY_STOP,
        "targets": [target("ou-ab12-11111111")],
        "tags": {"owner": "sec"},
    }
    state.update(overrides)
    return state


def params(**overrides):
    values = {
        "name": "guard",
        "description": None,
        "content": None,
        "policies": None,
        "policy_type": SCP,
        "targets": None,
        "purge_targets": False,
        "detach_full_aws_access": False,
        "state": "present",
        "tags": None,
        "purge_tags": True,
    }
    values.update(overrides)
    return values


# ---------------------------------------------------------------- validation (pure)


def test_minify_content_strips_whitespace():
    content, error = module.minify_content(json.dumps(DENY_STOP, indent=4))
    assert error is None
    assert content == minified(DENY_STOP)


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"Version": "2012-10-17",', "content is not valid JSON: "),
        ('["not", "a", "document"]', "content must be a JSON object (a policy document), got a JSON list"),
    ],
)
def test_minify_content_errors(content, expected):
    result, error = module.minify_content(content)
    assert result is None
    assert error.startswith(expected)


def test_minify_content_enforces_the_quota_on_the_minified_length():
    statement = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 5100}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    length = len(minified(document))
    assert length > 5120
    # Pretty-printing alone must not count against the quota ...
    small = {"Version": "2012-10-17", "Statement": [dict(statement, Resource="*")]}
    assert module.minify_content(json.dumps(small, indent=200))[1] is None
    # ... but real content does, and the message gives the length.
    assert module.minify_content(json.dumps(document)) == (
        None,
        f"content is {length} characters long without whitespace; the AWS limit for a policy is 5120",
    )


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"name": ""}, "name must be 1 to 128 characters long, got 0"),
        ({"name": "x" * 129}, "name must be 1 to 128 characters long, got 129"),
        ({"name": "FullAWSAccess"}, "name: FullAWSAccess is an AWS-managed policy"),
        ({"name": "RCPFullAWSAccess"}, "name: RCPFullAWSAccess is an AWS-managed policy"),
        ({"description": "d" * 513}, "description must be at most 512 characters long, got 513"),
        ({"policy_type": RCP, "detach_full_aws_access": True}, "detach_full_aws_access is only valid with"),
        ({"targets": ["root", "Workloads"]}, "targets[1]: 'Workloads' is not a valid target; use 'root', a root ID"),
    ],
)
def test_validate_options(overrides, expected):
    error = module.validate_options(params(**overrides))
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


def spec(name="guard", description=None, content=None):
    return {"name": name, "description": description, "content": content}


@pytest.mark.parametrize(
    "policies, expected",
    [
        ([spec("a"), spec("b")], None),
        ([spec("a"), spec("")], "policies[1].name must be 1 to 128 characters long, got 0"),
        ([spec("FullAWSAccess")], "policies[0].name: FullAWSAccess is an AWS-managed policy"),
        ([spec("a"), spec("b", description="d" * 513)], "policies[1].description must be at most 512 characters"),
        ([spec("a"), spec("b"), spec("a")], "policies[2].name: a is listed twice in policies"),
        ([], "policies must list at least one policy"),
    ],
)
def test_validate_options_names_the_entry_of_policies(policies, expected):
    error = module.validate_options(params(name=None, policies=policies))
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


def test_minified_specs_names_the_entry_whose_content_is_wrong():
    specs, error = module.minified_specs(
        params(name=None, policies=[spec("a", content=json.dumps(DENY_STOP)), spec("b", content="[1]")])
    )
    assert specs is None
    assert error == "policies[1].content (b) must be a JSON object (a policy document), got a JSON list"
    specs, error = module.minified_specs(params(name=None, policies=[spec("a", content=json.dumps(DENY_STOP))]))
    assert error is None and specs == [("policies[0].", spec("a", content=minified(DENY_STOP)))]
    # The single policy's error names the option alone, as before.
    assert module.minified_specs(params(content="[1]"))[1].startswith("content must be a JSON object")


# ---------------------------------------------------------------- ensure_* (MagicMock client)


@pytest.mark.parametrize("check_mode", [True, False])
def test_policy_type_enabled_when_missing(check_mode):
    client = MagicMock()
    root = {"Id": "r-ab12", "PolicyTypes": [{"Type": RCP, "Status": "ENABLED"}]}
    assert module.ensure_policy_type(client, root, SCP, check_mode) is True
    if check_mode:
        client.enable_policy_type.assert_not_called()
    else:
        client.enable_policy_type.assert_called_once_with(RootId="r-ab12", PolicyType=SCP)


def test_policy_type_already_enabled():
    client = MagicMock()
    root = {"Id": "r-ab12", "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}]}
    assert module.ensure_policy_type(client, root, SCP, False) is False
    client.enable_policy_type.assert_not_called()


def test_create_policy():
    client = MagicMock()
    client.create_policy.return_value = {"Policy": {"PolicySummary": {"Id": "p-new12345", "Arn": "arn:new"}}}
    changed, new = module.ensure_policy(client, None, "guard", None, minified(DENY_STOP), SCP, {"a": "b"}, False)
    assert changed is True
    client.create_policy.assert_called_once_with(
        Name="guard", Description="", Content=minified(DENY_STOP), Type=SCP, Tags=[{"Key": "a", "Value": "b"}]
    )
    assert new["policy_id"] == "p-new12345" and new["arn"] == "arn:new"
    assert new["content"] == DENY_STOP and new["targets"] == [] and new["tags"] == {"a": "b"}


def test_create_policy_check_mode():
    client = MagicMock()
    changed, new = module.ensure_policy(client, None, "guard", "d", minified(DENY_STOP), SCP, None, True)
    assert changed is True
    client.create_policy.assert_not_called()
    assert new["policy_id"] is None and new["description"] == "d" and new["tags"] == {}


@pytest.mark.parametrize("check_mode", [True, False])
def test_update_content_and_description(check_mode):
    client = MagicMock()
    current = policy_state()
    content = minified(DENY_STOP_AND_DELETE)
    changed, new = module.ensure_policy(client, current, "guard", "new", content, SCP, None, check_mode)
    assert changed is True
    assert new["content"] == DENY_STOP_AND_DELETE and new["description"] == "new"
    assert current["content"] == DENY_STOP, "input must not be modified"
    if check_mode:
        client.update_policy.assert_not_called()
    else:
        client.update_policy.assert_called_once_with(PolicyId="p-12345678", Description="new", Content=content)


def test_update_only_the_description():
    client = MagicMock()
    changed, new = module.ensure_policy(client, policy_state(), "guard", "new", None, SCP, None, False)
    assert changed is True
    assert new["description"] == "new" and new["content"] == DENY_STOP
    client.update_policy.assert_called_once_with(PolicyId="p-12345678", Description="new")


def test_equivalent_content_is_no_change():
    """A reordered, list-vs-string equivalent document is the same policy."""
    client = MagicMock()
    current = policy_state(content=DENY_STOP_AND_DELETE)
    same = {
        "Statement": [
            {
                "Resource": ["*"],
                "Action": ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging"],
                "Effect": "Deny",
                "Sid": "Guard",
            }
        ],
        "Version": "2012-10-17",
    }
    changed, new = module.ensure_policy(client, current, "guard", "old", minified(same), SCP, None, False)
    assert changed is False
    assert new == current
    client.update_policy.assert_not_called()


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_are_replaced_with_purge(check_mode):
    client = MagicMock()
    changed, new = module.ensure_tags(client, policy_state(), {"team": "a"}, True, check_mode)
    assert changed is True
    assert new["tags"] == {"team": "a"}
    if check_mode:
        assert client.method_calls == []
    else:
        client.untag_resource.assert_called_once_with(ResourceId="p-12345678", TagKeys=["owner"])
        client.tag_resource.assert_called_once_with(ResourceId="p-12345678", Tags=[{"Key": "team", "Value": "a"}])


def test_tags_kept_without_purge_or_when_unset():
    client = MagicMock()
    changed, new = module.ensure_tags(client, policy_state(), {"team": "a"}, False, False)
    assert changed is True and new["tags"] == {"owner": "sec", "team": "a"}
    client.untag_resource.assert_not_called()
    client.reset_mock()
    assert module.ensure_tags(client, policy_state(), None, True, False) == (False, policy_state())
    assert module.ensure_tags(client, policy_state(), {"owner": "sec"}, True, False) == (False, policy_state())
    assert client.method_calls == []


def test_targets_added_without_purge():
    client = MagicMock()
    wanted = [target("123456789012", "ACCOUNT", "acct")]
    changed, new = module.ensure_targets(client, policy_state(), wanted, False, False)
    assert changed is True
    assert client.method_calls == [call.attach_policy(PolicyId="p-12345678", TargetId="123456789012")]
    assert [t["target_id"] for t in new["targets"]] == ["123456789012", "ou-ab12-11111111"]


def test_targets_purged():
    client = MagicMock()
    wanted = [target("ou-ab12-22222222")]
    changed, new = module.ensure_targets(client, policy_state(), wanted, True, False)
    assert changed is True
    assert client.method_calls == [
        call.attach_policy(PolicyId="p-12345678", TargetId="ou-ab12-22222222"),
        call.detach_policy(PolicyId="p-12345678", TargetId="ou-ab12-11111111"),
    ]
    assert new["targets"] == wanted


def test_targets_check_mode_and_no_op():
    client = MagicMock()
    changed, new = module.ensure_targets(client, policy_state(), [target("ou-ab12-22222222")], True, True)
    assert changed is True and new["targets"] == [target("ou-ab12-22222222")]
    assert module.ensure_targets(client, policy_state(), [target("ou-ab12-11111111")], True, False)[0] is False
    assert module.ensure_targets(client, policy_state(), None, True, False)[0] is False
    assert client.method_calls == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_full_aws_access_detached_only_from_this_policys_targets(monkeypatch, check_mode):
    client = MagicMock()
    monkeypatch.setattr(
        module,
        "list_targets_for_policy",
        lambda *_: [{"TargetId": "ou-ab12-11111111"}, {"TargetId": "ou-ab12-99999999"}, {"TargetId": "r-ab12"}],
    )
    summaries = {"FullAWSAccess": {"Id": "p-FullAWSAccess"}}
    full_aws_access = module.full_aws_access_attachments(client, summaries, False, None, check_mode)
    assert full_aws_access == ("p-FullAWSAccess", {"ou-ab12-11111111", "ou-ab12-99999999", "r-ab12"})
    policy = policy_state(targets=[target("ou-ab12-11111111"), target("ou-ab12-22222222")])
    assert module.ensure_full_aws_access_detached(client, full_aws_access, policy, check_mode) == ["ou-ab12-11111111"]
    if check_mode:
        client.detach_policy.assert_not_called()
    else:
        client.detach_policy.assert_called_once_with(PolicyId="p-FullAWSAccess", TargetId="ou-ab12-11111111")


def test_full_aws_access_everywhere_once_this_run_enables_scps_in_check_mode():
    client = MagicMock()
    wanted = [target("ou-ab12-11111111"), target("123456789012", "ACCOUNT", "acct")]
    found = module.full_aws_access_attachments(client, {"FullAWSAccess": {"Id": "p-F"}}, True, wanted, True)
    assert found == ("p-F", {"ou-ab12-11111111", "123456789012"})
    assert client.method_calls == []


def test_full_aws_access_missing():
    client = MagicMock()
    assert module.full_aws_access_attachments(client, {}, False, None, False) == (None, set())
    assert module.ensure_full_aws_access_detached(client, (None, set()), policy_state(), False) == []
    assert client.method_calls == []


def test_absent_detaches_then_deletes():
    client = MagicMock()
    current = policy_state(targets=[target("ou-ab12-11111111"), target("123456789012", "ACCOUNT")])
    assert module.ensure_absent(client, current, False) is True
    assert client.method_calls == [
        call.detach_policy(PolicyId="p-12345678", TargetId="ou-ab12-11111111"),
        call.detach_policy(PolicyId="p-12345678", TargetId="123456789012"),
        call.delete_policy(PolicyId="p-12345678"),
    ]


def test_absent_check_mode_and_no_op():
    client = MagicMock()
    assert module.ensure_absent(client, policy_state(), True) is True
    assert module.ensure_absent(client, None, False) is False
    assert client.method_calls == []


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def org():
    """A moto organization: /Workloads/Prod, /Sandbox and two member accounts."""
    with mock_aws():
        client = boto3.client("organizations")
        client.create_organization(FeatureSet="ALL")
        root_id = client.list_roots()["Roots"][0]["Id"]
        workloads = client.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
        prod = client.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
        sandbox = client.create_organizational_unit(ParentId=root_id, Name="Sandbox")["OrganizationalUnit"]["Id"]
        accounts = [
            client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
            for name in ("alpha", "beta")
        ]
        yield {
            "client": client,
            "root_id": root_id,
            "workloads": workloads,
            "prod": prod,
            "sandbox": sandbox,
            "accounts": accounts,
        }


def find(client, name, policy_type=SCP):
    policies = client.list_policies(Filter=policy_type)["Policies"]
    return next((policy for policy in policies if policy["Name"] == name), None)


def targets_of(client, policy_id):
    return sorted(t["TargetId"] for t in client.list_targets_for_policy(PolicyId=policy_id)["Targets"])


def test_main_create_then_idempotent(org, run_module):
    client = org["client"]
    args = {
        "name": "guard",
        "description": "Protect CloudTrail",
        "content": DENY_STOP,
        "targets": ["/Workloads", org["accounts"][0]],
        "tags": {"owner": "sec"},
    }

    checked = run_module(module.main, args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["policy"]["policy_id"] is None
    assert [t["name"] for t in checked["policy"]["targets"]] == ["alpha", "Workloads"]
    assert checked["diff"]["before"] is None
    assert find(client, "guard") is None
    assert client.list_roots()["Roots"][0]["PolicyTypes"] == [], "check mode must not enable the policy type"

    created = run_module(module.main, args, diff=True)
    assert created["changed"] is True
    policy = created["policy"]
    assert policy["policy_id"].startswith("p-") and policy["arn"].startswith("arn:aws:organizations::")
    assert policy["content"] == DENY_STOP
    assert policy["description"] == "Protect CloudTrail"
    assert policy["aws_managed"] is False
    assert policy["tags"] == {"owner": "sec"}
    assert policy["targets"] == sorted(
        [
            {"target_id": org["workloads"], "type": "ORGANIZATIONAL_UNIT", "name": "Workloads"},
            {"target_id": org["accounts"][0], "type": "ACCOUNT", "name": "alpha"},
        ],
        key=lambda t: t["target_id"],
    )
    assert created["diff"]["after"] == policy
    assert targets_of(client, policy["policy_id"]) == sorted([org["workloads"], org["accounts"][0]])
    stored = client.describe_policy(PolicyId=policy["policy_id"])["Policy"]["Content"]
    assert stored == minified(DENY_STOP), "content is sent minified"
    assert client.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]

    for check_mode in (True, False):
        again = run_module(module.main, args, check_mode=check_mode)
        assert again["changed"] is False
        assert again["policy"] == policy


def counted(monkeypatch, name):
    """Count the calls of the module's API wrapper `name`."""
    calls = []
    wrapped = getattr(module, name)

    def counting(*args, **kwargs):
        calls.append(args[1:])
        return wrapped(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_main_policies_create_then_idempotent_with_one_listing(org, run_module, monkeypatch):
    client = org["client"]
    args = {
        "policies": [
            {"name": "guard", "description": "Protect CloudTrail", "content": DENY_STOP},
            {"name": "guard-logs", "content": json.dumps(DENY_STOP_AND_DELETE)},
        ],
        "targets": ["root"],
        "tags": {"owner": "sec"},
    }
    listings = counted(monkeypatch, "list_policies")
    roots = counted(monkeypatch, "list_roots")
    enabled = counted(monkeypatch, "enable_policy_type")

    checked = run_module(module.main, args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert [p["name"] for p in checked["policies"]] == ["guard", "guard-logs"]
    assert [p["policy_id"] for p in checked["policies"]] == [None, None]
    assert "policy" not in checked
    assert checked["diff"]["before"] == {"guard": None, "guard-logs": None}
    assert find(client, "guard") is None and find(client, "guard-logs") is None
    assert (len(listings), len(roots), len(enabled)) == (1, 1, 0)

    created = run_module(module.main, args, diff=True)
    assert created["changed"] is True
    assert len(enabled) == 1, "the policy type is enabled once for both policies"
    guard, logs = created["policies"]
    assert guard["description"] == "Protect CloudTrail" and logs["description"] == ""
    assert guard["content"] == DENY_STOP and logs["content"] == DENY_STOP_AND_DELETE
    assert guard["tags"] == logs["tags"] == {"owner": "sec"}
    for policy in (guard, logs):
        assert policy["policy_id"].startswith("p-")
        assert targets_of(client, policy["policy_id"]) == [org["root_id"]]
    assert created["diff"]["after"] == {"guard": guard, "guard-logs": logs}

    for check_mode in (True, False):
        del listings[:]
        again = run_module(module.main, args, check_mode=check_mode, diff=True)
        assert again["changed"] is False
        assert again["policies"] == [guard, logs]
        assert again["diff"]["before"] == again["diff"]["after"]
        assert len(listings) == 1


def test_main_policies_change_only_the_one_that_differs(org, run_module, monkeypatch):
    policies = [{"name": "guard", "content": DENY_STOP}, {"name": "guard-logs", "content": DENY_STOP}]
    first = run_module(module.main, {"policies": policies, "targets": ["/Workloads"]})["policies"]
    updates = counted(monkeypatch, "update_policy")
    attaches = counted(monkeypatch, "attach_policy")

    policies[1]["content"] = DENY_STOP_AND_DELETE
    result = run_module(module.main, {"policies": policies, "targets": ["/Workloads"]})
    assert result["changed"] is True
    assert [call_args[0] for call_args in updates] == [first[1]["policy_id"]]
    assert attaches == []
    assert result["policies"][0] == first[0]
    assert result["policies"][1]["content"] == DENY_STOP_AND_DELETE


def test_main_policies_fail_before_any_write_when_one_cannot_be_made(org, run_module):
    args = {"policies": [{"name": "guard", "content": DENY_STOP}, {"name": "guard-logs"}], "targets": ["root"]}
    result = run_module(module.main, args)
    assert result["failed"] is True
    assert result["msg"] == "policies[1].content is required to create policy guard-logs"
    assert find(org["client"], "guard") is None
    assert org["client"].list_roots()["Roots"][0]["PolicyTypes"] == []


def test_main_policies_fail_on_an_unknown_target_before_any_write(org, run_module):
    args = {"policies": [{"name": "guard", "content": DENY_STOP}], "targets": ["root", "/Nowhere"]}
    result = run_module(module.main, args)
    assert result["failed"] is True
    assert result["msg"].startswith("targets[1]: OU path '/Nowhere' does not exist")
    assert find(org["client"], "guard") is None
    assert org["client"].list_roots()["Roots"][0]["PolicyTypes"] == []


def test_main_policies_say_what_changed_before_aws_refused_one(org, run_module, monkeypatch):
    create = module.create_policy

    def refuse_the_second(client, name, *args):
        if name == "guard-logs":
            raise module.AnsibleOrganizationsError(message="Failed to create policy guard-logs: ConstraintViolation")
        return create(client, name, *args)

    monkeypatch.setattr(module, "create_policy", refuse_the_second)
    policies = [{"name": "guard", "content": DENY_STOP}, {"name": "guard-logs", "content": DENY_STOP}]
    result = run_module(module.main, {"policies": policies, "targets": ["root"]})
    assert result["failed"] is True
    assert result["msg"] == "policies[1].name: guard-logs: Failed to create policy guard-logs: ConstraintViolation"
    assert result["changed"] is True
    assert [policy["name"] for policy in result["policies"]] == ["guard"]
    assert targets_of(org["client"], find(org["client"], "guard")["Id"]) == [org["root_id"]]


def test_main_single_policy_failing_after_a_write_says_it_changed(org, run_module, monkeypatch):
    def refuse(*_args):
        raise module.AnsibleOrganizationsError(message="Failed to attach policy: ConstraintViolationException")

    monkeypatch.setattr(module, "attach_policy", refuse)
    result = run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": ["root"]})
    assert result["failed"] is True
    assert result["msg"] == "Failed to attach policy: ConstraintViolationException"
    assert result["changed"] is True, "the policy was created before AWS refused the attachment"
    assert find(org["client"], "guard") is not None


@pytest.mark.parametrize("check_mode", [True, False])
def test_main_detach_full_aws_access_in_the_run_that_enables_scps(org, run_module, check_mode):
    # With SCPs disabled nothing is attached; enabled, every entity starts with FullAWSAccess (AWS Organizations User
    # Guide, "Disabling a policy type",
    # https://docs.aws.amazon.com/organizations/latest/userguide/disable-policy-type.html; the emulator does the same,
    # tools/moto_server.py). Read before enabling, FullAWSAccess would be attached nowhere and stay on /Sandbox.
    client = org["client"]
    assert targets_of(client, "p-FullAWSAccess") == []
    args = {"name": "allow", "content": DENY_STOP, "targets": ["/Sandbox"], "detach_full_aws_access": True}
    result = run_module(module.main, args, check_mode=check_mode)
    assert result["changed"] is True
    assert result["full_aws_access_detached"] == [org["sandbox"]]
    full_access_targets = targets_of(client, "p-FullAWSAccess")
    if check_mode:
        assert full_access_targets == [], "check mode enabled nothing, so nothing was attached"
    else:
        assert org["sandbox"] not in full_access_targets
        assert {org["root_id"], org["workloads"], org["prod"]} <= set(full_access_targets)


@pytest.mark.parametrize("check_mode", [True, False])
def test_main_policies_detach_full_aws_access_once_with_one_read(org, run_module, monkeypatch, check_mode):
    client = org["client"]
    # SCPs enabled already (the run that enables them is the test above).
    client.enable_policy_type(RootId=org["root_id"], PolicyType=SCP)
    full = find(client, "FullAWSAccess")["Id"]
    policies = [{"name": "allow-a", "content": DENY_STOP}, {"name": "allow-b", "content": DENY_STOP_AND_DELETE}]
    args = {"policies": policies, "targets": ["/Sandbox"], "detach_full_aws_access": True}
    listings = counted(monkeypatch, "list_policies")
    target_reads = counted(monkeypatch, "list_targets_for_policy")

    result = run_module(module.main, args, check_mode=check_mode)
    assert result["changed"] is True
    assert result["full_aws_access_detached"] == [org["sandbox"]]
    assert len(listings) == 1
    assert [args_ for args_ in target_reads if args_[0] == full] == [(full,)], "FullAWSAccess's targets read once"
    assert (org["sandbox"] in targets_of(client, full)) is check_mode
    if not check_mode:
        again = run_module(module.main, args)
        assert again["changed"] is False and again["full_aws_access_detached"] == []


def test_main_policies_share_the_tags(org, run_module):
    policies = [{"name": "guard", "content": DENY_STOP}, {"name": "guard-logs", "content": DENY_STOP}]
    run_module(module.main, {"policies": policies, "tags": {"owner": "sec", "old": "x"}})
    result = run_module(module.main, {"policies": policies, "tags": {"owner": "sec", "team": "a"}})
    assert result["changed"] is True
    assert [policy["tags"] for policy in result["policies"]] == [{"owner": "sec", "team": "a"}] * 2
    kept = run_module(module.main, {"policies": policies, "tags": {"extra": "y"}, "purge_tags": False})
    assert [policy["tags"] for policy in kept["policies"]] == [{"owner": "sec", "team": "a", "extra": "y"}] * 2


def test_main_policies_absent_deletes_each(org, run_module):
    policies = [{"name": "guard", "content": DENY_STOP}, {"name": "guard-logs", "content": DENY_STOP}]
    run_module(module.main, {"policies": policies, "targets": ["root"]})
    names = [{"name": "guard"}, {"name": "guard-logs"}, {"name": "never-made"}]
    checked = run_module(module.main, {"policies": names, "state": "absent"}, check_mode=True)
    assert checked["changed"] is True and find(org["client"], "guard") is not None
    removed = run_module(module.main, {"policies": names, "state": "absent"})
    assert removed["changed"] is True and removed["policies"] == []
    assert find(org["client"], "guard") is None and find(org["client"], "guard-logs") is None
    assert run_module(module.main, {"policies": names, "state": "absent"})["changed"] is False


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"name": "guard", "policies": [{"name": "other"}]}, "parameters are mutually exclusive: name|policies"),
        ({"content": DENY_STOP, "policies": [{"name": "other"}]}, "parameters are mutually exclusive: content|"),
        ({"targets": ["root"]}, "one of the following is required: name, policies"),
    ],
)
def test_main_name_or_policies(run_module, args, expected):
    result = run_module(module.main, args)
    assert result["failed"] is True
    assert result["msg"].startswith(expected)


def test_main_update_content_and_add_target_keeps_others(org, run_module):
    client = org["client"]
    first = run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": ["/Workloads"]})["policy"]

    args = {"name": "guard", "content": json.dumps(DENY_STOP_AND_DELETE), "targets": ["/Workloads/Prod"]}
    checked = run_module(module.main, args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"]["content"] == DENY_STOP
    assert checked["diff"]["after"]["content"] == DENY_STOP_AND_DELETE
    assert json.loads(client.describe_policy(PolicyId=first["policy_id"])["Policy"]["Content"]) == DENY_STOP

    updated = run_module(module.main, args)
    assert updated["changed"] is True
    assert updated["policy"]["content"] == DENY_STOP_AND_DELETE
    # Without purge_targets the /Workloads attachment stays.
    assert targets_of(client, first["policy_id"]) == sorted([org["workloads"], org["prod"]])
    assert run_module(module.main, args)["changed"] is False


def test_main_purge_targets(org, run_module):
    client = org["client"]
    policy = run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": ["/Workloads", "/Sandbox"]})
    policy_id = policy["policy"]["policy_id"]
    args = {"name": "guard", "targets": ["root"], "purge_targets": True}

    assert run_module(module.main, args, check_mode=True)["changed"] is True
    assert targets_of(client, policy_id) == sorted([org["workloads"], org["sandbox"]])
    result = run_module(module.main, args)
    assert result["changed"] is True
    assert result["policy"]["targets"] == [{"target_id": org["root_id"], "type": "ROOT", "name": "Root"}]
    assert targets_of(client, policy_id) == [org["root_id"]]
    assert run_module(module.main, args)["changed"] is False


def test_main_detach_full_aws_access_only_from_its_targets(org, run_module):
    client = org["client"]
    # SCPs enabled already, so FullAWSAccess is attached everywhere (the run that enables them is tested above).
    client.enable_policy_type(RootId=org["root_id"], PolicyType=SCP)
    args = {"name": "allow", "content": DENY_STOP, "targets": ["/Sandbox"], "detach_full_aws_access": True}

    checked = run_module(module.main, args, check_mode=True)
    assert checked["full_aws_access_detached"] == [org["sandbox"]]
    assert org["sandbox"] in targets_of(client, "p-FullAWSAccess")

    result = run_module(module.main, args)
    assert result["changed"] is True
    assert result["full_aws_access_detached"] == [org["sandbox"]]
    full_access_targets = targets_of(client, "p-FullAWSAccess")
    assert org["sandbox"] not in full_access_targets
    assert {org["root_id"], org["workloads"], org["prod"]} <= set(full_access_targets)

    again = run_module(module.main, args)
    assert again["changed"] is False and again["full_aws_access_detached"] == []


def test_main_never_detaches_full_aws_access_by_default(org, run_module):
    run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": ["/Sandbox"], "purge_targets": True})
    assert org["sandbox"] in targets_of(org["client"], "p-FullAWSAccess")


def test_main_description_and_tags(org, run_module):
    run_module(module.main, {"name": "guard", "content": DENY_STOP, "tags": {"a": "1"}})
    result = run_module(module.main, {"name": "guard", "description": "new", "tags": {"b": "2"}, "purge_tags": False})
    assert result["changed"] is True
    assert result["policy"]["description"] == "new"
    assert result["policy"]["tags"] == {"a": "1", "b": "2"}


def test_main_absent(org, run_module):
    client = org["client"]
    policy_id = run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": ["/Workloads", "root"]})[
        "policy"
    ]["policy_id"]

    checked = run_module(module.main, {"name": "guard", "state": "absent"}, check_mode=True, diff=True)
    assert checked["changed"] is True and checked["policy"] is None
    assert checked["diff"]["before"]["policy_id"] == policy_id and checked["diff"]["after"] is None
    assert find(client, "guard") is not None

    result = run_module(module.main, {"name": "guard", "state": "absent"})
    assert result["changed"] is True
    assert find(client, "guard") is None
    for check_mode in (True, False):
        assert run_module(module.main, {"name": "guard", "state": "absent"}, check_mode=check_mode)["changed"] is False


def test_main_resource_control_policy(org, run_module):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}],
    }
    result = run_module(module.main, {"name": "rcp", "content": document, "policy_type": RCP, "targets": ["root"]})
    assert result["changed"] is True
    assert result["policy"]["type"] == RCP
    assert find(org["client"], "rcp", RCP) is not None
    assert {"Type": RCP, "Status": "ENABLED"} in org["client"].list_roots()["Roots"][0]["PolicyTypes"]


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"content": "{not json"}, "content is not valid JSON: "),
        ({"name": "FullAWSAccess", "content": DENY_STOP}, "name: FullAWSAccess is an AWS-managed policy"),
        ({"content": DENY_STOP, "targets": ["prod"]}, "targets[0]: 'prod' is not a valid target"),
    ],
)
def test_main_fails_before_any_call(run_module, monkeypatch, args, expected):
    lookup = MagicMock()
    monkeypatch.setattr(module, "list_policies", lookup)
    result = run_module(module.main, dict({"name": "guard"}, **args))
    assert result["failed"] is True
    assert result["msg"].startswith(expected)
    lookup.assert_not_called()


@pytest.mark.parametrize(
    "targets, expected",
    [
        (["/Workloads", "/Workloads/Dev"], "targets[1]: OU path '/Workloads/Dev' does not exist"),
        (["ou-zzzz-zzzzzzzz"], "targets[0]: OU ou-zzzz-zzzzzzzz does not exist in this organization"),
        (["444444444444"], "targets[0]: account 444444444444 is not a member of this organization"),
        (["r-zzzz"], "targets[0]: r-zzzz is not the root of this organization; its root is r-"),
    ],
)
def test_main_fails_on_unknown_targets_before_any_write(org, run_module, targets, expected):
    result = run_module(module.main, {"name": "guard", "content": DENY_STOP, "targets": targets})
    assert result["failed"] is True
    assert result["msg"].startswith(expected)
    assert find(org["client"], "guard") is None
    assert org["client"].list_roots()["Roots"][0]["PolicyTypes"] == []


def test_main_needs_content_to_create(org, run_module):
    result = run_module(module.main, {"name": "guard", "targets": ["root"]})
    assert result["failed"] is True
    assert result["msg"] == "content is required to create policy guard"


def test_main_refuses_aws_managed_policies_found_by_type(org, run_module, monkeypatch):
    # Names are checked up front; the AwsManaged flag catches any other AWS-managed policy.
    monkeypatch.setattr(module, "AWS_MANAGED_POLICY_NAMES", ())
    result = run_module(module.main, {"name": "FullAWSAccess", "state": "absent"})
    assert result["failed"] is True
    assert result["msg"] == "name: FullAWSAccess is an AWS-managed policy; it cannot be created, changed or deleted"
    assert find(org["client"], "FullAWSAccess") is not None


def test_main_reports_aws_errors(run_module):
    with mock_aws():
        result = run_module(module.main, {"name": "guard", "content": DENY_STOP})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to ")
    assert "AWSOrganizationsNotInUseException" in result["msg"]
