"""What the central log bucket's policy (policies.audit_bucket_policy) lets through, and what it stops."""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import EXPLICIT
from iam_simulation import FOREIGN
from iam_simulation import FOREIGN_ORG_ID
from iam_simulation import FOREIGN_TRAIL_ARN
from iam_simulation import IMPLICIT
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import MEMBER_B
from iam_simulation import MGMT
from iam_simulation import ORG_ID
from iam_simulation import TRAIL_ARN
from iam_simulation import Case
from iam_simulation import check
from iam_simulation import cloudtrail
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases
from iam_simulation import user_with_access_key

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BREAK_GLASS = f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardBreakGlass"
AUTOMATION = f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardAutomation"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_FILE = "CloudTrail/us-east-1/2026/11/22/trail.json.gz"
ACL = {"s3:x-amz-acl": "bucket-owner-full-control"}


def bucket_policy(**kwargs):
    args = dict(exempt_principal_arns=[BREAK_GLASS, AUTOMATION])
    args.update(kwargs)
    return policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN, **args)


POLICY = bucket_policy()
# A statement someone else added to the bucket, kept by merge_policy: anyone may read.
WILDCARD_ALLOW = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{BUCKET_ARN}/*",
        }
    ],
}


def log_object(*prefix):
    return f"{BUCKET_ARN}/AWSLogs/{'/'.join(prefix)}/{LOG_FILE}"


def to_bucket(principal, action, resource, policy=None, **kwargs):
    return request(principal, action, resource, LOG_ARCHIVE, resource_policy=policy or POLICY, **kwargs)


# Actions the bucket policy denies without MFA, with the resource each acts on.
MFA_ACTIONS = {
    "s3:DeleteObject": log_object(ORG_ID, MEMBER_A),
    "s3:DeleteObjectVersion": log_object(ORG_ID, MEMBER_A),
    "s3:PutLifecycleConfiguration": BUCKET_ARN,
    "s3:PutBucketVersioning": BUCKET_ARN,
    "s3:DeleteBucket": BUCKET_ARN,
    "s3:DeleteBucketPolicy": BUCKET_ARN,
    "s3:PutBucketPolicy": BUCKET_ARN,
}

CLOUDTRAIL_CASES = [
    Case(
        "cloudtrail writes organization logs",
        to_bucket(cloudtrail(), "s3:PutObject", log_object(ORG_ID, MEMBER_A), context=ACL),
        ALLOWED,
        sid="TrailguardCloudTrailWrite",
    ),
    Case(
        "cloudtrail writes management account logs",
        to_bucket(cloudtrail(), "s3:PutObject", log_object(MGMT), context=ACL),
        ALLOWED,
        sid="TrailguardCloudTrailWrite",
    ),
    Case(
        "cloudtrail write for a foreign trail (organization prefix)",
        to_bucket(cloudtrail(FOREIGN_TRAIL_ARN), "s3:PutObject", log_object(ORG_ID, MEMBER_A), context=ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail write for a foreign trail (management prefix)",
        to_bucket(cloudtrail(FOREIGN_TRAIL_ARN), "s3:PutObject", log_object(MGMT), context=ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail write without bucket-owner-full-control",
        to_bucket(cloudtrail(), "s3:PutObject", log_object(ORG_ID, MEMBER_A), context={"s3:x-amz-acl": "private"}),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail write outside AWSLogs",
        to_bucket(cloudtrail(), "s3:PutObject", f"{BUCKET_ARN}/elsewhere/{LOG_FILE}", context=ACL),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail reads the bucket ACL",
        to_bucket(cloudtrail(), "s3:GetBucketAcl", BUCKET_ARN),
        ALLOWED,
        sid="TrailguardCloudTrailAclCheck",
    ),
    Case(
        "cloudtrail reads the bucket ACL for a foreign trail",
        to_bucket(cloudtrail(FOREIGN_TRAIL_ARN), "s3:GetBucketAcl", BUCKET_ARN),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "cloudtrail write without TLS",
        to_bucket(cloudtrail(), "s3:PutObject", log_object(ORG_ID, MEMBER_A), context=ACL, tls=False),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyInsecureTransport",
    ),
]

MEMBER_CASES = [
    Case(
        "member reads its own prefix",
        to_bucket(role(MEMBER_A), "s3:GetObject", log_object(ORG_ID, MEMBER_A)),
        ALLOWED,
        sid="TrailguardMemberReadOwnPrefix",
    ),
    # Members read their own logs but do not restore archived ones: a restore is billed to the log-archive account
    # (retrieval and the temporary copy), and no condition key limits its tier or days. Investigators of the
    # log-archive account restore (test_scp_effects.py).
    Case(
        "member restores an archived log of its own prefix",
        to_bucket(role(MEMBER_A), "s3:RestoreObject", log_object(ORG_ID, MEMBER_A)),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member reads another account's prefix",
        to_bucket(role(MEMBER_A), "s3:GetObject", log_object(ORG_ID, MEMBER_B)),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member reads the management account's prefix",
        to_bucket(role(MEMBER_A), "s3:GetObject", log_object(MGMT)),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member lists its own prefix",
        to_bucket(role(MEMBER_A), "s3:ListBucket", BUCKET_ARN, context={"s3:prefix": f"AWSLogs/{ORG_ID}/{MEMBER_A}/"}),
        ALLOWED,
        sid="TrailguardMemberListOwnPrefix",
    ),
    Case(
        "member lists another account's prefix",
        to_bucket(role(MEMBER_A), "s3:ListBucket", BUCKET_ARN, context={"s3:prefix": f"AWSLogs/{ORG_ID}/{MEMBER_B}/"}),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member lists the whole organization prefix",
        to_bucket(role(MEMBER_A), "s3:ListBucket", BUCKET_ARN, context={"s3:prefix": f"AWSLogs/{ORG_ID}/"}),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member reads its own prefix without TLS",
        to_bucket(role(MEMBER_A), "s3:GetObject", log_object(ORG_ID, MEMBER_A), tls=False),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyInsecureTransport",
    ),
    Case(
        "member cannot read its prefix when member_read is off",
        to_bucket(
            role(MEMBER_A), "s3:GetObject", log_object(ORG_ID, MEMBER_A), policy=bucket_policy(member_read=False)
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
]

FOREIGN_CASES = [
    Case(
        "foreign principal reads through a wildcard allow",
        to_bucket(
            role(FOREIGN, org_id=FOREIGN_ORG_ID),
            "s3:GetObject",
            log_object(ORG_ID, MEMBER_A),
            policy=policies.merge_policy(WILDCARD_ALLOW, POLICY),
        ),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOutsideOrganization",
    ),
    # The control: without the organization deny the wildcard allow would let the foreign principal read.
    Case(
        "foreign principal reads through a wildcard allow when deny_outside_organization is off",
        to_bucket(
            role(FOREIGN, org_id=FOREIGN_ORG_ID),
            "s3:GetObject",
            log_object(ORG_ID, MEMBER_A),
            policy=policies.merge_policy(WILDCARD_ALLOW, bucket_policy(deny_outside_organization=False)),
        ),
        ALLOWED,
        sid="PublicRead",
    ),
    Case(
        "principal outside any organization reads through a wildcard allow",
        to_bucket(
            role(FOREIGN, org_id=None),
            "s3:GetObject",
            log_object(ORG_ID, MEMBER_A),
            policy=policies.merge_policy(WILDCARD_ALLOW, POLICY),
        ),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOutsideOrganization",
    ),
    Case(
        "foreign principal reads a prefix named after its own account",
        to_bucket(role(FOREIGN, org_id=FOREIGN_ORG_ID), "s3:GetObject", log_object(ORG_ID, FOREIGN)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOutsideOrganization",
    ),
    # The read grant itself is bound to the organization, not only the organization deny.
    Case(
        "foreign principal reads a prefix named after its own account when deny_outside_organization is off",
        to_bucket(
            role(FOREIGN, org_id=FOREIGN_ORG_ID),
            "s3:GetObject",
            log_object(ORG_ID, FOREIGN),
            policy=bucket_policy(deny_outside_organization=False),
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def mfa_cases():
    admin = dict(account=LOG_ARCHIVE, name="LogArchiveAdmin")
    cases = []
    for action, resource in MFA_ACTIONS.items():
        cases += [
            Case(
                f"{action} by the log-archive admin without MFA",
                to_bucket(role(**admin), action, resource),
                EXPLICIT,
                denied_by={"resource"},
                sid="TrailguardDenyDeletesWithoutMFA",
            ),
            Case(
                f"{action} by the log-archive admin with MFA",
                to_bucket(role(**admin, mfa=True), action, resource),
                ALLOWED,
            ),
            Case(
                f"{action} by the break-glass role without MFA",
                to_bucket(role(LOG_ARCHIVE, "TrailguardBreakGlass"), action, resource),
                ALLOWED,
            ),
        ]
    cases += [
        Case(
            "s3:DeleteObject with a long-term access key (no MFA key at all)",
            to_bucket(user_with_access_key(LOG_ARCHIVE), "s3:DeleteObject", MFA_ACTIONS["s3:DeleteObject"]),
            EXPLICIT,
            denied_by={"resource"},
            sid="TrailguardDenyDeletesWithoutMFA",
        ),
        Case(
            "s3:PutBucketPolicy by the automation role without MFA",
            to_bucket(role(LOG_ARCHIVE, "TrailguardAutomation"), "s3:PutBucketPolicy", BUCKET_ARN),
            ALLOWED,
        ),
        Case(
            "s3:DeleteObject without MFA when require_mfa_for_deletes is off",
            to_bucket(
                role(**admin),
                "s3:DeleteObject",
                MFA_ACTIONS["s3:DeleteObject"],
                policy=bucket_policy(require_mfa_for_deletes=False),
            ),
            ALLOWED,
        ),
        # CloudTrail never has MFA; its writes and ACL checks must not match the MFA statement.
        Case(
            "cloudtrail write is not an MFA-protected action",
            to_bucket(cloudtrail(), "s3:PutObject", log_object(ORG_ID, MEMBER_B), context=ACL),
            ALLOWED,
            sid="TrailguardCloudTrailWrite",
        ),
        Case(
            "cloudtrail ACL check is not an MFA-protected action",
            to_bucket(cloudtrail(), "s3:GetBucketAcl", BUCKET_ARN),
            ALLOWED,
            sid="TrailguardCloudTrailAclCheck",
        ),
    ]
    return cases


CASES = CLOUDTRAIL_CASES + MEMBER_CASES + FOREIGN_CASES + mfa_cases()


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_bucket_policy_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_mfa_statement_covers_the_tested_actions():
    """The MFA cases above test every action the MFA statement names, and it is in the policy under test."""
    mfa = next(s for s in POLICY["Statement"] if s["Sid"] == "TrailguardDenyDeletesWithoutMFA")
    assert sorted(mfa["Action"]) == sorted(MFA_ACTIONS)
