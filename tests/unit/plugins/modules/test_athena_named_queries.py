"""Unit tests for the athena_named_queries module.

The pure functions and ensure_query run against MagicMock clients; main() runs against moto's in-process mock,
with the emulator's Athena fixes (tools/moto_server.py, applied by conftest.py).
"""

from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import athena as athena_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import athena_named_queries as module

PREFIX = "tg: "


def query(name="tg: root", **overrides):
    values = {"name": name, "description": "root calls", "database": "cloudtrail", "query": "SELECT 1"}
    values.update(overrides)
    return values


def params(**overrides):
    values = {"work_group": "tg", "name_prefix": PREFIX, "queries": [query()], "remove": [], "purge": False}
    values.update(overrides)
    return values


def saved(query_id, name="tg: root", **overrides):
    """A BatchGetNamedQuery entry."""
    values = {
        "NamedQueryId": query_id,
        "Name": name,
        "Description": "root calls",
        "Database": "cloudtrail",
        "QueryString": "SELECT 1",
        "WorkGroup": "tg",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, None),
        ({"work_group": "bad group"}, "work_group must be 1 to 128 letters"),
        ({"name_prefix": ""}, "name_prefix must be 1 to 127 characters"),
        ({"queries": [query("other")]}, "queries[0] (other): name must start with name_prefix ('tg: ')"),
        ({"queries": [query("tg: " + "x" * 125)]}, "queries[0] (tg: xxx"),
        ({"queries": [query(), query()]}, "queries[1] (tg: root): the name is in queries twice"),
        ({"queries": [query(description="d" * 1025)]}, "queries[0] (tg: root): description is longer than 1024"),
        ({"queries": [query(query="  ")]}, "queries[0] (tg: root): query must be 1 to 262144 characters"),
        ({"queries": [query(database="")]}, "queries[0] (tg: root): database must be 1 to 255"),
        ({"remove": ["other"]}, "remove[0] (other): only names that start with name_prefix"),
        ({"remove": ["tg: root"]}, "remove[0] (tg: root): the name is also in queries"),
    ],
)
def test_validate_params(overrides, expected):
    error = module.validate_params(params(**overrides))
    assert error == expected if expected is None else error.startswith(expected), error


def test_only_owned_queries_are_seen_and_duplicates_are_planned_away_only_with_purge():
    owned = module.owned_by_name(
        [saved("b"), saved("a"), saved("c", "tg: old"), saved("d", "Team: mine")], PREFIX
    )
    assert sorted(owned) == ["tg: old", "tg: root"] and [copy["id"] for copy in owned["tg: root"]] == ["a", "b"]
    wanted = {"tg: root": module.wanted_query(query())}
    current, deletions, removed, duplicates = module.plan(owned, wanted, [], purge=False)
    assert current["tg: root"]["id"] == "a" and deletions == [] and removed == [] and duplicates == ["tg: root"]
    _current, deletions, removed, _duplicates = module.plan(owned, wanted, [], purge=True)
    assert [copy["id"] for copy in deletions] == ["c", "b"] and removed == ["tg: old"]
    _current, deletions, removed, _duplicates = module.plan(owned, wanted, ["tg: old", "tg: never"], purge=False)
    assert [copy["id"] for copy in deletions] == ["c"] and removed == ["tg: old"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_new_query_is_created(check_mode):
    client = MagicMock()
    client.create_named_query.return_value = {"NamedQueryId": "new"}
    changed, new = module.ensure_query(client, "tg", None, module.wanted_query(query()), check_mode)
    assert changed and new["id"] == (None if check_mode else "new")
    assert client.method_calls == ([] if check_mode else [
        call.create_named_query(WorkGroup="tg", Name="tg: root", Description="root calls", Database="cloudtrail", QueryString="SELECT 1")
    ])


def test_a_changed_sql_is_updated_in_place_and_an_equal_query_is_not_written():
    client = MagicMock()
    current = module.current_query(saved("a"))
    assert module.ensure_query(client, "tg", current, module.wanted_query(query()), False) == (
        False,
        dict(module.wanted_query(query()), id="a"),
    )
    assert client.method_calls == []
    changed, new = module.ensure_query(client, "tg", current, module.wanted_query(query(query="SELECT 2")), False)
    assert changed and new["id"] == "a"
    assert client.method_calls == [
        call.update_named_query(NamedQueryId="a", Name="tg: root", Description="root calls", QueryString="SELECT 2")
    ]


def test_a_new_database_means_a_new_query_created_before_the_old_is_deleted():
    client = MagicMock()
    client.create_named_query.return_value = {"NamedQueryId": "new"}
    current = module.current_query(saved("a"))
    changed, new = module.ensure_query(client, "tg", current, module.wanted_query(query(database="other")), False)
    assert changed and new["id"] == "new"
    assert [name for name, _args, _kwargs in client.method_calls] == ["create_named_query", "delete_named_query"]


def test_more_than_fifty_queries_are_read_fifty_at_a_time():
    client = MagicMock()
    client.batch_get_named_query.side_effect = lambda NamedQueryIds: {
        "NamedQueries": [saved(query_id) for query_id in NamedQueryIds],
        "UnprocessedNamedQueryIds": [],
    }
    ids = [f"id-{n}" for n in range(120)]
    assert len(athena_utils.get_named_queries(client, ids)) == 120
    assert [len(c.kwargs["NamedQueryIds"]) for c in client.batch_get_named_query.call_args_list] == [50, 50, 20]


def test_a_query_athena_could_not_return_is_an_error():
    client = MagicMock()
    client.batch_get_named_query.return_value = {
        "NamedQueries": [],
        "UnprocessedNamedQueryIds": [{"NamedQueryId": "x", "ErrorCode": "INTERNAL", "ErrorMessage": "busy"}],
    }
    with pytest.raises(athena_utils.AnsibleAthenaError, match="x: INTERNAL busy"):
        athena_utils.get_named_queries(client, ["x"])


@mock_aws
def test_main_saves_changes_nothing_updates_and_purges_only_its_own(run_module):
    athena = boto3.client("athena")
    athena.create_work_group(Name="tg", Configuration={})
    athena.create_named_query(Name="Team: mine", Database="d", QueryString="SELECT 0", WorkGroup="tg")
    athena.create_named_query(Name="tg: old", Database="d", QueryString="SELECT 0", WorkGroup="tg")
    two = [query(), query("tg: keys", query="SELECT 2")]

    check = run_module(module.main, params(queries=two), check_mode=True, diff=True)
    assert check["changed"] and [q["id"] for q in check["queries"]] == [None, None]
    first = run_module(module.main, params(queries=two), diff=True)
    assert first["changed"] and first["diff"] == check["diff"]
    assert not run_module(module.main, params(queries=two))["changed"]
    assert not run_module(module.main, params(queries=two), check_mode=True)["changed"]

    updated = run_module(module.main, params(queries=[query(query="SELECT 3"), two[1]], purge=True), diff=True)
    assert updated["changed"] and updated["removed"] == ["tg: old"]
    assert updated["queries"][0]["id"] == first["queries"][0]["id"]
    assert updated["diff"]["before"]["tg: root"]["query"] == "SELECT 1"
    ids = athena.list_named_queries(WorkGroup="tg")["NamedQueryIds"]
    names = sorted(q["Name"] for q in athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"])
    assert names == ["Team: mine", "tg: keys", "tg: root"]


@mock_aws
def test_main_saves_a_query_without_description_and_removes_a_description(run_module):
    """Athena refuses an empty Description (1 to 1024 characters): none is sent, and removing one saves anew."""
    boto3.client("athena").create_work_group(Name="tg", Configuration={})
    plain = run_module(module.main, params(queries=[query(description="")]))
    assert plain["changed"] and not run_module(module.main, params(queries=[query(description="")]))["changed"]
    described = run_module(module.main, params(queries=[query()]))
    assert described["changed"] and described["queries"][0]["id"] == plain["queries"][0]["id"]
    removed = run_module(module.main, params(queries=[query(description="")]))
    assert removed["changed"] and removed["queries"][0]["id"] != plain["queries"][0]["id"]
    athena = boto3.client("athena")
    ids = athena.list_named_queries(WorkGroup="tg")["NamedQueryIds"]
    assert ids == [removed["queries"][0]["id"]]
    assert not athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"][0].get("Description")


@mock_aws
def test_main_fails_on_a_missing_workgroup_before_any_change(run_module):
    result = run_module(module.main, params(work_group="nowhere"))
    assert result["failed"] and result["msg"] == "work_group: the workgroup nowhere does not exist in this account and region"
    assert run_module(module.main, params(work_group="nowhere"), check_mode=True)["changed"]
