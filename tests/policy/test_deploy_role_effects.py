"""A narrow deploy principal (trailguard_deploy_role_name): who may touch the logs, and who may use the deploy role.

The log bucket's policy (policies.audit_bucket_policy) and the guardrail SCPs (scp_protect_log_archive with
scp_protect_roles, scp_deny_trail_tampering) are built from one list of exempt principals, as the main playbook
builds them in its three states:

- broad (the default): the role the playbook assumes in the log-archive account, OrganizationAccountAccessRole,
  is exempt, so any management-account principal that may assume it may delete logs without MFA;
- switching (the run that creates the deploy role): both roles are exempt;
- narrow (every run after): only the deploy role, beside break-glass.

Every principal here has AdministratorAccess (iam_simulation), so a denial comes from the bucket policy or an SCP.
The deploy role's trust policy (policies.deploy_role_trust) is checked on its own: only the named principals of the
management account may assume it, with MFA when asked. moto does not evaluate trust policies, so this is where
trust is proven.
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import EXPLICIT
from iam_simulation import IMPLICIT
from iam_simulation import KEY_ARN
from iam_simulation import LOG_ARCHIVE
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
from iam_simulation import user_with_access_key

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BROAD = "OrganizationAccountAccessRole"
DEPLOY = "TrailguardDeploy"
BROAD_ARN = f"arn:aws:iam::{LOG_ARCHIVE}:role/{BROAD}"
DEPLOY_ARN = f"arn:aws:iam::{LOG_ARCHIVE}:role/{DEPLOY}"
BREAK_GLASS_ARN = "arn:aws:iam::*:role/TrailguardBreakGlass"
RUNNER_ARN = f"arn:aws:iam::{MGMT}:role/TrailguardRunner"
OPERATOR_ARN = f"arn:aws:iam::{MGMT}:user/ops-alice"
KEY_ALIAS = "alias/trailguard"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{LOG_ARCHIVE}/CloudTrail/{REGION}/2026/11/22/trail.json.gz"
OTHER_ROLE_ARN = f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardSiemConsumer"
# The organization trail in every region, as the main playbook protects it.
PROTECTED_TRAILS = [TRAIL_ARN.replace(f":{REGION}:", ":*:")]

EXEMPT = {
    "broad": [BREAK_GLASS_ARN, BROAD_ARN],
    "switching": [BREAK_GLASS_ARN, BROAD_ARN, DEPLOY_ARN],
    "narrow": [BREAK_GLASS_ARN, DEPLOY_ARN],
}
# The deploy role is protected as soon as it is asked for (switching and narrow), as the playbook does.
PROTECTED_ROLES = {"broad": [], "switching": [DEPLOY_ARN], "narrow": [DEPLOY_ARN]}


def bucket_policy(state):
    return policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN, exempt_principal_arns=EXEMPT[state])


def log_archive_scps(state):
    exempt = EXEMPT[state]
    protect = policies.scp_protect_log_archive(BUCKET, KEY_ARN, key_alias=KEY_ALIAS, exempt_principal_arns=exempt)
    protect = policies.scp_protect_roles(protect, PROTECTED_ROLES[state], exempt_principal_arns=exempt)
    return scp_levels(
        [
            (
                "TrailguardDenyTrailTampering",
                policies.scp_deny_trail_tampering(exempt_principal_arns=exempt, trail_arns=PROTECTED_TRAILS),
            ),
            ("TrailguardProtectLogArchive", protect),
        ],
        ou="ou-root-security",
        account=LOG_ARCHIVE,
    )


KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION)


def in_log_archive(state, name, action, resource, mfa=False, bucket=True, scps=True):
    """`name`, a role of the log-archive account, does `action` (without MFA unless asked) in `state`."""
    if resource.startswith(BUCKET_ARN):
        resource_policy = bucket_policy(state) if bucket else None
    else:
        resource_policy = KEY_POLICY if resource == KEY_ARN else None
    return request(
        role(LOG_ARCHIVE, name, mfa=mfa),
        action,
        resource,
        LOG_ARCHIVE,
        resource_policy=resource_policy,
        scps=log_archive_scps(state) if scps else (),
    )


# The protected S3 actions that act on an object; the others act on the bucket (the simulator refuses a mismatch).
OBJECT_ACTIONS = {
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:RestoreObject",
}


def resource_of(action):
    return LOG_OBJECT if action in OBJECT_ACTIONS else BUCKET_ARN


def mfa_cases():
    """The bucket policy's MFA statement alone (no SCP): the broad role is denied without MFA once narrow."""
    cases = []
    for action in policies.MFA_PROTECTED_ACTIONS:
        resource = resource_of(action)
        cases += [
            Case(
                f"narrow: {BROAD} {action} without MFA (bucket policy)",
                in_log_archive("narrow", BROAD, action, resource, scps=False),
                EXPLICIT,
                denied_by={"resource"},
                sid="TrailguardDenyDeletesWithoutMFA",
            ),
            Case(
                f"narrow: {DEPLOY} {action} without MFA (bucket policy)",
                in_log_archive("narrow", DEPLOY, action, resource, scps=False),
                ALLOWED,
            ),
            # The gap the option closes: by default the broad role needs no MFA.
            Case(
                f"broad: {BROAD} {action} without MFA (bucket policy)",
                in_log_archive("broad", BROAD, action, resource, scps=False),
                ALLOWED,
            ),
            # The run that creates the deploy role: both may, so that run and the next one both succeed.
            Case(
                f"switching: {BROAD} {action} without MFA (bucket policy)",
                in_log_archive("switching", BROAD, action, resource, scps=False),
                ALLOWED,
            ),
            Case(
                f"switching: {DEPLOY} {action} without MFA (bucket policy)",
                in_log_archive("switching", DEPLOY, action, resource, scps=False),
                ALLOWED,
            ),
        ]
    return cases


def scp_cases():
    """The log-archive SCP alone (MFA present, no bucket policy): every protected bucket and key action."""
    cases = []
    targets = [
        (action, resource_of(action), "TrailguardProtectLogBucket") for action in policies.LOG_BUCKET_PROTECTED_ACTIONS
    ]
    targets += [(action, KEY_ARN, "TrailguardProtectLogKey") for action in policies.LOG_KEY_PROTECTED_ACTIONS]
    for action, resource, sid in targets:
        cases += [
            Case(
                f"narrow: {BROAD} {action} with MFA (SCP)",
                in_log_archive("narrow", BROAD, action, resource, mfa=True, bucket=False),
                EXPLICIT,
                denied_by={"scp"},
                sid=sid,
            ),
            Case(
                f"narrow: {DEPLOY} {action} (SCP)",
                in_log_archive("narrow", DEPLOY, action, resource, bucket=False),
                ALLOWED,
            ),
            Case(
                f"switching: {BROAD} {action} (SCP)",
                in_log_archive("switching", BROAD, action, resource, bucket=False),
                ALLOWED,
            ),
        ]
    return cases


BOTH_CASES = [
    # The bucket policy and the SCPs together, as in AWS.
    Case(
        f"narrow: {BROAD} deletes a log without MFA",
        in_log_archive("narrow", BROAD, "s3:DeleteObject", LOG_OBJECT),
        EXPLICIT,
        denied_by={"resource", "scp"},
    ),
    Case(
        f"narrow: {BROAD} replaces the bucket policy with MFA",
        in_log_archive("narrow", BROAD, "s3:PutBucketPolicy", BUCKET_ARN, mfa=True),
        EXPLICIT,
        denied_by={"scp"},
        sid="TrailguardProtectLogBucket",
    ),
    Case(
        f"narrow: {DEPLOY} replaces the bucket policy without MFA",
        in_log_archive("narrow", DEPLOY, "s3:PutBucketPolicy", BUCKET_ARN),
        ALLOWED,
    ),
    Case(
        f"narrow: {DEPLOY} deletes a log version without MFA",
        in_log_archive("narrow", DEPLOY, "s3:DeleteObjectVersion", LOG_OBJECT),
        ALLOWED,
    ),
    Case(
        f"narrow: {BROAD} still reads the logs",
        in_log_archive("narrow", BROAD, "s3:GetObject", LOG_OBJECT),
        ALLOWED,
    ),
    Case(
        f"narrow: {BROAD} still restores an archived log",
        in_log_archive("narrow", BROAD, "s3:RestoreObject", LOG_OBJECT),
        ALLOWED,
    ),
    Case(
        f"narrow: {BROAD} still stops a member's own trail",
        in_log_archive(
            "narrow", BROAD, "cloudtrail:StopLogging", f"arn:aws:cloudtrail:{REGION}:{LOG_ARCHIVE}:trail/team-trail"
        ),
        ALLOWED,
    ),
    Case(
        f"narrow: {BROAD} stops the organization trail",
        in_log_archive("narrow", BROAD, "cloudtrail:StopLogging", TRAIL_ARN),
        EXPLICIT,
        denied_by={"scp"},
        sid="TrailguardDenyCloudTrailTampering",
    ),
    Case(
        "narrow: break-glass deletes a log with MFA",
        in_log_archive("narrow", "TrailguardBreakGlass", "s3:DeleteObject", LOG_OBJECT, mfa=True),
        ALLOWED,
    ),
]


def protection_cases():
    """No one but the exempt principals may change the deploy role: not even the broad role, which administers IAM."""
    cases = []
    for action in policies.DEPLOY_ROLE_PROTECTED_ACTIONS:
        cases += [
            Case(
                f"narrow: {BROAD} {action} on the deploy role",
                in_log_archive("narrow", BROAD, action, DEPLOY_ARN),
                EXPLICIT,
                denied_by={"scp"},
                sid="TrailguardProtectDeployRole",
            ),
            Case(
                f"narrow: the deploy role {action} on itself",
                in_log_archive("narrow", DEPLOY, action, DEPLOY_ARN),
                ALLOWED,
            ),
            Case(
                f"narrow: break-glass {action} on the deploy role",
                in_log_archive("narrow", "TrailguardBreakGlass", action, DEPLOY_ARN),
                ALLOWED,
            ),
            # The run that creates the deploy role does so as the broad role.
            Case(
                f"switching: {BROAD} {action} on the deploy role",
                in_log_archive("switching", BROAD, action, DEPLOY_ARN),
                ALLOWED,
            ),
            Case(
                f"narrow: {BROAD} {action} on another role",
                in_log_archive("narrow", BROAD, action, OTHER_ROLE_ARN),
                ALLOWED,
            ),
        ]
    cases.append(
        Case(
            f"narrow: {BROAD} creates another role",
            in_log_archive("narrow", BROAD, "iam:CreateRole", f"arn:aws:iam::{LOG_ARCHIVE}:role/SomethingElse"),
            ALLOWED,
        )
    )
    return cases


def assume(principal, trust, context=None):
    """`principal` assumes the deploy role, whose trust policy is `trust` (a cross-account request)."""
    return request(principal, "sts:AssumeRole", DEPLOY_ARN, LOG_ARCHIVE, resource_policy=trust, context=context)


TRUST = policies.deploy_role_trust([RUNNER_ARN, OPERATOR_ARN])
TRUST_WITH_MFA = policies.deploy_role_trust([RUNNER_ARN, OPERATOR_ARN], require_mfa=True)
RUNNER = role(MGMT, "TrailguardRunner")
TRUST_CASES = [
    Case("the runner assumes the deploy role", assume(RUNNER, TRUST), ALLOWED, sid="TrailguardDeployAssumeRole"),
    Case(
        "a named IAM user with access keys assumes the deploy role",
        assume(user_with_access_key(MGMT, "ops-alice"), TRUST),
        ALLOWED,
        sid="TrailguardDeployAssumeRole",
    ),
    Case(
        "another administrator of the management account assumes the deploy role",
        assume(role(MGMT, "Admin"), TRUST),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "an unnamed IAM user of the management account assumes the deploy role",
        assume(user_with_access_key(MGMT, "ops-bob"), TRUST),
        IMPLICIT,
        denied_by={"resource"},
    ),
    # An administrator who reaches the log-archive account through the broad role gets no further: a role's trust
    # policy must name the caller even in the role's own account.
    Case(
        f"{BROAD} in the log-archive account assumes the deploy role",
        assume(role(LOG_ARCHIVE, BROAD), TRUST),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "a role of the same name in a member account assumes the deploy role",
        assume(role("111111111111", "TrailguardRunner"), TRUST),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "the runner with MFA assumes the MFA-only deploy role",
        assume(role(MGMT, "TrailguardRunner", mfa=True), TRUST_WITH_MFA),
        ALLOWED,
        sid="TrailguardDeployAssumeRole",
    ),
    Case(
        "the runner without MFA assumes the MFA-only deploy role",
        assume(RUNNER, TRUST_WITH_MFA),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "a named IAM user with long-term access keys (no MFA key) assumes the MFA-only deploy role",
        assume(user_with_access_key(MGMT, "ops-alice"), TRUST_WITH_MFA),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "another administrator with MFA assumes the MFA-only deploy role",
        assume(role(MGMT, "Admin", mfa=True), TRUST_WITH_MFA),
        IMPLICIT,
        denied_by={"resource"},
    ),
]

CASES = mfa_cases() + scp_cases() + BOTH_CASES + protection_cases() + TRUST_CASES


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_deploy_role_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_the_trust_policy_names_only_the_principals_and_no_account():
    statement = TRUST_WITH_MFA["Statement"][0]
    assert statement["Principal"] == {"AWS": sorted([RUNNER_ARN, OPERATOR_ARN])}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert "Condition" not in TRUST["Statement"][0] and "Resource" not in statement


def test_the_broad_state_leaves_the_scp_as_it_was():
    """With no deploy role the log-archive SCP is exactly scp_protect_log_archive's: nothing added."""
    plain = policies.scp_protect_log_archive(
        BUCKET, KEY_ARN, key_alias=KEY_ALIAS, exempt_principal_arns=EXEMPT["broad"]
    )
    assert policies.scp_protect_roles(plain, [], exempt_principal_arns=EXEMPT["broad"]) == plain
    protected = policies.scp_protect_roles(plain, [DEPLOY_ARN], exempt_principal_arns=EXEMPT["narrow"])
    assert protected["Statement"][:-1] == plain["Statement"] and len(plain["Statement"]) + 1 == len(
        protected["Statement"]
    )
