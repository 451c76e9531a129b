"""Unit tests for the athena_workgroup module.

The pure functions and ensure_present run against MagicMock clients; main() runs against moto's in-process mock,
with the emulator's Athena fixes (tools/moto_server.py, applied by conftest.py).
"""

from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import athena_workgroup as module

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def params(**overrides):
    values = {
        "name": "tg-cloudtrail",
        "state": "present",
        "description": "investigations",
        "enabled": True,
        "output_location": "s3://tg-results/tg-cloudtrail/",
        "encryption_option": "SSE_KMS",
        "kms_key": KEY,
        "expected_bucket_owner": "123456789012",
        "enforce_workgroup_configuration": True,
        "publish_cloudwatch_metrics": True,
        "bytes_scanned_cutoff_per_query": 10737418240,
        "requester_pays_enabled": None,
        "engine_version": None,
        "recursive_delete": False,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"name": "bad name"}, "name must be 1 to 128 letters"),
        ({"name": "primary", "state": "absent"}, "the primary workgroup cannot be deleted"),
        ({"description": "d" * 1025}, "description is longer than 1024"),
        ({"output_location": "tg-results/"}, "output_location must be s3://<bucket>/<prefix>/"),
        ({"kms_key": None}, "kms_key is required with encryption_option SSE_KMS"),
        ({"encryption_option": "SSE_S3"}, "kms_key needs encryption_option SSE_KMS or CSE_KMS"),
        ({"bytes_scanned_cutoff_per_query": 9_999_999}, "bytes_scanned_cutoff_per_query must be 0 (no limit) or at"),
        ({"bytes_scanned_cutoff_per_query": 0}, None),
        ({"expected_bucket_owner": "1234"}, "expected_bucket_owner must be a 12-digit account ID"),
    ],
)
def test_validate_params(overrides, expected):
    error = module.validate_params(params(**overrides))
    assert error == expected if expected is None else error.startswith(expected), error


def found(**configuration):
    """A GetWorkGroup WorkGroup as Athena answers it for params()."""
    values = {
        "ResultConfiguration": {
            "OutputLocation": "s3://tg-results/tg-cloudtrail/",
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": KEY},
            "ExpectedBucketOwner": "123456789012",
        },
        "EnforceWorkGroupConfiguration": True,
        "PublishCloudWatchMetricsEnabled": True,
        "BytesScannedCutoffPerQuery": 10737418240,
        "RequesterPaysEnabled": False,
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
    }
    values.update(configuration)
    return {"Name": "tg-cloudtrail", "State": "ENABLED", "Description": "investigations", "Configuration": values}


def test_an_option_that_is_not_set_leaves_the_setting_as_it_is():
    current = module.current_state(found())
    wanted = module.wanted_state(params(description=None, publish_cloudwatch_metrics=None), current)
    assert wanted == current
    assert module.update_parameters(current, wanted) == {}


def test_only_the_settings_that_differ_are_updated():
    current = module.current_state(found(BytesScannedCutoffPerQuery=None, EnforceWorkGroupConfiguration=False))
    current["output_location"] = "s3://elsewhere/"
    wanted = module.wanted_state(params(enabled=False), current)
    assert module.update_parameters(current, wanted) == {
        "State": "DISABLED",
        "ConfigurationUpdates": {
            "ResultConfigurationUpdates": {"OutputLocation": "s3://tg-results/tg-cloudtrail/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10737418240,
        },
    }


def test_zero_removes_the_bytes_scanned_limit_and_sse_s3_drops_the_key():
    current = module.current_state(found())
    wanted = module.wanted_state(params(bytes_scanned_cutoff_per_query=0, encryption_option="SSE_S3", kms_key=None), current)
    assert wanted["bytes_scanned_cutoff_per_query"] is None and wanted["kms_key"] is None
    assert module.update_parameters(current, wanted)["ConfigurationUpdates"] == {
        "ResultConfigurationUpdates": {"EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}},
        "RemoveBytesScannedCutoffPerQuery": True,
    }


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_workgroup_is_created_with_the_settings_that_are_set(check_mode):
    client = MagicMock()
    changed, before, after = module.ensure_present(client, params(), None, check_mode)
    assert changed and before is None and after["bytes_scanned_cutoff_per_query"] == 10737418240
    if check_mode:
        assert client.method_calls == []
    else:
        client.create_work_group.assert_called_once_with(
            Name="tg-cloudtrail",
            Description="investigations",
            Configuration={
                "ResultConfiguration": {
                    "OutputLocation": "s3://tg-results/tg-cloudtrail/",
                    "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": KEY},
                    "ExpectedBucketOwner": "123456789012",
                },
                "EnforceWorkGroupConfiguration": True,
                "PublishCloudWatchMetricsEnabled": True,
                "BytesScannedCutoffPerQuery": 10737418240,
            },
        )
        client.update_work_group.assert_not_called()


def test_an_equal_workgroup_is_not_written():
    client = MagicMock()
    changed, before, after = module.ensure_present(client, params(), found(), False)
    assert not changed and before == after
    assert client.method_calls == []


@mock_aws
def test_main_creates_changes_nothing_updates_and_deletes(run_module):
    first = run_module(module.main, params(), diff=True)
    assert first["changed"] and first["diff"]["before"] == {}
    configuration = boto3.client("athena").get_work_group(WorkGroup="tg-cloudtrail")["WorkGroup"]["Configuration"]
    assert configuration["BytesScannedCutoffPerQuery"] == 10737418240
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"]["KmsKey"] == KEY

    assert not run_module(module.main, params())["changed"]
    assert not run_module(module.main, params(), check_mode=True)["changed"]

    check = run_module(module.main, params(bytes_scanned_cutoff_per_query=0, enabled=False), check_mode=True, diff=True)
    assert check["changed"] and check["diff"]["before"]["bytes_scanned_cutoff_per_query"] == 10737418240
    assert check["diff"]["after"]["bytes_scanned_cutoff_per_query"] is None
    assert "BytesScannedCutoffPerQuery" in boto3.client("athena").get_work_group(WorkGroup="tg-cloudtrail")["WorkGroup"]["Configuration"]

    changed = run_module(module.main, params(bytes_scanned_cutoff_per_query=0, enabled=False))
    assert changed["changed"] and changed["workgroup"] == check["workgroup"]
    work_group = boto3.client("athena").get_work_group(WorkGroup="tg-cloudtrail")["WorkGroup"]
    assert work_group["State"] == "DISABLED" and "BytesScannedCutoffPerQuery" not in work_group["Configuration"]
    assert not run_module(module.main, params(bytes_scanned_cutoff_per_query=0, enabled=False))["changed"]

    assert run_module(module.main, params(state="absent"))["changed"]
    assert not run_module(module.main, params(state="absent"))["changed"]


@mock_aws
def test_main_does_not_delete_a_workgroup_with_saved_queries_unless_asked(run_module):
    run_module(module.main, params())
    boto3.client("athena").create_named_query(Name="q", Database="d", QueryString="SELECT 1", WorkGroup="tg-cloudtrail")
    refused = run_module(module.main, params(state="absent"))
    assert refused["failed"] and "Failed to delete workgroup" in refused["msg"]
    assert run_module(module.main, params(state="absent", recursive_delete=True))["changed"]
