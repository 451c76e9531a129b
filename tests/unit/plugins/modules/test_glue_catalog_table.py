"""Unit tests for the glue_catalog_table module.

The pure functions and ensure_* run against MagicMock clients (every write, and the absence of writes in check
mode, is visible); main() runs against moto's in-process mock.
"""

from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import glue_catalog_table as module

TEMPLATE = "s3://logs/AWSLogs/o-exampleorg1/${account}/CloudTrail/${region}/${timestamp}"
PROJECTION = {
    "projection.enabled": "true",
    "projection.account.type": "enum",
    "projection.account.values": "111111111111,222222222222",
    "projection.region.type": "enum",
    "projection.region.values": "us-east-1,eu-west-1",
    "projection.timestamp.type": "date",
    "projection.timestamp.format": "yyyy/MM/dd",
    "projection.timestamp.range": "NOW-180DAYS,NOW",
    "storage.location.template": TEMPLATE,
}
KEYS = [{"name": name, "type": "string", "comment": None} for name in ("account", "region", "timestamp")]


def params(**overrides):
    values = {
        "database": "cloudtrail",
        "database_description": None,
        "name": "cloudtrail_logs",
        "catalog_id": None,
        "state": "present",
        "description": "logs",
        "table_type": "EXTERNAL_TABLE",
        "columns": [
            {"name": "eventTime", "type": "string", "comment": None},
            {"name": "useridentity", "type": "struct<type: string, arn: string>", "comment": "who"},
        ],
        "partition_keys": KEYS,
        "location": "s3://logs/AWSLogs/o-exampleorg1/",
        "input_format": "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
        "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "serde": {"serialization_library": "org.apache.hive.hcatalog.data.JsonSerDe", "parameters": {}},
        "parameters": dict(PROJECTION),
        "purge_parameters": True,
    }
    values.update(overrides)
    return values


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"database": "Cloud-Trail"}, "database must be 1 to 255 lowercase letters"),
        ({"name": "logs table"}, "name must be 1 to 255 lowercase letters"),
        ({"columns": []}, "columns is required with state=present"),
        ({"location": "logs/"}, "location must be an S3 location"),
        ({"partition_keys": KEYS + [{"name": "eventtime", "type": "string"}]}, "columns and partition_keys name ['eventtime']"),
        (
            {"parameters": dict(PROJECTION, **{"projection.account.values": "111111111111, 222222222222"})},
            "parameters: projection.account.values has empty values or values with spaces ([' 222222222222'])",
        ),
        (
            {"parameters": dict(PROJECTION, **{"projection.region.values": "us-east-1,"})},
            "parameters: projection.region.values has empty values",
        ),
        (
            {"parameters": {key: value for key, value in PROJECTION.items() if key != "projection.region.type"}},
            "parameters: the partition key region has no projection.region.type",
        ),
        (
            {"parameters": dict(PROJECTION, **{"storage.location.template": TEMPLATE.replace("o-exampleorg1", "")})},
            "parameters: storage.location.template must be s3://<bucket>/<prefix> with no empty path segment",
        ),
        (
            {"parameters": dict(PROJECTION, **{"storage.location.template": TEMPLATE.replace("/${timestamp}", "")})},
            "parameters: storage.location.template has no placeholder for the partition keys ['timestamp']",
        ),
        (
            {"parameters": dict(PROJECTION, **{"storage.location.template": TEMPLATE + "/${day}"})},
            "parameters: storage.location.template names ['day'], which are not partition keys",
        ),
        ({"parameters": dict(PROJECTION, **{"projection.enabled": "false", "projection.account.values": " x"})}, None),
        ({"state": "absent", "columns": [], "location": None}, None),
    ],
)
def test_validate_params(overrides, expected):
    error = module.validate_params(params(**overrides))
    if expected is None:
        assert error is None
    else:
        assert error is not None and error.startswith(expected), error


# ---------------------------------------------------------------- states (pure)


def test_a_table_reads_back_as_it_was_put_compared_as_data():
    wanted = module.wanted_table(params())
    found = dict(module.table_input(wanted), DatabaseName="cloudtrail", CreateTime="now", VersionId="1")
    # Glue answers the same definition with other spacing and case; the module sees no difference.
    found["StorageDescriptor"]["Columns"][1]["Type"] = "STRUCT<type:STRING,arn:STRING>"
    found["StorageDescriptor"]["Columns"][0]["Name"] = "EventTime"
    assert module.current_table(found) == wanted
    assert wanted["columns"][1] == {"name": "useridentity", "type": "struct<type:string,arn:string>", "comment": "who"}


def test_parameters_are_compared_as_strings():
    wanted = module.wanted_table(params(parameters=dict(PROJECTION, **{"projection.timestamp.interval": 1})))
    assert wanted["parameters"]["projection.timestamp.interval"] == "1"
    assert module.wanted_parameters({"flag": True}) == {"flag": "true"}


def test_without_purge_the_tables_other_parameters_are_kept():
    current = module.wanted_table(params(parameters=dict(PROJECTION, owner="team")))
    wanted = module.wanted_table(params())
    assert module.settled_table(current, wanted, purge_parameters=False)["parameters"]["owner"] == "team"
    assert "owner" not in module.settled_table(current, wanted, purge_parameters=True)["parameters"]


def test_unmanaged_settings_are_carried_over_by_an_update():
    existing = {"Owner": "hadoop", "Retention": 0, "StorageDescriptor": {"Compressed": True, "NumberOfBuckets": -1}}
    table_input = module.table_input(module.wanted_table(params()), existing)
    assert table_input["Owner"] == "hadoop" and table_input["Retention"] == 0
    assert table_input["StorageDescriptor"]["Compressed"] is True
    assert table_input["Parameters"]["storage.location.template"] == TEMPLATE


# ---------------------------------------------------------------- ensure_* (MagicMock client)


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_table_is_created(check_mode):
    client = MagicMock()
    wanted = module.wanted_table(params())
    changed, before, after = module.ensure_table(client, "cloudtrail", None, wanted, True, None, check_mode)
    assert changed and before is None and after == wanted
    if check_mode:
        assert client.method_calls == []
    else:
        client.create_table.assert_called_once_with(DatabaseName="cloudtrail", TableInput=module.table_input(wanted))


def test_an_equal_table_is_not_written_and_a_new_account_updates_it():
    client = MagicMock()
    wanted = module.wanted_table(params())
    found = module.table_input(wanted)
    assert module.ensure_table(client, "cloudtrail", found, wanted, True, None, False) == (False, wanted, wanted)
    assert client.method_calls == []
    grown = dict(PROJECTION, **{"projection.account.values": "111111111111,222222222222,333333333333"})
    changed, before, after = module.ensure_table(
        client, "cloudtrail", found, module.wanted_table(params(parameters=grown)), True, None, False
    )
    assert changed and before["parameters"]["projection.account.values"].count(",") == 1
    client.update_table.assert_called_once()
    assert client.update_table.call_args.kwargs["TableInput"]["Parameters"] == grown


@pytest.mark.parametrize(
    "current, description, expected_call",
    [
        (None, "CloudTrail", "create_database"),
        ({"Name": "cloudtrail", "Description": "old"}, "CloudTrail", "update_database"),
        ({"Name": "cloudtrail", "Description": "old"}, None, None),
    ],
)
def test_the_database_is_created_or_its_description_updated_only_when_asked(current, description, expected_call):
    client = MagicMock()
    changed, state = module.ensure_database(client, "cloudtrail", description, current, None, False)
    assert changed == (expected_call is not None)
    assert [call[0] for call in client.method_calls] == ([expected_call] if expected_call else [])
    assert state["created"] == (current is None)


# ---------------------------------------------------------------- main() against moto


@mock_aws
def test_main_creates_then_changes_nothing_then_grows_and_deletes(run_module):
    first = run_module(module.main, params(), diff=True)
    assert first["changed"] and first["database"]["created"] and first["diff"]["before"] == {}
    table = boto3.client("glue").get_table(DatabaseName="cloudtrail", Name="cloudtrail_logs")["Table"]
    assert table["Parameters"]["storage.location.template"] == TEMPLATE
    assert [key["Name"] for key in table["PartitionKeys"]] == ["account", "region", "timestamp"]

    assert not run_module(module.main, params())["changed"]
    assert not run_module(module.main, params(), check_mode=True)["changed"]

    grown = dict(PROJECTION, **{"projection.account.values": "111111111111,222222222222,333333333333"})
    check = run_module(module.main, params(parameters=grown), check_mode=True, diff=True)
    assert check["changed"]
    assert check["diff"]["after"]["parameters"]["projection.account.values"].endswith(",333333333333")
    table = boto3.client("glue").get_table(DatabaseName="cloudtrail", Name="cloudtrail_logs")["Table"]
    assert table["Parameters"]["projection.account.values"] == PROJECTION["projection.account.values"]
    assert run_module(module.main, params(parameters=grown))["changed"]
    assert not run_module(module.main, params(parameters=grown))["changed"]

    gone = run_module(module.main, params(state="absent"))
    assert gone["changed"] and not run_module(module.main, params(state="absent"))["changed"]
    assert boto3.client("glue").get_tables(DatabaseName="cloudtrail")["TableList"] == []


@mock_aws
def test_main_refuses_spaces_in_an_enum_before_any_call(run_module):
    bad = dict(PROJECTION, **{"projection.account.values": "111111111111, 222222222222"})
    result = run_module(module.main, params(parameters=bad))
    assert result["failed"] and "values with spaces" in result["msg"]
    assert boto3.client("glue").get_databases()["DatabaseList"] == []
