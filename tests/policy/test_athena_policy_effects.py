"""What the Athena policies let through, and what they stop.

- the reader role (athena_reader_policy): it can run queries in the one workgroup, read the one database's tables,
  list and read the organization's CloudTrail log files, read and write query results with the results key through
  S3 - and nothing else: no other workgroup, database, bucket or prefix, no change to the workgroup, the table or
  the saved queries, no key used directly;
- the results bucket (athena_results_bucket_policy): only TLS, only this account's principals, and objects written
  only with SSE-KMS and the results key (or no encryption header, which gets the bucket's default, the same key).

Like the SIEM consumer's cases, the reader's cases give the principal its real identity policy, since what that
policy allows is the point; the results bucket's cases give it AdministratorAccess, so that a denial must come from
the bucket policy.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import EXPLICIT
from iam_simulation import FOREIGN
from iam_simulation import FOREIGN_ORG_ID
from iam_simulation import IMPLICIT
from iam_simulation import KEY_ARN
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import MGMT
from iam_simulation import ORG_ID
from iam_simulation import REGION
from iam_simulation import TRAIL_ARN
from iam_simulation import Case
from iam_simulation import check
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail/{REGION}/2026/11/22/{MEMBER_A}_CloudTrail_x.json.gz"
DIGEST_OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail-Digest/{REGION}/2026/11/22/digest.json.gz"
RESULTS = "trailguard-athena-results"
RESULTS_ARN = f"arn:aws:s3:::{RESULTS}"
RESULT_OBJECT = f"{RESULTS_ARN}/trailguard-cloudtrail/0f1e2d3c-query.csv"
RESULTS_KEY_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/11111111-2222-4333-8444-555555555555"
WORK_GROUP_ARN = f"arn:aws:athena:{REGION}:{LOG_ARCHIVE}:workgroup/trailguard-cloudtrail"
PRIMARY_ARN = f"arn:aws:athena:{REGION}:{LOG_ARCHIVE}:workgroup/primary"
DATABASE = "trailguard_cloudtrail"
GLUE = f"arn:aws:glue:{REGION}:{LOG_ARCHIVE}"
TABLE_ARN = f"{GLUE}:table/{DATABASE}/cloudtrail_logs"
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
SSE_KMS = {"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": RESULTS_KEY_ARN}

READER_POLICY = policies.athena_reader_policy(WORK_GROUP_ARN, DATABASE, BUCKET, ORG_ID, RESULTS, RESULTS_KEY_ARN)
RESULTS_POLICY = policies.athena_results_bucket_policy(RESULTS, LOG_ARCHIVE, RESULTS_KEY_ARN)
RESULTS_KEY_POLICY = policies.athena_results_key_policy(LOG_ARCHIVE)
LOG_BUCKET_POLICY = policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN)
TRAIL_KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION)

READER = role(LOG_ARCHIVE, "TrailguardAthenaReader")
READER_IDENTITY = {"name": "TrailguardAthenaReader", "policy": READER_POLICY}


def reader(action, resource, resource_policy=None, context=None):
    item = request(READER, action, resource, LOG_ARCHIVE, resource_policy=resource_policy, context=context)
    item["simulation"]["identityPolicies"] = [READER_IDENTITY]
    return item


READER_CASES = [
    Case("reader runs a query in the workgroup", reader("athena:StartQueryExecution", WORK_GROUP_ARN), ALLOWED),
    Case("reader reads a query's results", reader("athena:GetQueryResults", WORK_GROUP_ARN), ALLOWED),
    Case("reader reads a saved query", reader("athena:BatchGetNamedQuery", WORK_GROUP_ARN), ALLOWED),
    Case(
        "reader runs a query in another workgroup",
        reader("athena:StartQueryExecution", PRIMARY_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case("reader changes the workgroup", reader("athena:UpdateWorkGroup", WORK_GROUP_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader deletes the workgroup", reader("athena:DeleteWorkGroup", WORK_GROUP_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader saves a query", reader("athena:CreateNamedQuery", WORK_GROUP_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader deletes a saved query", reader("athena:DeleteNamedQuery", WORK_GROUP_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader reads the table", reader("glue:GetTable", TABLE_ARN), ALLOWED, sid="TrailguardReadTheCatalog"),
    Case("reader reads the database", reader("glue:GetDatabase", f"{GLUE}:database/{DATABASE}"), ALLOWED),
    Case("reader reads the catalog", reader("glue:GetTables", f"{GLUE}:catalog"), ALLOWED),
    Case(
        "reader reads another database's table",
        reader("glue:GetTable", f"{GLUE}:table/payments/orders"),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case("reader changes the table", reader("glue:UpdateTable", TABLE_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader deletes the table", reader("glue:DeleteTable", TABLE_ARN), IMPLICIT, denied_by={"identity"}),
    Case("reader creates a table", reader("glue:CreateTable", f"{GLUE}:database/{DATABASE}"), IMPLICIT, denied_by={"identity"}),
    Case(
        "reader lists a partition's log files",
        reader("s3:ListBucket", BUCKET_ARN, LOG_BUCKET_POLICY, {"s3:prefix": f"AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail/{REGION}/2026/11/22/"}),
        ALLOWED,
        sid="TrailguardListTheLogs",
    ),
    Case(
        "reader lists outside the organization's logs",
        reader("s3:ListBucket", BUCKET_ARN, LOG_BUCKET_POLICY, {"s3:prefix": f"AWSLogs/{MGMT}/"}),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case("reader reads a log file", reader("s3:GetObject", LOG_OBJECT, LOG_BUCKET_POLICY), ALLOWED, sid="TrailguardReadTheLogs"),
    Case(
        "reader reads a digest file, which the table never reads",
        reader("s3:GetObject", DIGEST_OBJECT, LOG_BUCKET_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "reader writes a log file",
        reader("s3:PutObject", LOG_OBJECT, LOG_BUCKET_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "reader reads another bucket",
        reader("s3:GetObject", f"arn:aws:s3:::payments-{LOG_ARCHIVE}/orders.csv"),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "reader writes a query result",
        reader("s3:PutObject", RESULT_OBJECT, RESULTS_POLICY, SSE_KMS),
        ALLOWED,
        sid="TrailguardReadAndWriteTheResults",
    ),
    Case("reader reads a query result", reader("s3:GetObject", RESULT_OBJECT, RESULTS_POLICY), ALLOWED),
    Case(
        "reader deletes a query result",
        reader("s3:DeleteObject", RESULT_OBJECT, RESULTS_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "reader encrypts a result with the results key through S3",
        reader("kms:GenerateDataKey", RESULTS_KEY_ARN, RESULTS_KEY_POLICY, VIA_S3),
        ALLOWED,
        sid="TrailguardUseTheResultsKeyThroughS3",
    ),
    Case(
        "reader uses the results key directly",
        reader("kms:Decrypt", RESULTS_KEY_ARN, RESULTS_KEY_POLICY),
        IMPLICIT,
        denied_by={"identity"},
    ),
    # No statement of the reader's names the trail key: the key's policy (OrganizationDecryptLogs) lets principals of
    # the organization decrypt CloudTrail logs, which is how Athena reads them through S3.
    Case(
        "reader decrypts a CloudTrail log file through the trail key's policy",
        reader("kms:Decrypt", KEY_ARN, TRAIL_KEY_POLICY, dict(VIA_S3, **{"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ARN})),
        ALLOWED,
    ),
    Case(
        "reader decrypts with the trail key directly",
        reader("kms:Decrypt", KEY_ARN, TRAIL_KEY_POLICY),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case("reader stops the trail", reader("cloudtrail:StopLogging", TRAIL_ARN), IMPLICIT, denied_by={"identity"}),
]


def admin(account, action, resource, context=None, tls=True, org_id=ORG_ID):
    return request(
        role(account, org_id=org_id), action, resource, LOG_ARCHIVE, resource_policy=RESULTS_POLICY, context=context, tls=tls
    )


RESULTS_BUCKET_CASES = [
    Case("account admin writes with the results key", admin(LOG_ARCHIVE, "s3:PutObject", RESULT_OBJECT, SSE_KMS), ALLOWED),
    Case("account admin writes with the bucket's default encryption", admin(LOG_ARCHIVE, "s3:PutObject", RESULT_OBJECT), ALLOWED),
    Case("account admin reads a result", admin(LOG_ARCHIVE, "s3:GetObject", RESULT_OBJECT), ALLOWED),
    Case(
        "account admin writes with another key",
        admin(LOG_ARCHIVE, "s3:PutObject", RESULT_OBJECT, dict(SSE_KMS, **{"s3:x-amz-server-side-encryption-aws-kms-key-id": OTHER_KEY_ARN})),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherKeys",
    ),
    Case(
        "account admin writes with SSE-KMS and no key ID (the AWS managed key)",
        admin(LOG_ARCHIVE, "s3:PutObject", RESULT_OBJECT, {"s3:x-amz-server-side-encryption": "aws:kms"}),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherKeys",
    ),
    Case(
        "account admin writes with SSE-S3",
        admin(LOG_ARCHIVE, "s3:PutObject", RESULT_OBJECT, {"s3:x-amz-server-side-encryption": "AES256"}),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherEncryption",
    ),
    Case(
        "account admin reads a result without TLS",
        admin(LOG_ARCHIVE, "s3:GetObject", RESULT_OBJECT, tls=False),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyInsecureTransport",
    ),
    Case(
        "member account admin reads a result",
        admin(MEMBER_A, "s3:GetObject", RESULT_OBJECT),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherAccounts",
    ),
    Case(
        "foreign principal lists the results",
        admin(FOREIGN, "s3:ListBucket", RESULTS_ARN, org_id=FOREIGN_ORG_ID),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherAccounts",
    ),
]

CASES = READER_CASES + RESULTS_BUCKET_CASES


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_athena_policy_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_the_reader_policy_names_only_the_workgroup_the_database_the_logs_and_the_results():
    resources = {
        resource
        for statement in READER_POLICY["Statement"]
        for resource in ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])
    }
    assert resources == {
        WORK_GROUP_ARN,
        f"{GLUE}:catalog",
        f"{GLUE}:database/{DATABASE}",
        f"{GLUE}:table/{DATABASE}/*",
        BUCKET_ARN,
        f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/*/CloudTrail/*",
        RESULTS_ARN,
        f"{RESULTS_ARN}/*",
        RESULTS_KEY_ARN,
    }
    assert all(statement["Effect"] == "Allow" for statement in READER_POLICY["Statement"])
