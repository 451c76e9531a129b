"""Querying the organization's logs with Athena, on log files in AWS's real layout and format.

The main playbook runs with trailguard_athena on, against an organization seeded in the emulator. The delivery
simulator (tools/cloudtrail_delivery.py) then writes hours of CloudTrail log files for every account in two regions,
logging stopped and started once, and the test adds log files holding the events each saved query must find - a
root sign-in without MFA, a StopLogging, an access-denied burst... - and events each must not.

- The table's storage.location.template, expanded for every account and region the simulator wrote (the table's
  enum and date projection, as Athena expands them), points at prefixes that hold those log files, and every log
  file of the organization's prefix is reached by one expansion. An account created after the first run is in the
  table after the second, and its logs are reached; nothing else of the table changed.
- Every saved query, read back from the emulator's Athena, is transpiled from Athena's SQL (Trino) to DuckDB with
  sqlglot and run over the log files, loaded with the table's own columns (read back from Glue) and the partition
  values the template gives each file: each finds exactly the events written for it.

Athena itself does not run here (the emulator answers no real query); what Athena would read is what the table
says, and that is what is checked.
"""

import datetime
import gzip
import json
import re
from pathlib import Path

import boto3
import duckdb
import pytest
import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[2]

import cloudtrail_delivery as delivery
from support import MONITORING_OFF_ARGS
from support import member_session
from support import playbook
from support import seeded_emulator
from support import write_inventory

UTC = datetime.timezone.utc
# inventory/group_vars/all.yml: prefix acme, region us-east-1.
BUCKET, TRAIL_NAME, HOME = "acme-cloudtrail", "acme-organization-trail", "us-east-1"
WORKGROUP, DATABASE, TABLE = "acme-cloudtrail", "acme_cloudtrail", "cloudtrail_logs"
REGIONS = ("us-east-1", "eu-west-1")
HOURS = 5
ATHENA_ON = ("-e", "trailguard_athena=true", *MONITORING_OFF_ARGS)
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"


def query_name(short):
    return f"Trailguard: {short}"


class Events:
    """The events the test writes, each in its own log file, and which saved query must find each."""

    def __init__(self, s3, trail, org, key_arn, now):
        self.s3, self.trail, self.key_arn = s3, trail, key_arn
        self.mgmt = org["management"]["account_id"]
        self.audit = org["log_archive"]["account_id"]
        self.member_1, self.member_2 = (member["account_id"] for member in org["members"][:2])
        # Every event in one clock hour (there are fewer than 60), so that the burst is one hour's.
        self.base = (now - datetime.timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        self.count = 0
        self.expected = {}

    def write(self, account, region, expected_by=(), **fields):
        """One record in a log file of its own; `expected_by` names the saved queries that must find it."""
        self.count += 1
        at = self.base + datetime.timedelta(minutes=self.count)  # each event has its own time, its identity here
        record = delivery.record(self.trail, account, region, fields.pop("eventName"), at)
        record.update(fields)
        key = self.trail.log_key(account, region, at + datetime.timedelta(minutes=2), f"TEST{self.count:012d}")
        body, _raw = delivery.gzip_json({"Records": [record]})
        self.s3.put_object(Bucket=self.trail.bucket, Key=key, Body=body)
        for name in expected_by:
            self.expected.setdefault(query_name(name), set()).add(record["eventTime"])
        return record


def identity(kind, account, name, access_key=None, **extra):
    arns = {
        "Root": f"arn:aws:iam::{account}:root",
        "IAMUser": f"arn:aws:iam::{account}:user/{name}",
        "AssumedRole": f"arn:aws:sts::{account}:assumed-role/{name}",
        "AWSService": None,
    }
    found = {"type": kind, "principalId": f"AID{account}{name}", "accountId": account, "arn": arns[kind]}
    if access_key:
        found["accessKeyId"] = access_key
    found.update(extra)
    return {key: value for key, value in found.items() if value is not None}


def sign_in(who, mfa, success=True):
    return {
        "eventName": "ConsoleLogin",
        "eventSource": "signin.amazonaws.com",
        "eventType": "AwsConsoleSignIn",
        "userIdentity": who,
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": mfa},
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "requestParameters": None,
    }


def write_expected_events(events):
    """The events of every saved query, and the look-alikes each must not find."""
    mgmt, audit, member_1, member_2 = events.mgmt, events.audit, events.member_1, events.member_2
    root = identity("Root", mgmt, "root")
    # Root activity; a root sign-in without MFA is both root activity and a sign-in without MFA.
    events.write(mgmt, HOME, ("root activity", "console sign-ins without MFA"), **sign_in(root, "No"))
    events.write(member_1, "eu-west-1", ("root activity",), eventName="ListBuckets", eventSource="s3.amazonaws.com",
                 userIdentity=identity("Root", member_1, "root"))
    events.write(member_1, HOME, (), eventName="DescribeCases", eventSource="support.amazonaws.com",
                 userIdentity=identity("Root", member_1, "root", invokedBy="support.amazonaws.com"))
    events.write(member_2, HOME, (), eventName="RootSignInRecorded", eventType="AwsServiceEvent",
                 userIdentity=identity("Root", member_2, "root"))
    # Console sign-ins: without MFA found; with MFA, failed, or federated (MFA at the identity provider) not.
    events.write(member_2, HOME, ("console sign-ins without MFA",), **sign_in(identity("IAMUser", member_2, "bob"), "No"))
    events.write(member_2, "eu-west-1", (), **sign_in(identity("IAMUser", member_2, "carol"), "Yes"))
    events.write(member_1, HOME, (), **sign_in(identity("IAMUser", member_1, "dave"), "No", success=False))
    events.write(member_1, HOME, (), **sign_in(identity("AssumedRole", member_1, "AWSReservedSSO_Admin/erin"), "No"))
    # The trail: a member's denied DeleteTrail and the management account's PutEventSelectors (the simulator's own
    # StopLogging is added by the fixture); reading its status is not tampering.
    admin = identity("AssumedRole", member_1, "Admin/mallory")
    events.write(member_1, "eu-west-1", ("trail stopped, deleted or changed",), eventName="DeleteTrail",
                 eventSource="cloudtrail.amazonaws.com", userIdentity=admin, errorCode="AccessDenied",
                 requestParameters={"name": events.trail.arn})
    events.write(mgmt, HOME, ("trail stopped, deleted or changed",), eventName="PutEventSelectors",
                 eventSource="cloudtrail.amazonaws.com", requestParameters={"trailName": events.trail.arn})
    events.write(mgmt, HOME, (), eventName="GetTrailStatus", eventSource="cloudtrail.amazonaws.com")
    # IAM policy changes are logged in us-east-1; one in another region's files is outside the query's partitions.
    events.write(member_1, HOME, ("IAM policy changes",), eventName="PutRolePolicy", eventSource="iam.amazonaws.com",
                 requestParameters={"roleName": "app", "policyName": "inline"})
    events.write(mgmt, HOME, ("IAM policy changes",), eventName="AttachUserPolicy", eventSource="iam.amazonaws.com")
    events.write(mgmt, HOME, (), eventName="CreateUser", eventSource="iam.amazonaws.com")
    events.write(member_2, "eu-west-1", (), eventName="PutUserPolicy", eventSource="iam.amazonaws.com")
    # The log bucket and the trail key, in the log-archive account: a policy change and a disabled key are found;
    # another bucket's policy and CloudTrail's own use of the key are not.
    who = identity("AssumedRole", audit, "OrganizationAccountAccessRole/someone")
    events.write(audit, HOME, ("log bucket and trail key activity",), eventName="PutBucketPolicy",
                 eventSource="s3.amazonaws.com", userIdentity=who, requestParameters={"bucketName": BUCKET})
    events.write(audit, HOME, ("log bucket and trail key activity",), eventName="DisableKey",
                 eventSource="kms.amazonaws.com", userIdentity=who, requestParameters={"keyId": events.key_arn},
                 resources=[{"ARN": events.key_arn, "accountId": audit, "type": "AWS::KMS::Key"}])
    events.write(audit, HOME, (), eventName="PutBucketPolicy", eventSource="s3.amazonaws.com", userIdentity=who,
                 requestParameters={"bucketName": "acme-other-bucket"})
    events.write(audit, HOME, (), eventName="GenerateDataKey", eventSource="kms.amazonaws.com",
                 userIdentity={"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
                 resources=[{"ARN": events.key_arn, "accountId": audit, "type": "AWS::KMS::Key"}])
    # One access key, in two accounts and regions.
    key_user = identity("IAMUser", mgmt, "ci", access_key=ACCESS_KEY)
    for account, region in ((mgmt, HOME), (mgmt, HOME), (member_1, "eu-west-1")):
        events.write(account, region, ("everything one access key did",), eventName="DescribeInstances",
                     eventSource="ec2.amazonaws.com", userIdentity=dict(key_user, accountId=account))
    # One role session, and another session of the same role.
    session = "Deployer/build-42"
    for region in REGIONS:
        events.write(member_2, region, ("role session activity",), eventName="RunInstances", eventSource="ec2.amazonaws.com",
                     userIdentity=identity("AssumedRole", member_2, session, access_key="ASIAEXAMPLESESSION42"))
    events.write(member_2, HOME, (), eventName="RunInstances", eventSource="ec2.amazonaws.com",
                 userIdentity=identity("AssumedRole", member_2, "Deployer/build-43"))
    # An access-denied burst: 12 refusals of one principal in an hour; 4 of another are not a burst.
    prober = identity("AssumedRole", member_2, "Intruder/probe")
    for n in range(12):
        events.write(member_2, REGIONS[n % 2], (), eventName=("GetSecretValue", "ListUsers", "DescribeInstances")[n % 3],
                     eventSource="iam.amazonaws.com", userIdentity=prober,
                     errorCode="AccessDenied" if n % 2 else "Client.UnauthorizedOperation")
    for _n in range(4):
        events.write(member_1, HOME, (), eventName="ListUsers", eventSource="iam.amazonaws.com",
                     userIdentity=identity("AssumedRole", member_1, "Dev/dan"), errorCode="AccessDenied")
    return {"session": f"arn:aws:sts::{member_2}:assumed-role/{session}", "prober": f"arn:aws:sts::{member_2}:assumed-role/Intruder/probe"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The emulator after the main playbook with Athena on, with hours of log files and the test's own events."""
    work = tmp_path_factory.mktemp("athena")
    with seeded_emulator(work, members=2) as (url, org, _patch):
        inventory = write_inventory(work / "inventory", org)
        playbook(url, inventory, "org_cloudtrail.yml", *ATHENA_ON)
        audit = org["log_archive"]["account_id"]
        session = member_session(url, audit)
        s3 = session.client("s3", endpoint_url=url)
        trail = delivery.Trail(BUCKET, org["organization_id"], TRAIL_NAME, HOME, org["management"]["account_id"])
        now = datetime.datetime.now(UTC)
        start = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=HOURS + 1)
        stopped = start + datetime.timedelta(hours=2, minutes=10)
        accounts = [org["management"]["account_id"], audit] + [member["account_id"] for member in org["members"]]
        chains = delivery.Delivery(s3, trail).run(
            accounts, REGIONS, start, HOURS, pauses=[(stopped, stopped + datetime.timedelta(minutes=40))]
        )
        key_arn = session.client("kms", endpoint_url=url).describe_key(KeyId="alias/acme-cloudtrail")["KeyMetadata"]["Arn"]
        events = Events(s3, trail, org, key_arn, now)
        values = write_expected_events(events)
        stop_time = delivery.iso(stopped)
        events.expected[query_name("trail stopped, deleted or changed")].add(stop_time)
        yield {
            "url": url,
            "org": org,
            "inventory": inventory,
            "session": session,
            "s3": s3,
            "trail": trail,
            "chains": chains,
            "start": start,
            "events": events,
            "values": values,
        }


# ---------------------------------------------------------------- what Athena would read


def glue_table(world):
    return world["session"].client("glue", endpoint_url=world["url"]).get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]


def projection(table):
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.account.type"] == parameters["projection.region.type"] == "enum"
    assert parameters["projection.timestamp.type"] == "date"
    assert parameters["projection.timestamp.format"] == "yyyy/MM/dd"
    days = int(re.fullmatch(r"NOW-(\d+)DAYS,NOW", parameters["projection.timestamp.range"]).group(1))
    today = datetime.datetime.now(UTC).date()
    return {
        "account": parameters["projection.account.values"].split(","),
        "region": parameters["projection.region.values"].split(","),
        "timestamp": [(today - datetime.timedelta(days=n)).strftime("%Y/%m/%d") for n in range(days + 1)],
        "template": parameters["storage.location.template"],
    }


def expand(template, **values):
    """The template with each ${key} replaced, as Athena's partition projection does."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], template)


def template_regex(template):
    """A regex matching the S3 URIs of the files under one expansion of the template; groups named by key."""
    pattern = re.escape(template)
    # A value may hold slashes (the yyyy/MM/dd date); membership in the projection is checked after the match.
    return re.compile(re.sub(r"\\\$\\\{(\w+)\\\}", r"(?P<\1>.+?)", pattern) + r"/[^/]+$")


def log_files(world):
    """Every CloudTrail log file of the organization's prefix (digests aside), as s3:// URIs."""
    paginator = world["s3"].get_paginator("list_objects_v2")
    prefix = f"AWSLogs/{world['org']['organization_id']}/"
    keys = [item["Key"] for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix) for item in page.get("Contents", [])]
    return [f"s3://{BUCKET}/{key}" for key in keys if "/CloudTrail/" in key]


def partitions_of_files(world, table):
    """{file URI: its partition values}, for the files an expansion of the template reaches; and the others."""
    found = projection(table)
    pattern = template_regex(found["template"])
    reached, missed = {}, []
    for uri in log_files(world):
        match = pattern.match(uri)
        if match and all(match.group(key) in found[key] for key in ("account", "region", "timestamp")):
            reached[uri] = match.groupdict()
        else:
            missed.append(uri)
    return reached, missed


def test_the_template_expanded_for_every_account_and_region_written_holds_its_log_files(world):
    table = glue_table(world)
    found = projection(table)
    org = world["org"]
    assert found["template"] == f"s3://{BUCKET}/AWSLogs/{org['organization_id']}/${{account}}/CloudTrail/${{region}}/${{timestamp}}"
    written_days = sorted({(world["start"] + datetime.timedelta(hours=h)).strftime("%Y/%m/%d") for h in range(HOURS + 2)})
    for account, region in world["chains"]:
        assert account in found["account"] and region in found["region"], (account, region)
        holding = []
        for day in found["timestamp"]:
            prefix = expand(found["template"], account=account, region=region, timestamp=day)[len(f"s3://{BUCKET}/"):]
            listed = world["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
            if listed.get("KeyCount"):
                holding.append(day)
        written = {log[len(f"AWSLogs/{org['organization_id']}/{account}/CloudTrail/{region}/"):][:10]
                   for chain in world["chains"][(account, region)] for log in chain["logs"]}
        assert written and written <= set(holding) <= set(written_days), (account, region, holding, written)
    reached, missed = partitions_of_files(world, table)
    assert missed == [] and len(reached) >= len(world["chains"]) * HOURS


# ---------------------------------------------------------------- the saved queries, run over the log files


def hive_to_duckdb(hive_type):
    return exp.DataType.build(hive_type, dialect="hive").sql("duckdb")


def to_column(value, hive_type):
    """A JSON value as the table's SerDe reads it into a column of `hive_type` (field names match without case)."""
    if value is None:
        return None
    kind = hive_type.split("<", 1)[0].lower()
    parsed = exp.DataType.build(hive_type, dialect="hive")
    if kind == "struct":
        lowered = {key.lower(): item for key, item in value.items()}
        return {
            field.name: to_column(lowered.get(field.name), field.args["kind"].sql("hive"))
            for field in parsed.expressions
        }
    if kind == "array":
        return [to_column(item, parsed.expressions[0].sql("hive")) for item in value]
    if kind == "map":
        return {str(key): None if item is None else str(item) for key, item in value.items()}
    if isinstance(value, (dict, list)):  # a JSON object in a string column is its JSON text
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load(world, table, path):
    """The log files the table reaches, as a DuckDB table of the same name, columns and partition keys."""
    columns = [(column["Name"], column["Type"]) for column in table["StorageDescriptor"]["Columns"]]
    keys = [key["Name"] for key in table["PartitionKeys"]]
    reached, _missed = partitions_of_files(world, table)
    with path.open("w") as rows:
        for uri, partition in reached.items():
            body = world["s3"].get_object(Bucket=BUCKET, Key=uri[len(f"s3://{BUCKET}/"):])["Body"].read()
            for record in json.loads(gzip.decompress(body))["Records"]:
                lowered = {key.lower(): value for key, value in record.items()}
                row = {name: to_column(lowered.get(name), hive_type) for name, hive_type in columns}
                row.update(partition)
                rows.write(json.dumps(row) + "\n")
    types = {name: hive_to_duckdb(hive_type) for name, hive_type in columns} | {key: "VARCHAR" for key in keys}
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")  # Athena's from_iso8601_timestamp keeps the Z (UTC) of eventTime
    connection.execute(
        f"CREATE TABLE {TABLE} AS SELECT * FROM read_json(?, format='newline_delimited', columns={types!r})",
        [str(path)],
    )
    return connection


def saved_queries(world):
    athena = world["session"].client("athena", endpoint_url=world["url"])
    ids = athena.list_named_queries(WorkGroup=WORKGROUP)["NamedQueryIds"]
    return {query["Name"]: query for query in athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"]}


@pytest.fixture(scope="module")
def loaded(world, tmp_path_factory):
    return load(world, glue_table(world), tmp_path_factory.mktemp("duckdb") / "rows.ndjson")


def run(connection, sql, *parameters):
    """Athena's SQL, transpiled to DuckDB; the rows as dicts."""
    transpiled = sqlglot.transpile(sql, read="trino", write="duckdb")
    assert len(transpiled) == 1
    # Every value as text: DuckDB would need pytz to hand a TIMESTAMP WITH TIME ZONE (the burst's hour) to Python.
    cursor = connection.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({transpiled[0]})", list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


PARAMETERS = {"everything one access key did": lambda values: ACCESS_KEY, "role session activity": lambda values: values["session"]}
ROW_QUERIES = [
    "root activity",
    "console sign-ins without MFA",
    "trail stopped, deleted or changed",
    "IAM policy changes",
    "log bucket and trail key activity",
    "everything one access key did",
    "role session activity",
]


def test_every_saved_query_is_in_the_workgroup_against_the_table(world):
    found = saved_queries(world)
    assert sorted(found) == sorted(query_name(name) for name in ROW_QUERIES + ["access-denied bursts by principal"])
    assert {query["Database"] for query in found.values()} == {DATABASE}


@pytest.mark.parametrize("short", ROW_QUERIES)
def test_each_saved_query_finds_exactly_its_events(world, loaded, short):
    query = saved_queries(world)[query_name(short)]
    parameters = [PARAMETERS[short](world["values"])] if short in PARAMETERS else []
    rows = run(loaded, query["QueryString"], *parameters)
    expected = world["events"].expected[query_name(short)]
    assert sorted(row["eventtime"] for row in rows) == sorted(expected), short


def test_the_access_denied_query_finds_the_burst_and_only_it(world, loaded):
    query = saved_queries(world)[query_name("access-denied bursts by principal")]
    rows = run(loaded, query["QueryString"])
    member_2 = world["org"]["members"][1]["account_id"]
    assert [(row["principal"], row["account"], row["denied"], row["actions"]) for row in rows] == [
        (world["values"]["prober"], member_2, "12", "3")
    ]
    assert rows[0]["hour"].startswith(world["events"].base.strftime("%Y-%m-%d %H:00:00"))


def test_an_event_outside_a_querys_partitions_is_in_the_data_all_the_same(world, loaded):
    """The IAM query reads only us-east-1: the PutUserPolicy written to eu-west-1's files is not found, while it is
    there for a query without the restriction (so the restriction, not the data, leaves it out)."""
    rows = run(loaded, f"SELECT eventname FROM {TABLE} WHERE eventname = 'PutUserPolicy' AND region = 'eu-west-1'")
    assert rows == [{"eventname": "PutUserPolicy"}]


# ---------------------------------------------------------------- an account added after the first run


def athena_check(world, name):
    """The posture report's Athena check (playbooks/posture.yml with trailguard_athena on)."""
    directory = world["inventory"].parent.parent / f"posture-{name}"
    playbook(world["url"], world["inventory"], "posture.yml", *ATHENA_ON, "-e", f"posture_output_dir={directory}")
    report = json.loads((directory / "posture.json").read_text())
    [found] = [item for item in report["checks"] if item["id"] == "athena.accounts"]
    return found


def test_an_account_added_after_the_first_run_is_queryable_after_the_next(world):
    url, org = world["url"], world["org"]
    before = glue_table(world)
    organizations = boto3.client("organizations", endpoint_url=url)
    request_id = organizations.create_account(AccountName="late-joiner", Email="late-joiner@example.com")[
        "CreateAccountStatus"
    ]["Id"]
    new_account = organizations.describe_create_account_status(CreateAccountRequestId=request_id)[
        "CreateAccountStatus"
    ]["AccountId"]
    assert new_account not in projection(before)["account"]
    logs = delivery.Delivery(world["s3"], world["trail"]).run([new_account], [HOME], world["start"], 2)
    # The posture report sees the table fall behind the organization, and catch up after the next run.
    behind = athena_check(world, "behind")
    assert behind["status"] == "fail" and new_account in behind["detail"]
    playbook(url, world["inventory"], "org_cloudtrail.yml", *ATHENA_ON)
    caught_up = athena_check(world, "caught-up")
    assert caught_up["status"] == "pass", caught_up
    after = glue_table(world)
    found = projection(after)
    assert new_account in found["account"]
    assert sorted(found["account"]) == found["account"]
    assert set(found["account"]) == set(projection(before)["account"]) | {new_account}
    # Only the account list changed.
    assert {key: value for key, value in after["Parameters"].items() if key != "projection.account.values"} == {
        key: value for key, value in before["Parameters"].items() if key != "projection.account.values"
    }
    assert after["StorageDescriptor"]["Columns"] == before["StorageDescriptor"]["Columns"]
    written = [log for chain in logs[(new_account, HOME)] for log in chain["logs"]]
    reached, missed = partitions_of_files(world, after)
    assert missed == []
    assert {f"s3://{BUCKET}/{log}" for log in written} <= set(reached)
    assert {reached[f"s3://{BUCKET}/{log}"]["account"] for log in written} == {new_account}
    # The run before it did not know the account: its files were not reached then.
    reached_before, missed_before = partitions_of_files(world, before)
    assert {f"s3://{BUCKET}/{log}" for log in written} <= set(missed_before)
    assert not {f"s3://{BUCKET}/{log}" for log in written} & set(reached_before)
    assert org["organization_id"] in after["StorageDescriptor"]["Location"]
