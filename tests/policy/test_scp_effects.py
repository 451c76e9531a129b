"""What the guardrail SCPs (policies.scp_deny_trail_tampering, scp_protect_log_archive) deny in member accounts.

Both SCPs are attached at the root, beside FullAWSAccess; every request is made
by an administrator in the account that owns the resource, so without the SCPs
it would be allowed, and a denial must be the SCP's explicit Deny.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import EXPLICIT
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
from iam_simulation import scp_levels

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

EXEMPT = ["arn:aws:iam::*:role/TrailguardBreakGlass", "arn:aws:iam::*:role/TrailguardAutomation"]
KEY_ALIAS = "alias/trailguard"
ALIAS_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:{KEY_ALIAS}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail/{REGION}/2026/11/22/trail.json.gz"
OTHER_BUCKET_ARN = f"arn:aws:s3:::workload-data-{MEMBER_A}"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{MEMBER_A}:key/6c1e2a7b-0d4f-4e3a-9b8c-7d6e5f4a3b2c"
MEMBER_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MEMBER_A}:trail/trailguard"
# The main playbook protects the organization trail, in every region, and leaves members' own trails alone.
PROTECTED_TRAILS = [TRAIL_ARN.replace(f":{REGION}:", ":*:")]

ROOT_SCPS = [
    (
        "TrailguardDenyTrailTampering",
        policies.scp_deny_trail_tampering(exempt_principal_arns=EXEMPT, trail_arns=PROTECTED_TRAILS),
    ),
    (
        "TrailguardProtectLogArchive",
        policies.scp_protect_log_archive(BUCKET, KEY_ARN, key_alias=KEY_ALIAS, exempt_principal_arns=EXEMPT),
    ),
]
MEMBER_SCPS = scp_levels(ROOT_SCPS, ou="ou-root-workloads", account=MEMBER_A)
LOG_ARCHIVE_SCPS = scp_levels(ROOT_SCPS, ou="ou-root-security", account=LOG_ARCHIVE)
BUCKET_POLICY = policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN)
KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION)
# The default key policy AWS gives a key created without one.
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MEMBER_A}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}

# The resource each protected log-bucket action acts on (the bucket unless listed here).
OBJECT_ACTIONS = {
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
}


# Denies the SCP must never lose, simulated even if the policy's list drops them: Requester Pays stops CloudTrail's
# delivery, a removed notification cuts the SIEM feed, retention changes weaken GOVERNANCE-mode Object Lock.
REQUIRED_BUCKET_DENIES = {
    "s3:PutBucketRequestPayment",
    "s3:PutBucketNotification",
    "s3:PutObjectRetention",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketCORS",
    "s3:PutAnalyticsConfiguration",
    "s3:PutIntelligentTieringConfiguration",
    "s3:PutAccelerateConfiguration",
}


def protected_resource(action):
    return LOG_OBJECT if action in OBJECT_ACTIONS else BUCKET_ARN


def in_member(action, resource, principal=None, **kwargs):
    return request(principal or role(MEMBER_A), action, resource, MEMBER_A, scps=MEMBER_SCPS, **kwargs)


def in_log_archive(action, resource, principal=None, **kwargs):
    # MFA is present, so the bucket policy's MFA deny does not apply and only the SCP can deny.
    principal = principal or role(LOG_ARCHIVE, "LogArchiveAdmin", mfa=True)
    return request(principal, action, resource, LOG_ARCHIVE, scps=LOG_ARCHIVE_SCPS, **kwargs)


# An investigator of the log-archive account: reads and restores the logs, nothing else, and has no MFA session.
LOG_READER = role(LOG_ARCHIVE, "LogReader")
LOG_READER_POLICY = {
    "name": "ReadCloudTrailLogs",
    "policy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadAndRestoreLogs",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:RestoreObject"],
                "Resource": f"{BUCKET_ARN}/*",
            }
        ],
    },
}


def by_log_reader(action, resource):
    item = in_log_archive(action, resource, principal=LOG_READER, resource_policy=BUCKET_POLICY)
    item["simulation"]["identityPolicies"] = [LOG_READER_POLICY]
    return item


def tampering_cases():
    cases = []
    for action in policies.TRAIL_TAMPERING_ACTIONS:
        cases += [
            Case(
                f"{action} on the organization trail from a member account",
                in_member(action, TRAIL_ARN),
                EXPLICIT,
                denied_by={"scp"},
                sid="TrailguardDenyCloudTrailTampering",
            ),
            Case(
                f"{action} on the organization trail's copy in another region",
                in_member(action, TRAIL_ARN.replace(f":{REGION}:", ":eu-west-1:")),
                EXPLICIT,
                denied_by={"scp"},
                sid="TrailguardDenyCloudTrailTampering",
            ),
            Case(
                f"{action} on the organization trail by the break-glass role",
                in_member(action, TRAIL_ARN, principal=role(MEMBER_A, "TrailguardBreakGlass")),
                ALLOWED,
            ),
            # A member's own (legacy) trail stays the member's: the legacy-trail clean-up needs that.
            Case(f"{action} on the member's own trail", in_member(action, MEMBER_TRAIL_ARN), ALLOWED),
        ]
    return cases


def log_archive_cases():
    cases = []
    for action in sorted(set(policies.LOG_BUCKET_PROTECTED_ACTIONS) | REQUIRED_BUCKET_DENIES):
        resource = protected_resource(action)
        cases += [
            Case(
                f"{action} in the log-archive account",
                in_log_archive(action, resource, resource_policy=BUCKET_POLICY),
                EXPLICIT,
                denied_by={"scp"},
                sid="TrailguardProtectLogBucket",
            ),
            Case(
                f"{action} on the log bucket by the break-glass role",
                in_log_archive(
                    action,
                    resource,
                    principal=role(LOG_ARCHIVE, "TrailguardBreakGlass", mfa=True),
                    resource_policy=BUCKET_POLICY,
                ),
                ALLOWED,
            ),
        ]
    for action in policies.LOG_KEY_PROTECTED_ACTIONS:
        cases.append(
            Case(
                f"{action} on the trail key",
                in_log_archive(action, KEY_ARN, resource_policy=KEY_POLICY),
                EXPLICIT,
                denied_by={"scp"},
                sid="TrailguardProtectLogKey",
            )
        )
    cases += [
        Case(
            "kms:DeleteAlias on the trail key's alias",
            in_log_archive("kms:DeleteAlias", ALIAS_ARN),
            EXPLICIT,
            denied_by={"scp"},
            sid="TrailguardProtectLogKey",
        ),
        Case(
            "s3:PutAccountPublicAccessBlock in the log-archive account",
            in_log_archive("s3:PutAccountPublicAccessBlock", "*"),
            EXPLICIT,
            denied_by={"scp"},
            sid="TrailguardProtectLogArchivePublicAccessBlock",
        ),
        Case(
            "s3:PutAccountPublicAccessBlock in the log-archive account by the break-glass role",
            in_log_archive("s3:PutAccountPublicAccessBlock", "*", principal=role(LOG_ARCHIVE, "TrailguardBreakGlass")),
            ALLOWED,
        ),
        # The SIEM kit sets the log bucket's notification with the role the playbook assumes there, which is exempt.
        Case(
            "s3:PutBucketNotification on the log bucket by the automation role",
            in_log_archive(
                "s3:PutBucketNotification",
                BUCKET_ARN,
                principal=role(LOG_ARCHIVE, "TrailguardAutomation"),
                resource_policy=BUCKET_POLICY,
            ),
            ALLOWED,
        ),
        # Restoring a log that lifecycle moved to Glacier is investigation, digest validation or a SIEM backfill.
        Case(
            "s3:RestoreObject on an archived log by a log reader of the log-archive account",
            by_log_reader("s3:RestoreObject", LOG_OBJECT),
            ALLOWED,
            sid="ReadAndRestoreLogs",
        ),
        Case(
            "s3:GetObject on the log bucket by a log reader of the log-archive account",
            by_log_reader("s3:GetObject", LOG_OBJECT),
            ALLOWED,
            sid="ReadAndRestoreLogs",
        ),
        Case(
            "s3:RestoreObject on an archived log by the log-archive admin without MFA",
            in_log_archive(
                "s3:RestoreObject",
                LOG_OBJECT,
                principal=role(LOG_ARCHIVE, "LogArchiveAdmin"),
                resource_policy=BUCKET_POLICY,
            ),
            ALLOWED,
        ),
        Case(
            "kms:ScheduleKeyDeletion on the trail key by the automation role",
            in_log_archive(
                "kms:ScheduleKeyDeletion",
                KEY_ARN,
                principal=role(LOG_ARCHIVE, "TrailguardAutomation"),
                resource_policy=KEY_POLICY,
            ),
            ALLOWED,
        ),
    ]
    return cases


ORDINARY_CASES = [
    Case("s3:PutObject to another bucket", in_member("s3:PutObject", f"{OTHER_BUCKET_ARN}/data.csv"), ALLOWED),
    Case("s3:DeleteObject in another bucket", in_member("s3:DeleteObject", f"{OTHER_BUCKET_ARN}/data.csv"), ALLOWED),
    Case("s3:PutBucketPolicy on another bucket", in_member("s3:PutBucketPolicy", OTHER_BUCKET_ARN), ALLOWED),
    Case(
        "ec2:RunInstances",
        in_member("ec2:RunInstances", f"arn:aws:ec2:{REGION}:{MEMBER_A}:instance/i-0123456789abcdef0"),
        ALLOWED,
    ),
    Case("cloudtrail:LookupEvents", in_member("cloudtrail:LookupEvents", "*"), ALLOWED),
    Case(
        "s3:PutAccountPublicAccessBlock in a member account",
        in_member("s3:PutAccountPublicAccessBlock", "*"),
        ALLOWED,
    ),
    Case(
        "cloudtrail:CreateTrail",
        in_member("cloudtrail:CreateTrail", f"arn:aws:cloudtrail:{REGION}:{MEMBER_A}:trail/team-trail"),
        ALLOWED,
    ),
    Case("cloudtrail:StartLogging", in_member("cloudtrail:StartLogging", MEMBER_TRAIL_ARN), ALLOWED),
    Case(
        "kms:Decrypt on another key",
        in_member("kms:Decrypt", OTHER_KEY_ARN, resource_policy=DEFAULT_KEY_POLICY),
        ALLOWED,
    ),
    Case(
        "kms:ScheduleKeyDeletion on another key",
        in_member("kms:ScheduleKeyDeletion", OTHER_KEY_ARN, resource_policy=DEFAULT_KEY_POLICY),
        ALLOWED,
    ),
    Case(
        "s3:GetObject on the log bucket by the log-archive admin",
        in_log_archive("s3:GetObject", LOG_OBJECT, resource_policy=BUCKET_POLICY),
        ALLOWED,
    ),
]

CASES = tampering_cases() + log_archive_cases() + ORDINARY_CASES


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_scp_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_scp_denials_are_same_account(verdicts):
    """Every SCP case is same-account, so a denial is the SCP's and never the implicit cross-account deny."""
    for case in CASES:
        if "error" not in verdicts[case.id]:  # reported by test_scp_effect
            assert verdicts[case.id]["sameAccount"], case.id
