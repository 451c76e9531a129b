"""Unit tests for the config_recorder module.

ensure_present()/ensure_absent() run against MagicMock clients, so every write and the absence of writes in
check mode are visible; main() runs against moto's in-process mock.
"""

from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import config as config_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import config_recorder as module

ROLE = "arn:aws:iam::123456789012:role/TrailguardConfigRecorder"
DESIRED = {
    "name": "default",
    "role_arn": ROLE,
    "all_supported": True,
    "include_global_resource_types": True,
    "resource_types": [],
}


def current(**changes):
    state = dict(DESIRED, recording=False)
    state.update(changes)
    return state


# ---------------------------------------------------------------- pure functions


def test_normalize_ignores_the_fields_aws_adds():
    recorder = {
        "name": "default",
        "roleARN": ROLE,
        "recordingGroup": {
            "allSupported": True,
            "includeGlobalResourceTypes": True,
            "resourceTypes": [],
            "exclusionByResourceTypes": {"resourceTypes": []},
            "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        },
        "recordingMode": {"recordingFrequency": "CONTINUOUS"},
    }
    assert config_utils.normalize_recorder(recorder, {"recording": True}) == current(recording=True)
    assert config_utils.normalize_recorder(None, None) is None


@pytest.mark.parametrize(
    "changes, message",
    [
        ({}, None),
        ({"role_arn": "arn:aws:iam::123456789012:user/x"}, "role_arn must be an IAM role ARN"),
        ({"role_arn": "TrailguardConfigRecorder"}, "role_arn must be an ARN"),
        ({"resource_types": ["AWS::S3::Bucket"]}, "resource_types must be empty when all_supported is true"),
        ({"all_supported": False, "include_global_resource_types": False}, "resource_types must list at least one"),
        (
            {"all_supported": False, "resource_types": ["AWS::S3::Bucket"]},
            "include_global_resource_types needs all_supported: true",
        ),
        ({"state": "absent", "role_arn": None}, None),
    ],
)
def test_validate(changes, message):
    params = dict(DESIRED, state="present", recording=None)
    params.update(changes)
    error = module.validate(params)
    assert error == message if message is None else message in error


@pytest.mark.parametrize("check_mode", [False, True])
def test_creates_a_missing_recorder_without_starting_it(check_mode):
    client = MagicMock()
    changed, state = module.ensure_present(client, None, DESIRED, None, check_mode)
    assert changed and state == current()
    if check_mode:
        client.put_configuration_recorder.assert_not_called()
    else:
        recorder = client.put_configuration_recorder.call_args.kwargs["ConfigurationRecorder"]
        assert recorder == {
            "name": "default",
            "roleARN": ROLE,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True, "resourceTypes": []},
        }
    client.start_configuration_recorder.assert_not_called()


@pytest.mark.parametrize("check_mode", [False, True])
def test_updates_a_changed_setting_and_starts(check_mode):
    client = MagicMock()
    changed, state = module.ensure_present(
        client, current(include_global_resource_types=False), DESIRED, True, check_mode
    )
    assert changed and state == current(recording=True)
    if check_mode:
        client.put_configuration_recorder.assert_not_called()
        client.start_configuration_recorder.assert_not_called()
    else:
        client.put_configuration_recorder.assert_called_once()
        assert client.start_configuration_recorder.call_args.kwargs["ConfigurationRecorderName"] == "default"


def test_no_change_is_a_no_op():
    client = MagicMock()
    assert module.ensure_present(client, current(recording=True), DESIRED, True, False) == (
        False,
        current(recording=True),
    )
    assert module.ensure_present(client, current(recording=True), DESIRED, None, False)[0] is False
    assert client.method_calls == []


def test_stops_only():
    client = MagicMock()
    changed, state = module.ensure_present(client, current(recording=True), DESIRED, False, False)
    assert changed and not state["recording"]
    client.put_configuration_recorder.assert_not_called()
    client.stop_configuration_recorder.assert_called_once()


@pytest.mark.parametrize("check_mode", [False, True])
def test_absent_stops_and_deletes(check_mode):
    client = MagicMock()
    assert module.ensure_absent(client, current(recording=True), check_mode) == (True, None)
    if check_mode:
        assert client.method_calls == []
    else:
        client.stop_configuration_recorder.assert_called_once()
        client.delete_configuration_recorder.assert_called_once()
    assert module.ensure_absent(MagicMock(), None, False) == (False, None)


# ---------------------------------------------------------------- main() against moto

ARGS = {"role_arn": ROLE, "include_global_resource_types": True}


@pytest.fixture
def config():
    with mock_aws():
        client = boto3.client("config", region_name="us-east-1")
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="central")
        yield client


def test_create_check_then_apply_then_idempotent(config, run_module):
    result = run_module(module.main, ARGS, check_mode=True, diff=True)
    assert result["changed"] and result["diff"]["before"] == {}
    assert config.describe_configuration_recorders()["ConfigurationRecorders"] == []

    result = run_module(module.main, ARGS, diff=True)
    assert result["changed"] and result["configuration_recorder"] == current()
    assert not run_module(module.main, ARGS, check_mode=True)["changed"]
    assert not run_module(module.main, ARGS)["changed"]


def test_start_needs_a_delivery_channel_then_records(config, run_module):
    run_module(module.main, ARGS)
    failed = run_module(module.main, dict(ARGS, recording=True))
    assert failed["failed"] and "Failed to start configuration recorder" in failed["msg"]

    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "central"})
    assert run_module(module.main, dict(ARGS, recording=True))["configuration_recorder"]["recording"]
    status = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]
    assert status["recording"]
    assert not run_module(module.main, dict(ARGS, recording=True))["changed"]


def test_update_then_delete(config, run_module):
    run_module(module.main, ARGS)
    result = run_module(module.main, dict(ARGS, include_global_resource_types=False), diff=True)
    assert result["changed"]
    assert result["diff"]["before"]["include_global_resource_types"] is True
    recorder = config.describe_configuration_recorders()["ConfigurationRecorders"][0]
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is False

    assert run_module(module.main, {"state": "absent"})["changed"]
    assert config.describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert not run_module(module.main, {"state": "absent"})["changed"]


def test_invalid_options_fail_before_any_call(config, run_module):
    result = run_module(module.main, dict(ARGS, role_arn="arn:aws:iam::123456789012:user/x"))
    assert result["failed"] and "role_arn must be an IAM role ARN" in result["msg"]
    assert config.describe_configuration_recorders()["ConfigurationRecorders"] == []


# ---------------------------------------------------------------- one recorder and one delivery channel per region
CONTROL_TOWER_RECORDER = "aws-controltower-BaselineConfigRecorder"


def test_another_recorder_in_the_region_is_named_and_left_alone(config, run_module):
    """AWS Config allows one recorder per account and region: an existing one under another name is reported."""
    config.put_configuration_recorder(ConfigurationRecorder={"name": CONTROL_TOWER_RECORDER, "roleARN": ROLE})
    for check_mode in (True, False):
        result = run_module(module.main, ARGS, check_mode=check_mode)
        assert result["failed"]
        assert CONTROL_TOWER_RECORDER in result["msg"] and "set name to" in result["msg"]
        assert "MaxNumberOf" not in result["msg"]
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert [recorder["name"] for recorder in recorders] == [CONTROL_TOWER_RECORDER]
    assert recorders[0]["recordingGroup"].get("includeGlobalResourceTypes") is not True

    adopted = run_module(module.main, dict(ARGS, name=CONTROL_TOWER_RECORDER))
    assert adopted["changed"] and adopted["configuration_recorder"]["include_global_resource_types"]


def test_another_delivery_channel_in_the_region_is_named_before_any_change(config, run_module):
    run_module(module.main, ARGS)
    channel = "aws-controltower-BaselineConfigDeliveryChannel"
    config.put_delivery_channel(DeliveryChannel={"name": channel, "s3BucketName": "central"})
    result = run_module(module.main, dict(ARGS, include_global_resource_types=False, delivery_channel_name="default"))
    assert result["failed"] and channel in result["msg"]
    assert "set delivery_channel_name to" in result["msg"]
    assert config.describe_configuration_recorders()["ConfigurationRecorders"][0]["recordingGroup"][
        "includeGlobalResourceTypes"
    ]
    # Without delivery_channel_name, channels are not looked at; with the existing name, there is no conflict.
    assert not run_module(module.main, ARGS)["changed"]
    named = dict(ARGS, delivery_channel_name=channel)
    assert not run_module(module.main, named).get("failed")


def test_one_per_region_error():
    assert config_utils.one_per_region_error("configuration recorder", "name", "default", [], "us-east-1") is None
    assert config_utils.one_per_region_error("recorder", "name", "default", ["default"], "eu-west-1") is None
    message = config_utils.one_per_region_error("delivery channel", "channel", "default", ["other"], "eu-west-1")
    assert "'other'" in message and "eu-west-1" in message and "set channel to 'other'" in message
