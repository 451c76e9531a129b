"""What the AWS Config statements let through, and what they stop.

AWS Config delivers to the central log bucket in two ways (AWS Config Developer Guide, "Permissions for the
Amazon S3 Bucket for the AWS Config Delivery Channel"):
- from every other account, as its service principal, config.amazonaws.com: the bucket policy and the trail
  key's policy (config_bucket_statements, config_kms_key_statements) let it in for any account of the
  organization (aws:SourceOrgID), each only under its own AWSLogs/<account>/Config/ prefix, accounts that join
  after the run included, and no account of another organization;
- from the log-archive account, which owns the bucket, with the recorder's own role: its inline policy
  (config_recorder_delivery_policy) lets it write only its account's prefix and use the key only through S3, and
  the guardrail SCPs do not stand in its way.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
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
from iam_simulation import Principal
from iam_simulation import check
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases
from iam_simulation import scp_levels

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

CONFIG = "config.amazonaws.com"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ACL = {"s3:x-amz-acl": "bucket-owner-full-control"}
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
NEW_MEMBER = "444444444444"  # an account that joined the organization after the last run
BUCKET_POLICY = policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN, config_delivery=True)
KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION, config_delivery=True)
RECORDER_POLICY = {
    "name": "TrailguardConfigDelivery",
    "policy": policies.config_recorder_delivery_policy(BUCKET, LOG_ARCHIVE, KEY_ARN),
}
GUARDRAILS = scp_levels(
    [
        ("TrailguardDenyTrailTampering", policies.scp_deny_trail_tampering(trail_arns=[TRAIL_ARN])),
        ("TrailguardProtectLogArchive", policies.scp_protect_log_archive(BUCKET, KEY_ARN)),
    ],
    ou="ou-root-security",
    account=LOG_ARCHIVE,
)


def config_service(account, org_id=ORG_ID):
    """AWS Config delivering for `account` (of organization `org_id`, or of none) as its service principal.

    AWS sets aws:SourceOrgID only when the source account belongs to an organization.
    """
    context = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": CONFIG,
        "aws:SourceArn": f"arn:aws:config:{REGION}:{account}:*",
        "aws:SourceAccount": account,
    }
    if org_id:
        context["aws:SourceOrgID"] = org_id
    return Principal(CONFIG, context, service=True)


def config_object(account):
    return f"{BUCKET_ARN}/AWSLogs/{account}/Config/{REGION}/2026/11/22/ConfigSnapshot/x.json.gz"


def to_bucket(principal, action, resource, context=None):
    return request(principal, action, resource, LOG_ARCHIVE, resource_policy=BUCKET_POLICY, context=context)


def to_key(principal, action, context=None):
    return request(principal, action, KEY_ARN, LOG_ARCHIVE, resource_policy=KEY_POLICY, context=context)


SERVICE_CASES = [
    Case(
        "Config of a member writes its own prefix",
        to_bucket(config_service(MEMBER_A), "s3:PutObject", config_object(MEMBER_A), ACL),
        ALLOWED,
        sid="TrailguardConfigWrite",
    ),
    Case(
        "Config of the management account writes its own prefix",
        to_bucket(config_service(MGMT), "s3:PutObject", config_object(MGMT), ACL),
        ALLOWED,
        sid="TrailguardConfigWrite",
    ),
    # The policy names the organization, not a list of accounts made at the last run.
    Case(
        "Config of an account that joined after the run writes its own prefix",
        to_bucket(config_service(NEW_MEMBER), "s3:PutObject", config_object(NEW_MEMBER), ACL),
        ALLOWED,
        sid="TrailguardConfigWrite",
    ),
    Case(
        "Config of a member writes another account's prefix",
        to_bucket(config_service(MEMBER_A), "s3:PutObject", config_object(MGMT), ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of a member writes without bucket-owner-full-control",
        to_bucket(config_service(MEMBER_A), "s3:PutObject", config_object(MEMBER_A), {"s3:x-amz-acl": "private"}),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of a member writes into the organization's CloudTrail prefix",
        to_bucket(
            config_service(MEMBER_A),
            "s3:PutObject",
            f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail/{REGION}/2026/11/22/x.json.gz",
            ACL,
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of a foreign account writes its own prefix",
        to_bucket(config_service(FOREIGN, FOREIGN_ORG_ID), "s3:PutObject", config_object(FOREIGN), ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of an account in no organization writes its own prefix",
        to_bucket(config_service(FOREIGN, org_id=None), "s3:PutObject", config_object(FOREIGN), ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of a member checks the bucket ACL",
        to_bucket(config_service(MEMBER_A), "s3:GetBucketAcl", BUCKET_ARN),
        ALLOWED,
        sid="TrailguardConfigAclCheck",
    ),
    Case(
        "Config of a member checks that the bucket exists",
        to_bucket(config_service(MEMBER_A), "s3:ListBucket", BUCKET_ARN),
        ALLOWED,
        sid="TrailguardConfigBucketExistenceCheck",
    ),
    Case(
        "Config of a foreign account checks the bucket ACL",
        to_bucket(config_service(FOREIGN, FOREIGN_ORG_ID), "s3:GetBucketAcl", BUCKET_ARN),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "Config of a member encrypts with the trail key",
        to_key(config_service(MEMBER_A), "kms:GenerateDataKey"),
        ALLOWED,
        sid="TrailguardConfigUseKey",
    ),
    Case(
        "Config of a member decrypts with the trail key (S3 Bucket Key)",
        to_key(config_service(MEMBER_A), "kms:Decrypt"),
        ALLOWED,
        sid="TrailguardConfigUseKey",
    ),
    Case(
        "Config of an account that joined after the run encrypts with the trail key",
        to_key(config_service(NEW_MEMBER), "kms:GenerateDataKey"),
        ALLOWED,
        sid="TrailguardConfigUseKey",
    ),
    Case(
        "Config of a foreign account encrypts with the trail key",
        to_key(config_service(FOREIGN, FOREIGN_ORG_ID), "kms:GenerateDataKey"),
        IMPLICIT,
        denied_by={"resource"},
    ),
]

RECORDER = role(LOG_ARCHIVE, "TrailguardConfigRecorder")


def as_recorder(item):
    """The request made by the log-archive recorder role: its inline policy only, under the guardrail SCPs."""
    item["simulation"]["identityPolicies"] = [RECORDER_POLICY]
    item["simulation"]["serviceControlPolicies"] = GUARDRAILS
    return item


RECORDER_CASES = [
    Case(
        "the log-archive recorder role writes its own prefix",
        as_recorder(to_bucket(RECORDER, "s3:PutObject", config_object(LOG_ARCHIVE), ACL)),
        ALLOWED,
        sid="TrailguardConfigDeliverToOwnPrefix",
    ),
    Case(
        "the log-archive recorder role writes a member's prefix",
        as_recorder(to_bucket(RECORDER, "s3:PutObject", config_object(MEMBER_A), ACL)),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "the log-archive recorder role writes without bucket-owner-full-control",
        as_recorder(to_bucket(RECORDER, "s3:PutObject", config_object(LOG_ARCHIVE), {"s3:x-amz-acl": "private"})),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "the log-archive recorder role checks the bucket ACL",
        as_recorder(to_bucket(RECORDER, "s3:GetBucketAcl", BUCKET_ARN)),
        ALLOWED,
        sid="TrailguardConfigCheckBucket",
    ),
    Case(
        "the log-archive recorder role reads a log object",
        as_recorder(to_bucket(RECORDER, "s3:GetObject", config_object(MEMBER_A))),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "the log-archive recorder role encrypts with the trail key through S3",
        as_recorder(to_key(RECORDER, "kms:GenerateDataKey", VIA_S3)),
        ALLOWED,
        sid="TrailguardConfigEncryptThroughS3",
    ),
    Case(
        "the log-archive recorder role decrypts with the trail key through S3 (S3 Bucket Key)",
        as_recorder(to_key(RECORDER, "kms:Decrypt", VIA_S3)),
        ALLOWED,
        sid="TrailguardConfigEncryptThroughS3",
    ),
    Case(
        "the log-archive recorder role uses the trail key directly",
        as_recorder(to_key(RECORDER, "kms:GenerateDataKey")),
        IMPLICIT,
        denied_by={"identity"},
    ),
]

CASES = SERVICE_CASES + RECORDER_CASES


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_config_policy_effect(case, verdicts):
    check(case, verdicts[case.id])
