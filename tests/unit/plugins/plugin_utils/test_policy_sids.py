"""The Sids the audit_bucket and kms_key roles promise are exactly the Sids of the policies they write.

The posture playbook checks the log bucket's and the key's policies for these Sids (each role's `promises` entry
point publishes them). They are read from the builders themselves: every switch combination is built here with
other values than the Sid functions use, and the two lists must be the same, in the same order.
"""

import inspect
import itertools

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.filter.policy_sids import FilterModule
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

ORG = "o-abc123def4"
MGMT = "444455556666"
AUDIT = "777788889999"
TRAIL = f"arn:aws-us-gov:cloudtrail:us-gov-west-1:{MGMT}:trail/acme-organization-trail"
BUCKET = "acme-cloudtrail"
LOG_GROUP = f"arn:aws-us-gov:logs:us-gov-west-1:{MGMT}:log-group:/aws/cloudtrail/acme-organization-trail:*"
BUCKET_SWITCHES = (
    "member_read",
    "deny_outside_organization",
    "deny_insecure_transport",
    "require_mfa_for_deletes",
    "config_delivery",
)


def sids(policy):
    found = [item["Sid"] for item in policy["Statement"]]
    assert len(found) == len(set(found)), f"duplicate Sids: {found}"
    return found


@pytest.mark.parametrize("values", list(itertools.product([True, False], repeat=len(BUCKET_SWITCHES))))
def test_the_bucket_promise_is_the_bucket_policy_for_each_switch_combination(values):
    switches = dict(zip(BUCKET_SWITCHES, values))
    written = policies.audit_bucket_policy(
        BUCKET,
        ORG,
        MGMT,
        TRAIL,
        key_prefix="logs",
        partition="aws-us-gov",
        exempt_principal_arns=[f"arn:aws-us-gov:iam::{AUDIT}:role/BreakGlass"],
        **switches,
    )
    assert policies.audit_bucket_policy_sids(BUCKET, **switches) == sids(written)


@pytest.mark.parametrize("log_group", [LOG_GROUP, "", None])
@pytest.mark.parametrize("config_delivery", [True, False])
def test_the_key_promise_is_the_key_policy_for_each_log_group_and_switch(log_group, config_delivery):
    written = policies.kms_key_policy(
        AUDIT,
        ORG,
        MGMT,
        TRAIL,
        "us-gov-west-1",
        partition="aws-us-gov",
        cloudwatch_log_group_arn=log_group,
        config_delivery=config_delivery,
    )
    assert policies.kms_key_policy_sids(log_group, config_delivery=config_delivery) == sids(written)


@pytest.mark.parametrize(
    "builder, promise",
    [
        (policies.audit_bucket_policy, policies.audit_bucket_policy_sids),
        (policies.kms_key_policy, policies.kms_key_policy_sids),
    ],
)
def test_every_switch_of_a_builder_that_changes_its_statements_is_a_parameter_of_its_promise(builder, promise):
    """A new switch on the builder that the promise does not take would make the promise wrong for one of its values:
    each builder parameter the promise lacks may change what the statements say, never which statements there are."""
    taken = set(inspect.signature(promise).parameters)
    others = [name for name in inspect.signature(builder).parameters if name not in taken]
    base = {
        policies.audit_bucket_policy: dict(
            bucket_name=BUCKET, organization_id=ORG, management_account_id=MGMT, trail_arn=TRAIL
        ),
        policies.kms_key_policy: dict(
            key_account_id=AUDIT,
            organization_id=ORG,
            management_account_id=MGMT,
            trail_arn=TRAIL,
            region="us-gov-west-1",
            cloudwatch_log_group_arn=LOG_GROUP,
        ),
    }[builder]
    changed = {
        "bucket_name": "other-bucket",
        "organization_id": "o-zzzzzzzzzz",
        "management_account_id": AUDIT,
        "trail_arn": TRAIL.replace("acme", "other"),
        "key_prefix": "logs/",
        "partition": "aws-cn",
        "exempt_principal_arns": [f"arn:aws:iam::{AUDIT}:role/BreakGlass", "arn:aws:iam::*:role/Automation"],
        "key_account_id": MGMT,
        "region": "eu-west-1",
    }
    assert set(others) <= set(changed), f"{builder.__name__} has a parameter this test does not vary: {others}"
    expected = sids(builder(**base))
    for name in others:
        assert sids(builder(**dict(base, **{name: changed[name]}))) == expected, name


def test_the_promises_are_the_filters_the_roles_call():
    filters = FilterModule().filters()
    assert filters["audit_bucket_policy_sids"] is policies.audit_bucket_policy_sids
    assert filters["kms_key_policy_sids"] is policies.kms_key_policy_sids


def test_the_promises_with_the_main_playbooks_settings():
    """With the main playbook's settings (every switch on, the trail's log group on the key), the promises hold every
    statement the roles write, listed here by name so that a renamed Sid shows in review."""
    bucket = policies.audit_bucket_policy_sids(BUCKET)
    assert bucket == [
        "TrailguardCloudTrailAclCheck",
        "TrailguardCloudTrailWrite",
        "TrailguardMemberListOwnPrefix",
        "TrailguardMemberReadOwnPrefix",
        "TrailguardDenyInsecureTransport",
        "TrailguardDenyOutsideOrganization",
        "TrailguardDenyDeletesWithoutMFA",
    ]
    key = policies.kms_key_policy_sids(LOG_GROUP)
    assert key == [
        "TrailguardKeyAdministration",
        "TrailguardCloudTrailEncryptLogs",
        "TrailguardCloudTrailDescribeKey",
        "TrailguardCloudTrailDecryptForBucketKey",
        "TrailguardOrganizationDecryptLogs",
        "TrailguardCloudWatchLogsUse",
    ]
