"""What the trail key's policy (policies.kms_key_policy) lets through, and what it stops.

Conditions on the encryption context are evaluated by the driver's unsafe
engine (see tools/iam_simulate/README.md); the "engine" test below pins which
cases depend on that workaround.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import FOREIGN
from iam_simulation import FOREIGN_ORG_ID
from iam_simulation import FOREIGN_TRAIL_ARN
from iam_simulation import IMPLICIT
from iam_simulation import KEY_ARN
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import MGMT
from iam_simulation import ORG_ID
from iam_simulation import REGION
from iam_simulation import TRAIL_ARN
from iam_simulation import Case
from iam_simulation import aws_service
from iam_simulation import check
from iam_simulation import cloudtrail
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{MGMT}:log-group:trailguard"
OTHER_LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{MGMT}:log-group:other"
POLICY = policies.kms_key_policy(
    LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION, cloudwatch_log_group_arn=f"{LOG_GROUP_ARN}:*"
)
TRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ARN}
FOREIGN_TRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": FOREIGN_TRAIL_ARN}
LOGS = f"logs.{REGION}.amazonaws.com"
OTHER_MGMT_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/another-trail"


def to_key(principal, action, context=None):
    return request(principal, action, KEY_ARN, LOG_ARCHIVE, resource_policy=POLICY, context=context)


CASES = [
    Case(
        "cloudtrail generates a data key for the trail",
        to_key(cloudtrail(), "kms:GenerateDataKey", TRAIL_CONTEXT),
        ALLOWED,
    ),
    Case(
        "cloudtrail generates a data key with a foreign trail's context",
        to_key(cloudtrail(), "kms:GenerateDataKey", FOREIGN_TRAIL_CONTEXT),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail generates a data key for a foreign trail (SourceArn)",
        to_key(cloudtrail(FOREIGN_TRAIL_ARN), "kms:GenerateDataKey", TRAIL_CONTEXT),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail generates a data key without encryption context",
        to_key(cloudtrail(), "kms:GenerateDataKey"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail describes the key",
        to_key(cloudtrail(), "kms:DescribeKey"),
        ALLOWED,
        sid="TrailguardCloudTrailDescribeKey",
    ),
    Case(
        "cloudtrail describes the key for a foreign trail",
        to_key(cloudtrail(FOREIGN_TRAIL_ARN), "kms:DescribeKey"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    # CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": with an S3 Bucket Key on the bucket,
    # CreateTrail and UpdateTrail need kms:Decrypt for CloudTrail; without it they fail with
    # InsufficientEncryptionPolicyException. Only for our trail (aws:SourceArn).
    Case(
        "cloudtrail decrypts for the trail (S3 Bucket Key)",
        to_key(cloudtrail(), "kms:Decrypt"),
        ALLOWED,
        sid="TrailguardCloudTrailDecryptForBucketKey",
    ),
    Case(
        "cloudtrail decrypts for the trail with the trail's context",
        to_key(cloudtrail(), "kms:Decrypt", TRAIL_CONTEXT),
        ALLOWED,
    ),
    Case(
        "cloudtrail decrypts for a trail in another account",
        to_key(cloudtrail(FOREIGN_TRAIL_ARN), "kms:Decrypt"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail decrypts for another trail of the management account",
        to_key(cloudtrail(OTHER_MGMT_TRAIL_ARN), "kms:Decrypt"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case("member decrypts CloudTrail logs", to_key(role(MEMBER_A), "kms:Decrypt", TRAIL_CONTEXT), ALLOWED),
    Case(
        "member decrypts without the CloudTrail context",
        to_key(role(MEMBER_A), "kms:Decrypt"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member decrypts a foreign trail's logs",
        to_key(role(MEMBER_A), "kms:Decrypt", FOREIGN_TRAIL_CONTEXT),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member cannot generate data keys with the CloudTrail context",
        to_key(role(MEMBER_A), "kms:GenerateDataKey", TRAIL_CONTEXT),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "outside principal decrypts CloudTrail logs",
        to_key(role(FOREIGN, org_id=FOREIGN_ORG_ID), "kms:Decrypt", TRAIL_CONTEXT),
        IMPLICIT,
        denied_by={"resource"},
    ),
    # The key account's own IAM policies administer the key (the KeyAdministration statement delegates to IAM).
    Case(
        "key account admin decrypts through its IAM policy",
        to_key(role(LOG_ARCHIVE), "kms:Decrypt"),
        ALLOWED,
        sid="TrailguardKeyAdministration",
    ),
    Case(
        "cloudwatch logs encrypts for the trail's log group",
        to_key(aws_service(LOGS), "kms:GenerateDataKey", {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN}),
        ALLOWED,
    ),
    Case(
        "cloudwatch logs encrypts for another log group",
        to_key(aws_service(LOGS), "kms:GenerateDataKey", {"kms:EncryptionContext:aws:logs:arn": OTHER_LOG_GROUP_ARN}),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_kms_key_policy_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_encryption_context_cases_use_the_unsafe_engine(verdicts):
    """Exactly the cases that carry an encryption context need the workaround, and it kept their keys."""
    for case in CASES:
        result = verdicts[case.id]
        context = case.item["simulation"]["request"]["contextVariables"]
        keys = sorted(key for key in context if key.startswith("kms:EncryptionContext:"))
        assert result["recoveredContextKeys"] == keys, case.id
        assert result["engine"] == ("unsafe" if keys else "strict"), case.id
