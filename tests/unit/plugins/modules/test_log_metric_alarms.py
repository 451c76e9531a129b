"""Unit tests for the log_metric_alarms module.

The pure functions and ensure_* run against MagicMock clients (every write, and the absence of writes in check
mode, is visible); main() runs against moto's in-process mock.
"""

from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import cloudwatch as cloudwatch_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import log_metric_alarms as module

GROUP = "/aws/cloudtrail/trail"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:other"


def item(name="tg-root", **overrides):
    """An items[] entry with the defaults Ansible's argument spec fills in."""
    values = {
        "name": name,
        "pattern": '{ $.userIdentity.type = "Root" }',
        "metric_name": "RootAccountUsage",
        "metric_value": "1",
        "default_value": None,
        "description": "Root used",
        "statistic": "Sum",
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "threshold": 1.0,
        "period": 300,
        "evaluation_periods": 1,
        "datapoints_to_alarm": None,
        "treat_missing_data": "notBreaching",
    }
    values.update(overrides)
    return values


def params(**overrides):
    values = {
        "log_group_name": GROUP,
        "metric_namespace": "Trailguard/CIS",
        "name_prefix": "tg-",
        "alarm_actions": [TOPIC],
        "ok_actions": [],
        "insufficient_data_actions": [],
        "actions_enabled": True,
        "items": [item()],
        "remove": [],
        "purge": False,
    }
    values.update(overrides)
    return values


def aws_alarm(parameters):
    """What DescribeAlarms returns for an alarm put with these PutMetricAlarm parameters."""
    alarm = {key: value for key, value in parameters.items() if key not in ("AlarmDescription",)}
    alarm.update(
        AlarmArn=f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{parameters['AlarmName']}",
        StateValue="OK",
        Dimensions=[],
        Threshold=float(parameters["Threshold"]),
    )
    if parameters["AlarmDescription"]:
        alarm["AlarmDescription"] = parameters["AlarmDescription"]
    return alarm


def aws_filter(name, pattern, transformation):
    return {
        "filterName": name,
        "filterPattern": pattern,
        "metricTransformations": [transformation],
        "logGroupName": GROUP,
    }


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"name_prefix": "a:b"}, "name_prefix must be 1 to 255 characters without ':' or '*'"),
        ({"metric_namespace": "AWS/Logs"}, "metric_namespace (AWS/Logs) must be 1 to 255 characters"),
        ({"items": [item("other-root")]}, "items[0] (other-root): name must start with name_prefix (tg-)"),
        ({"items": [item("tg-a*b")]}, "items[0] (tg-a*b): name must be 1 to 255 characters without"),
        ({"items": [item(), item()]}, "items[1] (tg-root): the name is in items twice"),
        ({"items": [item(pattern="x" * 1025)]}, "items[0] (tg-root): pattern is 1025 characters long"),
        ({"items": [item(metric_name="a:b")]}, "items[0] (tg-root): metric_name must be 1 to 255 characters"),
        ({"items": [item(description="d" * 1025)]}, "items[0] (tg-root): description is longer than 1024"),
        ({"items": [item(period=90)]}, "items[0] (tg-root): period must be 10, 20, 30 or a multiple of 60"),
        ({"items": [item(period=45)]}, "items[0] (tg-root): period must be 10, 20, 30 or a multiple of 60"),
        ({"items": [item(period=30)]}, None),
        ({"items": [item(evaluation_periods=0)]}, "items[0] (tg-root): evaluation_periods must be 1 or more"),
        (
            {"items": [item(evaluation_periods=2, datapoints_to_alarm=3)]},
            "items[0] (tg-root): datapoints_to_alarm must be 1 to evaluation_periods (2), got 3",
        ),
        ({"remove": ["other-x"]}, "remove[0] (other-x): only names that start with name_prefix (tg-)"),
        ({"remove": ["tg-root"]}, "remove[0] (tg-root): the name is also in items"),
    ],
)
def test_validate_params(overrides, expected):
    error = module.validate_params(params(**overrides))
    if expected is None:
        assert error is None
    else:
        assert error.startswith(expected)


# ---------------------------------------------------------------- states (pure)


def test_an_alarm_reads_back_as_it_was_put():
    """What the module puts, AWS returns; read back, it must compare equal, or every run would change it."""
    wanted = module.wanted_alarm(item(), params(alarm_actions=[TOPIC, OTHER_TOPIC]))
    assert module.current_alarm(aws_alarm(module.alarm_parameters(wanted))) == wanted


def test_a_filter_reads_back_as_it_was_put():
    wanted = module.wanted_filter(item(default_value=0.0), "Trailguard/CIS")
    found = aws_filter("tg-root", wanted["pattern"], module.filter_transformation(wanted))
    assert module.current_filter(found) == wanted
    assert module.filter_transformation(wanted)["defaultValue"] == 0.0


def test_alarm_defaults_that_aws_leaves_out_compare_as_aws_applies_them():
    """Alarms made before (by amazon.aws's module) have no DatapointsToAlarm; AWS's defaults are the same alarm."""
    wanted = module.wanted_alarm(item(evaluation_periods=3), params())
    found = aws_alarm(module.alarm_parameters(wanted))
    del found["DatapointsToAlarm"]
    assert module.current_alarm(found) == wanted
    missing_data_default = module.wanted_alarm(item(treat_missing_data="missing"), params())
    found = aws_alarm(module.alarm_parameters(missing_data_default))
    del found["TreatMissingData"]
    assert module.current_alarm(found) == missing_data_default


def test_action_order_does_not_count():
    wanted = module.wanted_alarm(item(), params(alarm_actions=[OTHER_TOPIC, TOPIC]))
    found = aws_alarm(module.alarm_parameters(wanted))
    found["AlarmActions"] = [TOPIC, OTHER_TOPIC]
    assert module.current_alarm(found) == wanted


@pytest.mark.parametrize(
    "change",
    [
        {"Threshold": 2.0},
        {"AlarmDescription": "changed"},
        {"AlarmActions": [OTHER_TOPIC]},
        {"TreatMissingData": "breaching"},
        {"Dimensions": [{"Name": "Bucket", "Value": "b"}]},
        {"Unit": "Count"},
        {"ActionsEnabled": False},
    ],
)
def test_any_alarm_setting_that_differs_is_a_difference(change):
    wanted = module.wanted_alarm(item(), params())
    found = dict(aws_alarm(module.alarm_parameters(wanted)), **change)
    assert module.current_alarm(found) != wanted


@pytest.mark.parametrize(
    "change",
    [
        {"metricValue": "2"},
        {"metricNamespace": "Other"},
        {"unit": "Count"},
        {"dimensions": {"bucket": "$.requestParameters.bucketName"}},
    ],
)
def test_any_filter_setting_that_differs_is_a_difference(change):
    wanted = module.wanted_filter(item(), "Trailguard/CIS")
    transformation = dict(module.filter_transformation(wanted), **change)
    assert module.current_filter(aws_filter("tg-root", wanted["pattern"], transformation)) != wanted


def test_a_unit_of_none_is_no_unit():
    wanted = module.wanted_filter(item(), "Trailguard/CIS")
    transformation = dict(module.filter_transformation(wanted), unit="None")
    assert module.current_filter(aws_filter("tg-root", wanted["pattern"], transformation)) == wanted


def test_plan_puts_what_differs_and_deletes_only_what_is_asked():
    current = {"tg-a": {"v": 1}, "tg-b": {"v": 1}, "tg-old": {"v": 1}, "tg-other": {"v": 1}}
    wanted = {"tg-a": {"v": 1}, "tg-b": {"v": 2}, "tg-new": {"v": 1}}
    assert module.plan(current, wanted, ["tg-old", "tg-gone"], False) == (["tg-b", "tg-new"], ["tg-old"])
    assert module.plan(current, wanted, [], True) == (["tg-b", "tg-new"], ["tg-old", "tg-other"])
    assert module.plan(current, wanted, [], False) == (["tg-b", "tg-new"], [])


# ---------------------------------------------------------------- ensure_* (MagicMock client)


@pytest.mark.parametrize("check_mode", [True, False])
def test_ensure_filters_puts_and_deletes_only_the_changes(check_mode):
    client = MagicMock()
    same = module.wanted_filter(item("tg-same"), "NS")
    changed = module.wanted_filter(item("tg-changed", pattern="{ $.new = 1 }"), "NS")
    current = {"tg-same": same, "tg-changed": dict(changed, pattern="{ $.old = 1 }"), "tg-off": same}
    wanted = {"tg-same": same, "tg-changed": changed}
    result = module.ensure_filters(client, GROUP, current, wanted, ["tg-off"], False, check_mode)
    assert result == (["tg-changed"], ["tg-off"])
    if check_mode:
        assert client.method_calls == []
    else:
        assert client.method_calls == [
            call.put_metric_filter(
                logGroupName=GROUP,
                filterName="tg-changed",
                filterPattern="{ $.new = 1 }",
                metricTransformations=[{"metricName": "RootAccountUsage", "metricNamespace": "NS", "metricValue": "1"}],
            ),
            call.delete_metric_filter(logGroupName=GROUP, filterName="tg-off"),
        ]


def test_ensure_alarms_deletes_in_batches_of_one_hundred():
    client = MagicMock()
    owned = {f"tg-{n:03}": {} for n in range(250)}
    module.ensure_alarms(client, owned, {}, [], True, False)
    batches = [c.kwargs["AlarmNames"] for c in client.delete_alarms.call_args_list]
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert sum(batches, []) == sorted(owned)


def test_ensure_alarms_puts_the_whole_configuration():
    client = MagicMock()
    wanted = module.wanted_alarm(item(datapoints_to_alarm=None, evaluation_periods=2), params())
    module.ensure_alarms(client, {}, {"tg-root": wanted}, [], False, False)
    client.put_metric_alarm.assert_called_once_with(
        AlarmName="tg-root",
        AlarmDescription="Root used",
        ActionsEnabled=True,
        AlarmActions=[TOPIC],
        OKActions=[],
        InsufficientDataActions=[],
        MetricName="RootAccountUsage",
        Namespace="Trailguard/CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=2,
        DatapointsToAlarm=2,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )


def test_a_client_error_becomes_the_collection_error():
    client = MagicMock()
    client.put_metric_alarm.side_effect = ClientError({"Error": {"Code": "LimitExceeded"}}, "PutMetricAlarm")
    wanted = {"tg-root": module.wanted_alarm(item(), params())}
    with pytest.raises(cloudwatch_utils.AnsibleCloudWatchError, match="Failed to put metric alarm"):
        module.ensure_alarms(client, {}, wanted, [], False, False)


def test_a_missing_log_group_reads_as_none():
    client = MagicMock()
    client.get_paginator.return_value.paginate.return_value.build_full_result.side_effect = ClientError(
        {"Error": {"Code": "ResourceNotFoundException"}}, "DescribeMetricFilters"
    )
    assert cloudwatch_utils.describe_metric_filters(client, GROUP, "tg-") is None
    client.get_paginator.return_value.paginate.assert_called_once_with(logGroupName=GROUP, filterNamePrefix="tg-")


def test_diff_holds_only_the_names_that_change():
    current = {"tg-a": {"v": 1}, "tg-b": {"v": 1}, "tg-off": {"v": 1}}
    wanted = {"tg-a": {"v": 1}, "tg-b": {"v": 2}, "tg-new": {"v": 1}}
    assert module.diff_of(current, wanted, ["tg-b", "tg-new"], ["tg-off"]) == (
        {"tg-b": {"v": 1}, "tg-off": {"v": 1}},
        {"tg-b": {"v": 2}, "tg-new": {"v": 1}},
    )


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def aws():
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        logs.create_log_group(logGroupName=GROUP)
        yield logs, boto3.client("cloudwatch", region_name="us-east-1")


def read_back(aws):
    logs, cloudwatch = aws
    filters = {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"]}
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    return filters, alarms


def args(**overrides):
    values = {
        "log_group_name": GROUP,
        "metric_namespace": "Trailguard/CIS",
        "name_prefix": "tg-",
        "alarm_actions": [TOPIC],
        "items": [
            {"name": "tg-root", "pattern": '{ $.userIdentity.type = "Root" }', "metric_name": "RootUsage"},
            {"name": "tg-mfa", "pattern": "{ $.eventName = ConsoleLogin }", "metric_name": "NoMfa", "period": 60},
        ],
    }
    values.update(overrides)
    return values


def test_check_mode_then_apply_then_idempotent(aws, run_module):
    result = run_module(module.main, args(), check_mode=True, diff=True)
    assert result["changed"]
    assert (
        sorted(result["diff"]["after"]["filters"]) == sorted(result["diff"]["after"]["alarms"]) == ["tg-mfa", "tg-root"]
    )
    assert result["diff"]["before"] == {"filters": {}, "alarms": {}}
    assert read_back(aws) == ({}, {})

    result = run_module(module.main, args())
    assert result["changed"] and [f["name"] for f in result["filters"]] == ["tg-root", "tg-mfa"]
    filters, alarms = read_back(aws)
    assert filters["tg-root"]["filterPattern"] == '{ $.userIdentity.type = "Root" }'
    assert filters["tg-mfa"]["metricTransformations"] == [
        {"metricName": "NoMfa", "metricNamespace": "Trailguard/CIS", "metricValue": "1"}
    ]
    assert alarms["tg-mfa"]["Period"] == 60 and alarms["tg-mfa"]["AlarmActions"] == [TOPIC]
    assert alarms["tg-root"]["TreatMissingData"] == "notBreaching" and alarms["tg-root"]["Threshold"] == 1.0

    assert not run_module(module.main, args(), check_mode=True)["changed"]
    assert not run_module(module.main, args())["changed"]


def test_one_changed_alarm_is_the_only_write(aws, run_module):
    run_module(module.main, args())
    changed = args()
    changed["items"][1]["threshold"] = 3
    result = run_module(module.main, changed, check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"]["before"]["filters"] == result["diff"]["after"]["filters"] == {}
    assert list(result["diff"]["after"]["alarms"]) == ["tg-mfa"]
    assert result["diff"]["before"]["alarms"]["tg-mfa"]["threshold"] == 1.0
    assert result["diff"]["after"]["alarms"]["tg-mfa"]["threshold"] == 3.0

    assert run_module(module.main, changed)["changed"]
    assert read_back(aws)[1]["tg-mfa"]["Threshold"] == 3.0
    assert not run_module(module.main, changed)["changed"]


def test_remove_and_purge_delete_only_owned_names(aws, run_module):
    logs, cloudwatch = aws
    run_module(module.main, args())
    # Not the module's: outside the prefix. It must survive even a purge.
    logs.put_metric_filter(
        logGroupName=GROUP,
        filterName="team-filter",
        filterPattern="",
        metricTransformations=[{"metricName": "M", "metricNamespace": "Team", "metricValue": "1"}],
    )
    cloudwatch.put_metric_alarm(
        AlarmName="team-alarm",
        MetricName="M",
        Namespace="Team",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    only_root = args(items=args()["items"][:1])

    assert not run_module(module.main, only_root)["changed"], "without remove or purge nothing is deleted"
    result = run_module(module.main, dict(only_root, remove=["tg-mfa", "tg-never-made"]), check_mode=True, diff=True)
    assert result["changed"] and result["removed_filters"] == result["removed_alarms"] == ["tg-mfa"]
    assert list(result["diff"]["before"]["alarms"]) == ["tg-mfa"] and result["diff"]["after"]["alarms"] == {}
    assert "tg-mfa" in read_back(aws)[1]

    result = run_module(module.main, dict(only_root, remove=["tg-mfa"]))
    assert result["changed"]
    filters, alarms = read_back(aws)
    assert sorted(filters) == ["team-filter", "tg-root"] and sorted(alarms) == ["team-alarm", "tg-root"]

    result = run_module(module.main, dict(only_root, items=[], purge=True))
    assert result["removed_filters"] == result["removed_alarms"] == ["tg-root"]
    filters, alarms = read_back(aws)
    assert list(filters) == ["team-filter"] and list(alarms) == ["team-alarm"]


def test_a_missing_log_group_is_an_error_before_any_change(aws, run_module, monkeypatch):
    # moto answers DescribeMetricFilters on a missing group with no filters; AWS with ResourceNotFoundException,
    # which the wrapper turns into None (test_a_missing_log_group_reads_as_none).
    monkeypatch.setattr(module, "describe_metric_filters", lambda client, group, prefix: None)
    result = run_module(module.main, args())
    assert result["failed"] and result["msg"].startswith(f"log_group_name: the log group {GROUP} does not exist")
    assert read_back(aws) == ({}, {})

    result = run_module(module.main, args(), check_mode=True, diff=True)
    assert result["changed"] and sorted(result["diff"]["after"]["filters"]) == ["tg-mfa", "tg-root"]


def test_invalid_options_fail_before_any_call(aws, run_module):
    bad = args()
    bad["items"][1]["name"] = "x-mfa"
    result = run_module(module.main, bad)
    assert result["failed"] and "items[1] (x-mfa): name must start with name_prefix (tg-)" in result["msg"]
    assert read_back(aws) == ({}, {})
