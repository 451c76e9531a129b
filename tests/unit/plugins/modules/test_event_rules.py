"""Unit tests for the event_rules module.

The pure functions and ensure_* run against MagicMock clients (every write, and the absence of writes in check
mode, is visible); main() runs against moto's in-process mock.
"""

import json
from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import events as events_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import event_rules as module

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
OTHER_BUS = "arn:aws:events:us-east-1:210987654321:event-bus/default"
FORWARD_ROLE = "arn:aws:iam::123456789012:role/forward-events"
PATTERN = {"source": ["aws.cloudtrail"], "detail": {"eventName": ["StopLogging", "DeleteTrail"]}}


def target(target_id="alarm-topic", arn=TOPIC, **overrides):
    """A targets[] entry with the defaults Ansible's argument spec fills in."""
    values = {
        "id": target_id,
        "arn": arn,
        "role_arn": None,
        "input": None,
        "input_path": None,
        "input_transformer": None,
        "dead_letter_arn": None,
        "retry_policy": None,
    }
    values.update(overrides)
    return values


def rule(name="tg-trail", **overrides):
    values = {
        "name": name,
        "description": "trail tampering",
        "event_pattern": json.dumps(PATTERN),
        "state": "ENABLED",
        "targets": [target()],
    }
    values.update(overrides)
    return values


def params(**overrides):
    values = {
        "event_bus_name": "default",
        "name_prefix": "tg-",
        "rules": [rule()],
        "remove": [],
        "purge": False,
        "policy_statements": None,
        "policy_sid_prefix": "Trailguard",
    }
    values.update(overrides)
    return values


def listed(state, **extra):
    """What ListRules returns for a rule put with rule_parameters(state)."""
    parameters = module.rule_parameters(state, "default")
    found = {
        "Name": parameters["Name"],
        "Arn": f"arn:aws:events:us-east-1:123456789012:rule/{parameters['Name']}",
        "EventPattern": parameters["EventPattern"],
        "State": parameters["State"],
        "EventBusName": "default",
    }
    if parameters["Description"]:
        found["Description"] = parameters["Description"]
    found.update(extra)
    return found


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"name_prefix": "tg prefix"}, "name_prefix must be 1 to 64 letters"),
        ({"event_bus_name": "bad bus"}, "event_bus_name must be an event bus name or ARN"),
        ({"event_bus_name": "arn:aws:events:us-east-1:123456789012:event-bus/security"}, None),
        ({"rules": [rule("other")]}, "rules[0] (other): name must start with name_prefix (tg-)"),
        ({"rules": [rule("tg-" + "x" * 62)]}, "rules[0] (tg-xxx"),
        ({"rules": [rule(), rule()]}, "rules[1] (tg-trail): the name is in rules twice"),
        ({"rules": [rule(description="d" * 513)]}, "rules[0] (tg-trail): description is longer than 512"),
        ({"rules": [rule(event_pattern="{not json")]}, "rules[0] (tg-trail): event_pattern is not valid JSON"),
        ({"rules": [rule(event_pattern="[1]")]}, "rules[0] (tg-trail): event_pattern must be a non-empty JSON object"),
        (
            {"rules": [rule(targets=[target(f"t{n}") for n in range(6)])]},
            "rules[0] (tg-trail): a rule has at most 5 targets (EventBridge quota), got 6",
        ),
        ({"rules": [rule(targets=[target(), target()])]}, "rules[0] (tg-trail).targets[1]: the id alarm-topic is"),
        ({"rules": [rule(targets=[target("a b")])]}, "rules[0] (tg-trail).targets[0]: id must be 1 to 64"),
        ({"rules": [rule(targets=[target(arn="topic")])]}, "rules[0] (tg-trail).targets[0]: arn must be an ARN"),
        (
            {"rules": [rule(targets=[target(input="{}", input_path="$.detail")])]},
            "rules[0] (tg-trail).targets[0]: input and input_path are mutually exclusive",
        ),
        ({"rules": [rule(targets=[target(input="{x")])]}, "rules[0] (tg-trail).targets[0]: input is not valid JSON"),
        ({"remove": ["other"]}, "remove[0] (other): only names that start with name_prefix (tg-)"),
        ({"remove": ["tg-trail"]}, "remove[0] (tg-trail): the name is also in rules"),
    ],
)
def test_validate_params(overrides, expected):
    error = module.validate_params(params(**overrides))
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


# ---------------------------------------------------------------- states (pure)


def full_target():
    return target(
        "forward",
        OTHER_BUS,
        role_arn=FORWARD_ROLE,
        input_transformer={"input_paths_map": {"name": "$.detail.eventName"}, "input_template": '"<name>"'},
        dead_letter_arn="arn:aws:sqs:us-east-1:123456789012:dlq",
        retry_policy={"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": None},
    )


def test_a_rule_reads_back_as_it_was_put():
    wanted = module.wanted_rule(rule(targets=[target(input='{"a": 1}'), full_target()]))
    targets = [module.target_parameters(state) for state in wanted["targets"]]
    assert module.current_rule(listed(wanted), targets) == wanted
    assert targets[1]["RoleArn"] == FORWARD_ROLE and targets[1]["RetryPolicy"] == {"MaximumRetryAttempts": 3}


def test_event_pattern_and_input_are_compared_as_data():
    wanted = module.wanted_rule(rule(targets=[target(input='{"b": [1, 2], "a": "x"}')]))
    spaced = json.dumps({"detail": PATTERN["detail"], "source": PATTERN["source"]}, indent=4)
    targets = [{"Id": "alarm-topic", "Arn": TOPIC, "Input": '{"a":"x","b":[1,2]}'}]
    assert module.current_rule(listed(wanted, EventPattern=spaced), targets) == wanted


def test_a_retry_policy_that_is_not_set_is_left_as_it_is():
    client = MagicMock()
    current = module.wanted_rule(rule())
    current["targets"][0]["retry_policy"] = {"maximum_retry_attempts": 185, "maximum_event_age_in_seconds": 86400}
    changed, new, _arn = module.ensure_rule(
        client, "default", dict(current, arn="arn"), module.wanted_rule(rule()), False
    )
    assert not changed and client.method_calls == []
    assert new["targets"][0]["retry_policy"]["maximum_retry_attempts"] == 185


# ---------------------------------------------------------------- ensure_* (MagicMock client)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_rule_is_put_with_its_targets(check_mode):
    client = MagicMock()
    client.put_rule.return_value = {"RuleArn": "arn:new"}
    client.put_targets.return_value = {"FailedEntryCount": 0, "FailedEntries": []}
    changed, new, arn = module.ensure_rule(client, "default", None, module.wanted_rule(rule()), check_mode)
    assert changed and new["targets"] == [{"id": "alarm-topic", "arn": TOPIC}]
    if check_mode:
        assert client.method_calls == [] and arn is None
    else:
        assert arn == "arn:new"
        assert client.method_calls == [
            call.put_rule(
                Name="tg-trail",
                EventBusName="default",
                Description="trail tampering",
                EventPattern=json.dumps(PATTERN, separators=(",", ":")),
                State="ENABLED",
            ),
            call.put_targets(EventBusName="default", Rule="tg-trail", Targets=[{"Id": "alarm-topic", "Arn": TOPIC}]),
        ]


def test_only_the_targets_that_differ_are_written():
    client = MagicMock()
    client.put_targets.return_value = {"FailedEntryCount": 0}
    client.remove_targets.return_value = {"FailedEntryCount": 0}
    current = module.wanted_rule(rule(targets=[target(), target("old", "arn:aws:sqs:us-east-1:123456789012:q")]))
    wanted = module.wanted_rule(rule(targets=[target(), full_target()]))
    changed, _new, arn = module.ensure_rule(client, "default", dict(current, arn="arn:rule"), wanted, False)
    assert changed and arn == "arn:rule"
    client.put_rule.assert_not_called()
    assert client.method_calls == [
        call.put_targets(
            EventBusName="default", Rule="tg-trail", Targets=[module.target_parameters(wanted["targets"][1])]
        ),
        call.remove_targets(EventBusName="default", Rule="tg-trail", Ids=["old"]),
    ]


@pytest.mark.parametrize("field, value", [("description", "new"), ("state", "DISABLED"), ("event_pattern", "{}")])
def test_a_rule_field_that_differs_puts_the_rule_only(field, value):
    client = MagicMock()
    client.put_rule.return_value = {"RuleArn": "arn:rule"}
    current = module.wanted_rule(rule())
    if field == "event_pattern":
        value = {"source": ["aws.s3"]}
    wanted = dict(current, **{field: value})
    changed, new, _arn = module.ensure_rule(client, "default", dict(current, arn="arn:rule"), wanted, False)
    assert changed and new[field] == value
    assert [c[0] for c in client.method_calls] == ["put_rule"]


def test_the_same_rule_is_no_change():
    client = MagicMock()
    current = module.wanted_rule(rule(targets=[full_target()]))
    wanted = module.wanted_rule(rule(targets=[full_target()]))
    assert module.ensure_rule(client, "default", dict(current, arn="arn:rule"), wanted, False)[0] is False
    assert client.method_calls == []


def test_a_target_that_eventbridge_could_not_put_is_an_error():
    client = MagicMock()
    client.put_rule.return_value = {"RuleArn": "arn:new"}
    client.put_targets.return_value = {
        "FailedEntryCount": 1,
        "FailedEntries": [{"TargetId": "alarm-topic", "ErrorCode": "AccessDenied", "ErrorMessage": "not allowed"}],
    }
    with pytest.raises(events_utils.AnsibleEventBridgeError, match="alarm-topic: AccessDenied not allowed"):
        module.ensure_rule(client, "default", None, module.wanted_rule(rule()), False)


def test_a_client_error_becomes_the_collection_error():
    client = MagicMock()
    client.put_rule.side_effect = ClientError({"Error": {"Code": "LimitExceededException"}}, "PutRule")
    with pytest.raises(events_utils.AnsibleEventBridgeError, match="Failed to put rule"):
        module.ensure_rule(client, "default", None, module.wanted_rule(rule()), False)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_rule_is_deleted_after_its_targets(check_mode):
    client = MagicMock()
    client.remove_targets.return_value = {"FailedEntryCount": 0}
    current = module.wanted_rule(rule(targets=[target(), target("second", TOPIC)]))
    module.ensure_absent(client, "default", current, check_mode)
    expected = [
        call.remove_targets(EventBusName="default", Rule="tg-trail", Ids=["alarm-topic", "second"]),
        call.delete_rule(EventBusName="default", Name="tg-trail"),
    ]
    assert client.method_calls == ([] if check_mode else expected)


def test_unwanted_names():
    found = [{"Name": "tg-a"}, {"Name": "tg-b"}, {"Name": "tg-managed", "ManagedBy": "config.amazonaws.com"}]
    assert module.unwanted_names(found, {"tg-a": {}}, ["tg-b", "tg-gone"], False) == ["tg-b"]
    assert module.unwanted_names(found, {"tg-a": {}}, [], False) == []
    assert module.unwanted_names(found, {"tg-a": {}}, [], True) == ["tg-b"]


def test_a_missing_bus_reads_as_none():
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value.build_full_result.side_effect = ClientError(
        {"Error": {"Code": "ResourceNotFoundException"}}, "ListRules"
    )
    assert events_utils.list_rules(client, "security", "tg-") is None
    client.get_paginator.return_value.paginate.assert_called_once_with(EventBusName="security", NamePrefix="tg-")


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def events():
    with mock_aws():
        yield boto3.client("events", region_name="us-east-1")


def read_back(events, bus="default"):
    rules = {}
    for found in events.list_rules(EventBusName=bus)["Rules"]:
        targets = events.list_targets_by_rule(EventBusName=bus, Rule=found["Name"])["Targets"]
        rules[found["Name"]] = {
            "state": found["State"],
            "pattern": json.loads(found["EventPattern"]),
            "targets": {t["Id"]: t for t in targets},
        }
    return rules


def args(**overrides):
    values = {
        "name_prefix": "tg-",
        "rules": [
            {
                "name": "tg-trail",
                "description": "trail tampering",
                "event_pattern": PATTERN,
                "targets": [{"id": "alarm-topic", "arn": TOPIC}],
            },
            {
                "name": "tg-key",
                "event_pattern": {"source": ["aws.kms"]},
                "state": "DISABLED",
                "targets": [
                    {"id": "alarm-topic", "arn": TOPIC},
                    {"id": "forward", "arn": OTHER_BUS, "role_arn": FORWARD_ROLE, "input_path": "$.detail"},
                ],
            },
        ],
    }
    values.update(overrides)
    return values


def test_check_mode_then_apply_then_idempotent(events, run_module):
    result = run_module(module.main, args(), check_mode=True, diff=True)
    assert result["changed"] and result["diff"]["before"] == {}
    assert sorted(result["diff"]["after"]) == ["tg-key", "tg-trail"]
    assert [r["arn"] for r in result["rules"]] == [None, None]
    assert read_back(events) == {}

    result = run_module(module.main, args())
    assert result["changed"] and result["rules"][0]["arn"].endswith(":rule/tg-trail")
    rules = read_back(events)
    assert rules["tg-trail"]["pattern"] == PATTERN and rules["tg-trail"]["state"] == "ENABLED"
    assert rules["tg-key"]["state"] == "DISABLED"
    assert rules["tg-key"]["targets"]["forward"] == {
        "Id": "forward",
        "Arn": OTHER_BUS,
        "RoleArn": FORWARD_ROLE,
        "InputPath": "$.detail",
    }

    assert not run_module(module.main, args(), check_mode=True)["changed"]
    assert not run_module(module.main, args())["changed"]


def test_a_changed_target_is_the_only_write(events, run_module):
    run_module(module.main, args())
    changed = args()
    changed["rules"][1]["targets"] = changed["rules"][1]["targets"][:1]
    result = run_module(module.main, changed, check_mode=True, diff=True)
    assert result["changed"] and list(result["diff"]["after"]) == ["tg-key"]
    assert len(result["diff"]["before"]["tg-key"]["targets"]) == 2
    assert len(result["diff"]["after"]["tg-key"]["targets"]) == 1

    assert run_module(module.main, changed)["changed"]
    assert list(read_back(events)["tg-key"]["targets"]) == ["alarm-topic"]
    assert not run_module(module.main, changed)["changed"]


def test_remove_and_purge_delete_only_owned_rules(events, run_module):
    run_module(module.main, args())
    # Not the module's: outside the prefix. It must survive even a purge.
    events.put_rule(Name="team-rule", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.put_targets(Rule="team-rule", Targets=[{"Id": "t", "Arn": TOPIC}])
    only_trail = args(rules=args()["rules"][:1])

    assert not run_module(module.main, only_trail)["changed"], "without remove or purge nothing is deleted"
    result = run_module(module.main, dict(only_trail, remove=["tg-key", "tg-never-made"]), check_mode=True, diff=True)
    assert result["changed"] and result["removed"] == ["tg-key"] and list(result["diff"]["before"]) == ["tg-key"]
    assert "tg-key" in read_back(events)

    assert run_module(module.main, dict(only_trail, remove=["tg-key"]))["removed"] == ["tg-key"]
    assert sorted(read_back(events)) == ["team-rule", "tg-trail"]

    assert run_module(module.main, dict(only_trail, rules=[], purge=True))["removed"] == ["tg-trail"]
    assert list(read_back(events)) == ["team-rule"]


def test_a_missing_bus_is_an_error_outside_check_mode(events, run_module):
    result = run_module(module.main, args(event_bus_name="security"))
    assert result["failed"] and result["msg"] == (
        "event_bus_name: the event bus security does not exist in this account and region"
    )
    result = run_module(module.main, args(event_bus_name="security"), check_mode=True)
    assert result["changed"] and [r["name"] for r in result["rules"]] == ["tg-trail", "tg-key"]


def test_rules_on_a_custom_bus(events, run_module):
    events.create_event_bus(Name="security")
    assert run_module(module.main, args(event_bus_name="security"))["changed"]
    assert sorted(read_back(events, "security")) == ["tg-key", "tg-trail"] and read_back(events) == {}
    assert not run_module(module.main, args(event_bus_name="security"))["changed"]


def test_invalid_options_fail_before_any_call(events, run_module):
    bad = args()
    bad["rules"][1]["targets"][1]["input"] = {"a": 1}
    result = run_module(module.main, bad)
    assert result["failed"] and "input and input_path are mutually exclusive" in result["msg"]
    assert read_back(events) == {}


# ---------------------------------------------------------------- the event bus policy

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


def bus_statement(sid="TrailguardFromLogArchive", account="210987654321", **overrides):
    values = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "events:PutEvents",
        "Resource": BUS,
    }
    values.update(overrides)
    return values


THEIRS = bus_statement("TeamForwarding", "333333333333")


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"policy_statements": []}, None),
        ({"policy_statements": [bus_statement()]}, None),
        ({"policy_sid_prefix": "Trail guard", "policy_statements": []}, "policy_sid_prefix must be 1 to 64"),
        ({"policy_statements": [bus_statement("Team")]}, "policy_statements[0] (Team): Sid must start with"),
        ({"policy_statements": [bus_statement("Trailguard.x")]}, "policy_statements[0]: Sid must be 1 to 64"),
        ({"policy_statements": [{"Effect": "Allow"}]}, "policy_statements[0]: Sid must be 1 to 64"),
        (
            {"policy_statements": [bus_statement(), bus_statement()]},
            "policy_statements[1] (TrailguardFromLogArchive): the Sid is in policy_statements twice",
        ),
        (
            {"policy_statements": [{"Sid": "TrailguardX", "Effect": "Allow", "Action": "events:PutEvents"}]},
            "policy_statements[0] (TrailguardX): a statement needs Principal, Resource",
        ),
    ],
)
def test_validate_policy_statements(overrides, expected):
    error = module.validate_params(params(**overrides))
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected), error


def test_the_wanted_policy_keeps_the_statements_of_others():
    current = {"Version": "2012-10-17", "Statement": [bus_statement(account="444444444444"), THEIRS]}
    wanted = module.wanted_policy(current, [bus_statement()], "Trailguard")
    assert wanted == {"Version": "2012-10-17", "Statement": [bus_statement(), THEIRS]}
    assert module.wanted_policy(current, [], "Trailguard") == {"Version": "2012-10-17", "Statement": [THEIRS]}
    assert module.wanted_policy({"Statement": bus_statement()}, [], "Trailguard") is None
    assert module.wanted_policy(None, [], "Trailguard") is None


def test_the_policy_is_compared_as_data():
    current = {"Version": "2012-10-17", "Statement": [THEIRS, dict(bus_statement(), Action=["events:PutEvents"])]}
    client = MagicMock()
    assert module.ensure_bus_policy(client, "default", current, [bus_statement()], "Trailguard", False) == (
        False,
        current,
    )
    assert client.method_calls == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_changed_statement_is_put_with_the_others_kept(check_mode):
    current = {"Version": "2012-10-17", "Statement": [bus_statement(account="444444444444"), THEIRS]}
    client = MagicMock()
    changed, after = module.ensure_bus_policy(client, "default", current, [bus_statement()], "Trailguard", check_mode)
    assert changed and after["Statement"] == [bus_statement(), THEIRS]
    if check_mode:
        assert client.method_calls == []
    else:
        assert client.method_calls == [
            call.put_permission(EventBusName="default", Policy=json.dumps(after, separators=(",", ":")))
        ]


def test_owned_statements_no_longer_wanted_are_removed_before_the_put():
    current = {"Version": "2012-10-17", "Statement": [bus_statement("TrailguardOld"), THEIRS]}
    client = MagicMock()
    changed, after = module.ensure_bus_policy(client, "default", current, [bus_statement()], "Trailguard", False)
    assert changed
    assert client.method_calls == [
        call.remove_permission(EventBusName="default", StatementId="TrailguardOld"),
        call.put_permission(EventBusName="default", Policy=json.dumps(after, separators=(",", ":"))),
    ]

    client = MagicMock()
    assert module.ensure_bus_policy(client, "default", current, [], "Trailguard", False) == (
        True,
        {"Version": "2012-10-17", "Statement": [THEIRS]},
    )
    assert client.method_calls == [call.remove_permission(EventBusName="default", StatementId="TrailguardOld")]


def policy_of(events):
    bus = events.describe_event_bus(Name="default")
    return json.loads(bus["Policy"]) if "Policy" in bus else None


def test_bus_policy_check_mode_apply_idempotent_and_removal(events, run_module):
    events.put_permission(EventBusName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [THEIRS]}))
    with_policy = args(policy_statements=[bus_statement()])

    result = run_module(module.main, with_policy, check_mode=True, diff=True)
    assert result["changed"] and result["diff"]["before"]["event bus policy"]["Statement"] == [THEIRS]
    assert result["policy"]["Statement"] == [bus_statement(), THEIRS]
    assert policy_of(events)["Statement"] == [THEIRS]

    result = run_module(module.main, with_policy)
    assert result["changed"]
    assert sorted(item["Sid"] for item in policy_of(events)["Statement"]) == [
        "TeamForwarding",
        "TrailguardFromLogArchive",
    ]
    assert not run_module(module.main, with_policy)["changed"]
    assert not run_module(module.main, args())["changed"], "without policy_statements the policy is left alone"
    assert len(policy_of(events)["Statement"]) == 2

    assert run_module(module.main, args(policy_statements=[]))["changed"]
    assert policy_of(events)["Statement"] == [THEIRS]
    assert not run_module(module.main, args(policy_statements=[]))["changed"]


def test_bus_policy_on_a_bus_without_one_and_back_to_none(events, run_module):
    assert policy_of(events) is None
    assert run_module(module.main, args(policy_statements=[bus_statement()]))["policy"]["Statement"] == [
        bus_statement()
    ]
    assert policy_of(events)["Statement"] == [bus_statement()]
    result = run_module(module.main, args(policy_statements=[]))
    assert result["changed"] and result["policy"] is None
    assert policy_of(events) is None
