# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Athena table over the organization trail's logs, and the saved investigations, built from data.

The columns are AWS's documented CloudTrail table (Athena User Guide, "Create the table for CloudTrail logs in
Athena using partition projection"): its JSON SerDe over CloudTrail's input format, every field of a record,
additionalEventData, tlsDetails and sharedEventID among them. AWS documents partition projection for one account
and one region; an organization trail writes under AWSLogs/<org-id>/<account>/CloudTrail/<region>/<yyyy/MM/dd>/,
so the table projects three partition keys, `account`, `region` and `timestamp`, through
storage.location.template.

The account key is an `enum` of the organization's accounts, written anew on every run, not `injected`: an
injected key needs a static equality on the account in every query ("For injected projection, the WHERE clause
must contain only equality conditions"), so no query could look across the organization (root activity, sign-ins
without MFA), while an enum projects every listed account when a query does not name one. The price is that the
table has to follow the organization, which the role does on each run.

Every query is restricted by partition: a day range on `timestamp` always, and `region` or `account` where the
events can only be there (IAM is a global service, logged in the partition's global region; the log bucket and the
trail key live in one account and region), so Athena lists and reads only those prefixes.
"""

import re

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import ACCOUNT_ID_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import BUCKET_NAME_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import ORGANIZATION_ID_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import REGION_RE

DATABASE_RE = re.compile(r"^[a-z0-9_]{1,255}$")

# The Athena User Guide's CloudTrail table, column for column (Hive types, lowercase, as Glue stores them).
CLOUDTRAIL_COLUMNS = [
    ("eventversion", "string"),
    (
        "useridentity",
        "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,"
        "username:string,onbehalfof:struct<userid:string,identitystorearn:string>,"
        "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,"
        "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,"
        "ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>",
    ),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "string"),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("recipientaccountid", "string"),
    ("serviceeventdetails", "string"),
    ("sharedeventid", "string"),
    ("vpcendpointid", "string"),
    ("vpcendpointaccountid", "string"),
    ("eventcategory", "string"),
    ("addendum", "struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>"),
    ("sessioncredentialfromconsole", "string"),
    ("edgedevicedetails", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
]
PARTITION_KEYS = ("account", "region", "timestamp")
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
# The region where each partition's global services (IAM, STS's global endpoint) log their events.
GLOBAL_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}
# CIS "unauthorized API calls": errorCode "*UnauthorizedOperation" or "AccessDenied*".
DENIED = "(errorcode LIKE '%UnauthorizedOperation' OR errorcode LIKE 'AccessDenied%')"
IAM_POLICY_EVENTS = (
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeleteGroupPolicy",
    "DeletePolicy",
    "DeletePolicyVersion",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "SetDefaultPolicyVersion",
)
TRAIL_TAMPERING_EVENTS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")


def _log_prefix(bucket_name, organization_id, key_prefix):
    key_prefix = (key_prefix or "").strip("/")
    return f"s3://{bucket_name}/{key_prefix + '/' if key_prefix else ''}AWSLogs/{organization_id}"


def _check(condition, message):
    if not condition:
        raise ValueError(message)


def account_ids(accounts):
    """The accounts as sorted, unique 12-digit strings; an ID with spaces, or not of 12 digits, is an error."""
    ids = [str(account) for account in accounts]
    bad = [account for account in ids if not ACCOUNT_ID_RE.match(account)]
    _check(ids and not bad, f"accounts must be 12-digit account IDs, without spaces; invalid: {bad or 'none given'}")
    return sorted(set(ids))


def cloudtrail_table(organization_id, bucket_name, accounts, regions, key_prefix="", retention_days=180):
    """The Glue table over the organization trail's logs, in the shape of the glue_catalog_table module's options.

    `accounts` become the account enum (every run writes the organization's current accounts), `regions` the
    region enum; the date projection covers the last `retention_days` days (the log bucket's expiry).
    """
    _check(
        ORGANIZATION_ID_RE.match(str(organization_id or "")),
        f"organization_id must be an organization ID like o-exampleorgid, got {organization_id!r}: an empty one "
        "would make the table read AWSLogs//, where no log is",
    )
    _check(BUCKET_NAME_RE.match(str(bucket_name or "")), f"bucket_name must be an S3 bucket name, got {bucket_name!r}")
    region_names = [str(region) for region in regions]
    bad_regions = [region for region in region_names if not REGION_RE.match(region)]
    _check(region_names and not bad_regions, f"regions must be AWS region names, without spaces; invalid: {bad_regions or 'none given'}")
    _check(int(retention_days) >= 1, f"retention_days must be 1 or more, got {retention_days}")
    prefix = _log_prefix(bucket_name, organization_id, key_prefix)
    return {
        "columns": [{"name": name, "type": hive_type} for name, hive_type in CLOUDTRAIL_COLUMNS],
        "partition_keys": [{"name": key, "type": "string"} for key in PARTITION_KEYS],
        "location": f"{prefix}/",
        "input_format": INPUT_FORMAT,
        "output_format": OUTPUT_FORMAT,
        "serde": {"serialization_library": SERDE, "parameters": {}},
        "parameters": {
            "EXTERNAL": "TRUE",
            "classification": "cloudtrail",
            "projection.enabled": "true",
            "projection.account.type": "enum",
            "projection.account.values": ",".join(account_ids(accounts)),
            "projection.region.type": "enum",
            "projection.region.values": ",".join(sorted(set(region_names))),
            "projection.timestamp.type": "date",
            "projection.timestamp.format": "yyyy/MM/dd",
            "projection.timestamp.range": f"NOW-{int(retention_days)}DAYS,NOW",
            "projection.timestamp.interval": "1",
            "projection.timestamp.interval.unit": "DAYS",
            "storage.location.template": f"{prefix}/${{account}}/CloudTrail/${{region}}/${{timestamp}}",
        },
    }


def _window(days):
    return f"\"timestamp\" >= date_format(current_date - INTERVAL '{int(days)}' DAY, '%Y/%m/%d')"


def _quoted(values):
    return ", ".join(f"'{value}'" for value in values)


def cloudtrail_queries(
    table,
    name_prefix,
    bucket_name,
    key_arn,
    log_archive_account_id,
    home_region,
    days=7,
    denied_burst_threshold=10,
    partition="aws",
):
    """The saved investigations: a list of {name, description, query} (Athena's Trino SQL).

    Two take a parameter (`?`): Athena's console asks for its value when the query is run.
    """
    _check(DATABASE_RE.match(str(table)), f"table must be lowercase letters, digits and '_', got {table!r}")
    _check(ACCOUNT_ID_RE.match(str(log_archive_account_id)), "log_archive_account_id must be a 12-digit account ID")
    _check(REGION_RE.match(str(home_region)), f"home_region must be an AWS region name, got {home_region!r}")
    _check(BUCKET_NAME_RE.match(str(bucket_name)), f"bucket_name must be an S3 bucket name, got {bucket_name!r}")
    _check(str(key_arn).startswith("arn:"), f"key_arn must be the trail key's ARN, got {key_arn!r}")
    _check(int(days) >= 1 and int(denied_burst_threshold) >= 1, "days and denied_burst_threshold must be 1 or more")
    window = _window(days)
    global_region = GLOBAL_REGIONS.get(partition, GLOBAL_REGIONS["aws"])
    span = f"the last {int(days)} days"
    queries = [
        (
            "root activity",
            f"Every call made as an account's root user, in every account and region, {span}.",
            f"""SELECT eventtime, account, region, eventsource, eventname, sourceipaddress, useragent, errorcode
FROM {table}
WHERE {window}
  AND useridentity.type = 'Root'
  AND useridentity.invokedby IS NULL
  AND eventtype <> 'AwsServiceEvent'
ORDER BY eventtime""",
        ),
        (
            "console sign-ins without MFA",
            f"Successful console sign-ins of IAM users and root users without MFA, {span}.",
            f"""SELECT eventtime, account, region, useridentity.type AS identity_type, useridentity.arn AS principal,
  sourceipaddress, useragent
FROM {table}
WHERE {window}
  AND eventsource = 'signin.amazonaws.com'
  AND eventname = 'ConsoleLogin'
  AND useridentity.type IN ('IAMUser', 'Root')
  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
  AND coalesce(json_extract_scalar(additionaleventdata, '$.MFAUsed'), 'No') <> 'Yes'
ORDER BY eventtime""",
        ),
        (
            "trail stopped, deleted or changed",
            f"StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors calls, allowed or denied, {span}.",
            f"""SELECT eventtime, account, region, eventname, useridentity.arn AS principal,
  json_extract_scalar(requestparameters, '$.name') AS trail, errorcode
FROM {table}
WHERE {window}
  AND eventsource = 'cloudtrail.amazonaws.com'
  AND eventname IN ({_quoted(TRAIL_TAMPERING_EVENTS)})
ORDER BY eventtime""",
        ),
        (
            "IAM policy changes",
            f"IAM policies created, changed, attached or detached, in {global_region} (where IAM logs), {span}.",
            f"""SELECT eventtime, account, eventname, useridentity.arn AS principal, requestparameters, errorcode
FROM {table}
WHERE {window}
  AND region = '{global_region}'
  AND eventsource = 'iam.amazonaws.com'
  AND eventname IN ({_quoted(IAM_POLICY_EVENTS)})
ORDER BY eventtime""",
        ),
        (
            "access-denied bursts by principal",
            f"Principals refused at least {int(denied_burst_threshold)} times within one hour, {span}.",
            f"""SELECT useridentity.arn AS principal, account, date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
  count(*) AS denied, count(DISTINCT eventname) AS actions
FROM {table}
WHERE {window}
  AND {DENIED}
GROUP BY useridentity.arn, account, date_trunc('hour', from_iso8601_timestamp(eventtime))
HAVING count(*) >= {int(denied_burst_threshold)}
ORDER BY denied DESC""",
        ),
        (
            "log bucket and trail key activity",
            f"Who called S3 on the log bucket {bucket_name} or KMS on the trail key (AWS services' own use aside), "
            f"in account {log_archive_account_id} and region {home_region}, {span}.",
            f"""SELECT eventtime, eventsource, eventname, useridentity.arn AS principal, sourceipaddress, errorcode
FROM {table}
WHERE {window}
  AND account = '{log_archive_account_id}'
  AND region = '{home_region}'
  AND useridentity.type <> 'AWSService'
  AND ((eventsource = 's3.amazonaws.com' AND json_extract_scalar(requestparameters, '$.bucketName') = '{bucket_name}')
    OR (eventsource = 'kms.amazonaws.com' AND cardinality(filter(resources, r -> r.arn = '{key_arn}')) > 0))
ORDER BY eventtime""",
        ),
        (
            "everything one access key did",
            f"Every call made with one access key (the parameter, such as AKIAIOSFODNN7EXAMPLE), {span}.",
            f"""SELECT eventtime, account, region, eventsource, eventname, useridentity.arn AS principal, sourceipaddress,
  errorcode
FROM {table}
WHERE {window}
  AND useridentity.accesskeyid = ?
ORDER BY eventtime""",
        ),
        (
            "role session activity",
            "Every call of one role session (the parameter: its ARN, "
            f"arn:{partition}:sts::<account>:assumed-role/<role>/<session>), {span}.",
            f"""SELECT eventtime, account, region, eventsource, eventname, sourceipaddress, errorcode
FROM {table}
WHERE {window}
  AND useridentity.arn = ?
ORDER BY eventtime""",
        ),
    ]
    return [{"name": f"{name_prefix}{name}", "description": description, "query": query} for name, description, query in queries]
