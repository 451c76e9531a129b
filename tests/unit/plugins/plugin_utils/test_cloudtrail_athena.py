"""The Athena table over the organization's logs and the saved investigations (plugins/plugin_utils/cloudtrail_athena.py).

The queries must parse as Athena's SQL (Trino's dialect, with sqlglot) and each must be restricted by partition;
that they find the right rows in real-format log files is tests/harness/test_athena.py.
"""

import pytest
import sqlglot
from sqlglot import exp

from ansible_collections.trailguard.cloudtrail.plugins.modules import glue_catalog_table
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import cloudtrail_athena as athena

ORG_ID = "o-a1b2c3d4e5"
ACCOUNTS = ["222222222222", 111111111111, "333333333333", "111111111111"]
KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/0b1f6f0e-7c1a-4f55-9d0e-5b1c2d3e4f50"


def table(**overrides):
    values = {
        "organization_id": ORG_ID,
        "bucket_name": "acme-cloudtrail",
        "accounts": ACCOUNTS,
        "regions": ["us-east-1", "eu-west-1"],
    }
    values.update(overrides)
    return athena.cloudtrail_table(**values)


def queries(**overrides):
    values = {
        "table": "cloudtrail_logs",
        "name_prefix": "Trailguard: ",
        "bucket_name": "acme-cloudtrail",
        "key_arn": KEY_ARN,
        "log_archive_account_id": "222222222222",
        "home_region": "eu-west-1",
    }
    values.update(overrides)
    return {query["name"]: query for query in athena.cloudtrail_queries(**values)}


# ---------------------------------------------------------------- the table


def test_the_columns_are_aws_documented_cloudtrail_table_and_valid_hive_types():
    columns = {column["name"]: column["type"] for column in table()["columns"]}
    assert list(columns)[:5] == ["eventversion", "useridentity", "eventtime", "eventsource", "eventname"]
    for name in ("additionaleventdata", "tlsdetails", "sharedeventid", "requestparameters", "resources", "addendum",
                 "sessioncredentialfromconsole", "vpcendpointaccountid", "eventcategory", "serviceeventdetails"):
        assert name in columns, name
    for name, hive_type in columns.items():
        parsed = exp.DataType.build(hive_type, dialect="hive")
        assert parsed.sql("hive").replace(" ", "").lower() == hive_type.replace(" ", "").lower(), name
    assert "onbehalfof:struct<userid:string,identitystorearn:string>" in columns["useridentity"]
    assert columns["tlsdetails"] == "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"


def test_partition_projection_over_the_organizations_prefix():
    result = table(key_prefix="/trails/")
    prefix = f"s3://acme-cloudtrail/trails/AWSLogs/{ORG_ID}"
    assert result["location"] == prefix + "/"
    assert [key["name"] for key in result["partition_keys"]] == ["account", "region", "timestamp"]
    parameters = result["parameters"]
    assert parameters["storage.location.template"] == prefix + "/${account}/CloudTrail/${region}/${timestamp}"
    assert parameters["projection.account.type"] == "enum"
    # Sorted, each once, as strings: a run that finds the same accounts writes the same value.
    assert parameters["projection.account.values"] == "111111111111,222222222222,333333333333"
    assert parameters["projection.region.values"] == "eu-west-1,us-east-1"
    assert parameters["projection.timestamp.range"] == "NOW-180DAYS,NOW"
    assert parameters["projection.timestamp.format"] == "yyyy/MM/dd"
    assert result["input_format"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert result["serde"]["serialization_library"] == "org.apache.hive.hcatalog.data.JsonSerDe"


def test_the_table_passes_the_modules_own_projection_checks():
    result = table()
    assert glue_catalog_table.projection_problems(result["partition_keys"], result["parameters"]) == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"organization_id": ""}, "organization_id must be an organization ID like o-exampleorgid, got '': an empty one"),
        ({"organization_id": None}, "would make the table read AWSLogs//"),
        ({"accounts": ["111111111111", " 222222222222"]}, "accounts must be 12-digit account IDs, without spaces; invalid: [' 222222222222']"),
        ({"accounts": []}, "invalid: none given"),
        ({"regions": ["us-east-1 "]}, "regions must be AWS region names, without spaces; invalid: ['us-east-1 ']"),
        ({"bucket_name": "Logs"}, "bucket_name must be an S3 bucket name"),
        ({"retention_days": 0}, "retention_days must be 1 or more"),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong(overrides, message):
    with pytest.raises(ValueError) as error:
        table(**overrides)
    assert message in str(error.value)


# ---------------------------------------------------------------- the saved queries


def test_the_eight_investigations_are_there():
    assert list(queries()) == [
        "Trailguard: root activity",
        "Trailguard: console sign-ins without MFA",
        "Trailguard: trail stopped, deleted or changed",
        "Trailguard: IAM policy changes",
        "Trailguard: access-denied bursts by principal",
        "Trailguard: log bucket and trail key activity",
        "Trailguard: everything one access key did",
        "Trailguard: role session activity",
    ]


@pytest.mark.parametrize("name", list(queries()))
def test_each_query_parses_as_athena_sql(name):
    tree = sqlglot.parse_one(queries()[name]["query"], read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    assert isinstance(tree, exp.Select)
    assert [table_.name for table_ in tree.find_all(exp.Table)] == ["cloudtrail_logs"]


def _partition_filters(query):
    """{partition key: the literal or expression it is compared with} in the query's WHERE."""
    where = sqlglot.parse_one(query, read="trino").find(exp.Where)
    filters = {}
    for comparison in where.find_all(exp.EQ, exp.GTE):
        column = comparison.left
        if isinstance(column, exp.Column) and column.name in athena.PARTITION_KEYS and not column.table:
            filters[column.name] = comparison.right.sql("trino")
    return filters


@pytest.mark.parametrize("name", list(queries()))
def test_each_query_reads_only_the_days_it_needs(name):
    filters = _partition_filters(queries(days=3)[name]["query"])
    assert filters["timestamp"] == "DATE_FORMAT(CURRENT_DATE - INTERVAL '3' DAY, '%Y/%m/%d')"


def test_queries_whose_events_live_in_one_place_read_only_there():
    found = queries()
    assert _partition_filters(found["Trailguard: IAM policy changes"]["query"])["region"] == "'us-east-1'"
    assert _partition_filters(queries(partition="aws-us-gov")["Trailguard: IAM policy changes"]["query"])["region"] == (
        "'us-gov-west-1'"
    )
    log_archive = _partition_filters(found["Trailguard: log bucket and trail key activity"]["query"])
    assert log_archive["account"] == "'222222222222'" and log_archive["region"] == "'eu-west-1'"


def test_the_access_key_and_role_session_queries_take_a_parameter():
    found = queries()
    for name in ("Trailguard: everything one access key did", "Trailguard: role session activity"):
        assert len(list(sqlglot.parse_one(found[name]["query"], read="trino").find_all(exp.Placeholder))) == 1, name
    assert "?" not in found["Trailguard: root activity"]["query"]


def test_the_burst_threshold_and_the_names_of_the_bucket_and_key_are_in_the_sql():
    found = queries(denied_burst_threshold=25)
    assert "HAVING count(*) >= 25" in found["Trailguard: access-denied bursts by principal"]["query"]
    activity = found["Trailguard: log bucket and trail key activity"]["query"]
    assert "= 'acme-cloudtrail'" in activity and f"r.arn = '{KEY_ARN}'" in activity


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"table": "CloudTrail"}, "table must be lowercase letters"),
        ({"log_archive_account_id": "2222"}, "log_archive_account_id must be a 12-digit account ID"),
        ({"home_region": "EU"}, "home_region must be an AWS region name"),
        ({"key_arn": "alias/x"}, "key_arn must be the trail key's ARN"),
        ({"days": 0}, "days and denied_burst_threshold must be 1 or more"),
    ],
)
def test_bad_query_input_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        queries(**overrides)
