# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every IAM policy document Trailguard writes, built from data.

The roles call these through the filters in plugins/filter/policies.py; the
unit tests assert their statements and tests/policy proves their effects with
an IAM policy simulator. Each statement Trailguard owns has a Sid starting with
"Trailguard", which is how `merge_policy` tells ours from a user's.

Confused-deputy conditions (aws:SourceArn / aws:SourceAccount) are on every
statement that grants a service principal access where AWS supports them.
"""

import copy
import json

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import CLOUDTRAIL_SERVICE_PRINCIPAL

SID_PREFIX = "Trailguard"
POLICY_VERSION = "2012-10-17"
S3_LOGGING_SERVICE_PRINCIPAL = "logging.s3.amazonaws.com"

# CloudTrail actions that would blind or redirect a trail.
TRAIL_TAMPERING_ACTIONS = [
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:RemoveTags",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
]

# S3 actions that change or delete the log bucket or its objects, or cut what reads them:
# - Requester Pays (PutBucketRequestPayment) stops CloudTrail's delivery (CloudTrail User Guide, "Amazon S3
#   bucket policy for CloudTrail": the bucket "cannot be configured as a Requester Pays bucket");
# - removing the notification (PutBucketNotification) silently cuts the SIEM feed;
# - PutObjectRetention and BypassGovernanceRetention shorten or skip GOVERNANCE-mode Object Lock.
# Not s3:DeleteBucketOwnershipControls (not an IAM action: s3:PutBucketOwnershipControls covers it),
# s3:DeleteJobTagging (acts on Batch jobs, not buckets), s3:PutAccountPublicAccessBlock (an account-level
# action, denied in its own statement below), nor s3:RestoreObject: restoring a log that lifecycle moved
# to Glacier only makes a temporary readable copy, which investigation and digest validation need.
LOG_BUCKET_PROTECTED_ACTIONS = [
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:PutAccelerateConfiguration",
    "s3:PutAnalyticsConfiguration",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketRequestPayment",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutBucketWebsite",
    "s3:PutEncryptionConfiguration",
    "s3:PutIntelligentTieringConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:PutReplicationConfiguration",
]

# KMS actions that would make the trail's logs unreadable or unwritable.
LOG_KEY_PROTECTED_ACTIONS = [
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:UpdateAlias",
]

# Deletes and retention changes on the log bucket that need MFA.
MFA_PROTECTED_ACTIONS = [
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
]


def policy_document(statements):
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def statement(sid, effect, actions, resources, principal=None, conditions=None):
    """One statement; `principal` is a dict such as {"Service": ...} or "*"."""
    result = {"Sid": f"{SID_PREFIX}{sid}", "Effect": effect}
    if principal is not None:
        result["Principal"] = principal
    result["Action"] = actions if isinstance(actions, str) or len(actions) != 1 else actions[0]
    result["Resource"] = resources if isinstance(resources, str) or len(resources) != 1 else resources[0]
    if conditions:
        result["Condition"] = conditions
    return result


def _deny_insecure_transport(resources):
    """Deny every S3 request made without TLS (aws:SecureTransport false)."""
    return statement(
        "DenyInsecureTransport",
        "Deny",
        ["s3:*"],
        resources,
        principal="*",
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def _exemption(exempt_principal_arns):
    """A condition block that leaves the listed (break-glass, automation) principals out of a Deny."""
    arns = sorted(set(exempt_principal_arns or []))
    return {"ArnNotLike": {"aws:PrincipalArn": arns}} if arns else {}


def _log_prefix(key_prefix):
    key_prefix = (key_prefix or "").strip("/")
    return f"{key_prefix}/AWSLogs" if key_prefix else "AWSLogs"


def bucket_arn(bucket_name, partition="aws"):
    return f"arn:{partition}:s3:::{bucket_name}"


def trail_arn(trail_name, region, account_id, partition="aws"):
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def audit_bucket_policy(
    bucket_name,
    organization_id,
    management_account_id,
    trail_arn,  # pylint: disable=redefined-outer-name
    key_prefix="",
    partition="aws",
    member_read=True,
    deny_outside_organization=True,
    deny_insecure_transport=True,
    require_mfa_for_deletes=True,
    exempt_principal_arns=(),
    config_delivery=False,
):
    """The central log bucket's policy.

    CloudTrail may read the ACL and write to AWSLogs/<mgmt-id>/ (the CreateTrail
    pre-check) and AWSLogs/<org-id>/ (the organization's logs), only for the one
    trail (aws:SourceArn). Members may list and read only their own account's
    prefix. Requests without TLS, from outside the organization (other than AWS
    services), and MFA-less deletes or retention changes are denied. With
    `config_delivery`, AWS Config of any account of the organization may deliver
    under AWSLogs/<account>/Config/ (config_bucket_statements). No statement
    lists accounts, so the policy's size does not grow with the organization.
    """
    bucket = bucket_arn(bucket_name, partition)
    objects = f"{bucket}/*"
    logs = f"{bucket}/{_log_prefix(key_prefix)}"
    from_trail = {"aws:SourceArn": trail_arn}
    statements = [
        statement(
            "CloudTrailAclCheck",
            "Allow",
            ["s3:GetBucketAcl"],
            [bucket],
            principal={"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            conditions={"StringEquals": from_trail},
        ),
        statement(
            "CloudTrailWrite",
            "Allow",
            ["s3:PutObject"],
            [f"{logs}/{management_account_id}/*", f"{logs}/{organization_id}/*"],
            principal={"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            conditions={"StringEquals": dict(from_trail, **{"s3:x-amz-acl": "bucket-owner-full-control"})},
        ),
    ]
    if member_read:
        own_prefix = f"{_log_prefix(key_prefix)}/{organization_id}/${{aws:PrincipalAccount}}/*"
        in_org = {"aws:PrincipalOrgID": organization_id}
        statements += [
            statement(
                "MemberListOwnPrefix",
                "Allow",
                ["s3:ListBucket"],
                [bucket],
                principal={"AWS": "*"},
                conditions={"StringEquals": in_org, "StringLike": {"s3:prefix": own_prefix}},
            ),
            statement(
                "MemberReadOwnPrefix",
                "Allow",
                ["s3:GetObject"],
                [f"{bucket}/{own_prefix}"],
                principal={"AWS": "*"},
                conditions={"StringEquals": in_org},
            ),
        ]
    if deny_insecure_transport:
        statements.append(_deny_insecure_transport([bucket, objects]))
    if deny_outside_organization:
        # AWS services (CloudTrail itself) carry no PrincipalOrgID, hence the service exemption.
        statements.append(
            statement(
                "DenyOutsideOrganization",
                "Deny",
                ["s3:*"],
                [bucket, objects],
                principal="*",
                conditions={
                    "StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization_id},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            )
        )
    if require_mfa_for_deletes:
        # S3 lifecycle expiry is done by S3 itself, not by a request, so no bucket policy applies to it.
        conditions = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        conditions.update(_exemption(exempt_principal_arns))
        statements.append(
            statement(
                "DenyDeletesWithoutMFA",
                "Deny",
                MFA_PROTECTED_ACTIONS,
                [bucket, objects],
                principal="*",
                conditions=conditions,
            )
        )
    if config_delivery:
        statements += config_bucket_statements(organization_id, bucket_name, key_prefix, partition)
    return policy_document(statements)


def access_log_bucket_policy(
    bucket_name, log_bucket_name, account_id, prefix=None, partition="aws", deny_insecure_transport=True
):
    """The access-log bucket's policy.

    S3 server access logging (logging.s3.amazonaws.com) may write only the log bucket's access logs, under
    `prefix` (<log bucket name>/ by default), and only on behalf of the log bucket (aws:SourceArn) in this account
    (aws:SourceAccount): the confused-deputy conditions of the S3 User Guide, "Enabling Amazon S3 server access
    logging" (grant permissions to the logging service principal by using a bucket policy).
    Requests without TLS are denied, as on the log bucket.
    """
    bucket = bucket_arn(bucket_name, partition)
    prefix = f"{log_bucket_name}/" if prefix is None else prefix
    statements = [
        statement(
            "S3ServerAccessLogs",
            "Allow",
            ["s3:PutObject"],
            [f"{bucket}/{prefix}*"],
            principal={"Service": S3_LOGGING_SERVICE_PRINCIPAL},
            conditions={
                "ArnLike": {"aws:SourceArn": bucket_arn(log_bucket_name, partition)},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        )
    ]
    if deny_insecure_transport:
        statements.append(_deny_insecure_transport([bucket, f"{bucket}/*"]))
    return policy_document(statements)


def kms_key_policy(
    key_account_id,
    organization_id,
    management_account_id,
    trail_arn,  # pylint: disable=redefined-outer-name
    region,
    partition="aws",
    cloudwatch_log_group_arn=None,
    config_delivery=False,
):
    """The trail key's policy.

    The key account's IAM policies administer the key. CloudTrail may generate
    data keys only for the management account's trails (encryption context) and
    only on behalf of the one trail (aws:SourceArn), and may decrypt for that
    trail, which it needs because the log bucket uses an S3 Bucket Key. Principals
    in the organization may decrypt CloudTrail logs. CloudWatch Logs may use the
    key for the one log group, when that group is encrypted with it. With
    `config_delivery`, AWS Config of any account of the organization may use it
    to deliver to the log bucket (config_kms_key_statements).
    """
    management_trails = f"arn:{partition}:cloudtrail:*:{management_account_id}:trail/*"
    trail_context = {"kms:EncryptionContext:aws:cloudtrail:arn": management_trails}
    statements = [
        statement(
            "KeyAdministration",
            "Allow",
            ["kms:*"],
            "*",
            principal={"AWS": f"arn:{partition}:iam::{key_account_id}:root"},
        ),
        statement(
            "CloudTrailEncryptLogs",
            "Allow",
            ["kms:GenerateDataKey*"],
            "*",
            principal={"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            conditions={"StringLike": trail_context, "StringEquals": {"aws:SourceArn": trail_arn}},
        ),
        statement(
            "CloudTrailDescribeKey",
            "Allow",
            ["kms:DescribeKey"],
            "*",
            principal={"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
        # CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": with an S3 Bucket Key on the
        # bucket, CreateTrail and UpdateTrail need kms:Decrypt ("Allow CloudTrail to decrypt a trail"), or they
        # fail with InsufficientEncryptionPolicyException. Scoped to the one trail, as the guide advises.
        statement(
            "CloudTrailDecryptForBucketKey",
            "Allow",
            ["kms:Decrypt"],
            "*",
            principal={"Service": CLOUDTRAIL_SERVICE_PRINCIPAL},
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
        statement(
            "OrganizationDecryptLogs",
            "Allow",
            ["kms:Decrypt"],
            "*",
            principal={"AWS": "*"},
            conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id}, "StringLike": trail_context},
        ),
    ]
    if cloudwatch_log_group_arn:
        log_group = (
            cloudwatch_log_group_arn[:-2] if cloudwatch_log_group_arn.endswith(":*") else cloudwatch_log_group_arn
        )
        statements.append(
            statement(
                "CloudWatchLogsUse",
                "Allow",
                ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                "*",
                principal={"Service": f"logs.{region}.amazonaws.com"},
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group}},
            )
        )
    if config_delivery:
        statements += config_kms_key_statements(organization_id)
    return policy_document(statements)


# ---------------------------------------------------------------- the Sids the roles promise
# trailguard.cloudtrail.posture checks that the log bucket's and the key's policies still carry the statements the
# roles wrote. The Sids are read from the policy the builder makes with the same switches, so they cannot drift from
# it. These example values change what the statements say, never which statements there are.
_SIDS_EXAMPLE_ACCOUNT = "111111111111"
_SIDS_EXAMPLE_ORGANIZATION = "o-exampleorgid"
_SIDS_EXAMPLE_TRAIL = f"arn:aws:cloudtrail:us-east-1:{_SIDS_EXAMPLE_ACCOUNT}:trail/example"


def _sids(policy):
    return [item["Sid"] for item in policy["Statement"]]


def audit_bucket_policy_sids(
    bucket_name,
    member_read=True,
    deny_outside_organization=True,
    deny_insecure_transport=True,
    require_mfa_for_deletes=True,
    config_delivery=False,
):
    """The Sids of the statements audit_bucket_policy writes on `bucket_name` with these switches, in its order."""
    return _sids(
        audit_bucket_policy(
            bucket_name,
            _SIDS_EXAMPLE_ORGANIZATION,
            _SIDS_EXAMPLE_ACCOUNT,
            _SIDS_EXAMPLE_TRAIL,
            member_read=member_read,
            deny_outside_organization=deny_outside_organization,
            deny_insecure_transport=deny_insecure_transport,
            require_mfa_for_deletes=require_mfa_for_deletes,
            config_delivery=config_delivery,
        )
    )


def kms_key_policy_sids(cloudwatch_log_group_arn=None, config_delivery=False):
    """The Sids of the statements kms_key_policy writes with this log group (empty: none) and switch, in its order."""
    return _sids(
        kms_key_policy(
            _SIDS_EXAMPLE_ACCOUNT,
            _SIDS_EXAMPLE_ORGANIZATION,
            _SIDS_EXAMPLE_ACCOUNT,
            _SIDS_EXAMPLE_TRAIL,
            "us-east-1",
            cloudwatch_log_group_arn=cloudwatch_log_group_arn or None,
            config_delivery=config_delivery,
        )
    )


def scp_deny_trail_tampering(exempt_principal_arns=(), trail_arns=()):
    """SCP: no one in a member account may stop, delete or re-point the protected trails.

    trail_arns: the trails protected, for example the organization trail's ARN with its region as `*`
    (its copies in every region). Empty means every trail, members' own trails included; the main
    playbook protects the organization trail only, so that member accounts' own (legacy) trails can
    still be stopped or deleted when the playbook is asked to.
    """
    return policy_document(
        [
            statement(
                "DenyCloudTrailTampering",
                "Deny",
                TRAIL_TAMPERING_ACTIONS,
                list(trail_arns) or "*",
                conditions=_exemption(exempt_principal_arns),
            )
        ]
    )


def scp_protect_log_archive(bucket_name, key_arn, key_alias=None, exempt_principal_arns=(), partition="aws"):
    """SCP: the log bucket, its objects and the trail key cannot be changed or deleted."""
    bucket = bucket_arn(bucket_name, partition)
    key_resources = [key_arn]
    if key_alias:
        arn_prefix = key_arn.split(":key/")[0]
        key_resources.append(f"{arn_prefix}:{key_alias if key_alias.startswith('alias/') else 'alias/' + key_alias}")
    exemption = _exemption(exempt_principal_arns)
    log_archive_account = key_arn.split(":")[4]
    # Account-level Block Public Access has no bucket ARN: scope it to principals of the log-archive account.
    account_public_access = {"StringEquals": {"aws:PrincipalAccount": log_archive_account}}
    account_public_access.update(exemption)
    return policy_document(
        [
            statement(
                "ProtectLogBucket", "Deny", LOG_BUCKET_PROTECTED_ACTIONS, [bucket, f"{bucket}/*"], conditions=exemption
            ),
            statement("ProtectLogKey", "Deny", LOG_KEY_PROTECTED_ACTIONS, key_resources, conditions=exemption),
            statement(
                "ProtectLogArchivePublicAccessBlock",
                "Deny",
                ["s3:PutAccountPublicAccessBlock"],
                "*",
                conditions=account_public_access,
            ),
        ]
    )


def service_role_trust(service, source_account=None, source_arn=None):
    """Trust policy for a role that the AWS `service` assumes.

    Pass source_account/source_arn for services that support them (confused
    deputy). The CloudTrail-to-CloudWatch-Logs role gets neither: AWS does not
    document them for that role and delivery has been reported to break with
    them (prowler#4714); its permissions are limited to the trail's streams.
    """
    conditions = {}
    if source_account:
        conditions["StringEquals"] = {"aws:SourceAccount": source_account}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    trust = statement(
        "ServiceAssumeRole", "Allow", ["sts:AssumeRole"], "*", principal={"Service": service}, conditions=conditions
    )
    del trust["Resource"]  # trust policies name no resource
    return policy_document([trust])


def cloudtrail_logs_role_policy(log_group_arn, management_account_id, organization_id, region):
    """CloudTrail may create and write only the trail's own log streams in the one log group."""
    log_group = log_group_arn[:-2] if log_group_arn.endswith(":*") else log_group_arn
    streams = [
        f"{log_group}:log-stream:{management_account_id}_CloudTrail_{region}*",
        f"{log_group}:log-stream:{organization_id}_*",
    ]
    return policy_document(
        [statement("CloudTrailDeliverLogs", "Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], streams)]
    )


def merge_policy(existing, ours):
    """`ours` plus every statement of `existing` that Trailguard does not own.

    A bucket that already has a policy keeps the statements someone else added;
    the statements whose Sid starts with "Trailguard" are replaced by ours.
    """
    if isinstance(existing, str):
        existing = json.loads(existing) if existing.strip() else None
    merged = copy.deepcopy(ours)
    if not existing:
        return merged
    kept = existing.get("Statement", [])
    if isinstance(kept, dict):
        kept = [kept]
    merged["Statement"].extend(s for s in kept if not str(s.get("Sid", "")).startswith(SID_PREFIX))
    return merged


# ---------------------------------------------------------------- monitoring
# Services that publish CIS alarms and tamper alerts to the alarm topic.
CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTBRIDGE = "events.amazonaws.com"
S3 = "s3.amazonaws.com"
CONFIG = "config.amazonaws.com"

# IAM actions a user needs to set up MFA and get an MFA session; everything else is denied without MFA.
MFA_SELF_SERVICE_ACTIONS = [
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
]

# What the SIEM consumer role may do with the queue: read, delete and extend the visibility of messages, and
# look the queue up by name and read its attributes, which the Splunk Add-on for AWS (SQS-based S3 input) and
# Logstash's SQS inputs do before they receive (Logstash "Sqs input plugin": the consumer's permissions).
SIEM_QUEUE_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
]


def _arn_parts(arn):
    """partition, service, region, account of an ARN."""
    parts = arn.split(":")
    return parts[1], parts[2], parts[3], parts[4]


def _key_administration(account_id, partition):
    """The key account's IAM policies administer the key (no other principal is named here)."""
    return statement(
        "KeyAdministration", "Allow", ["kms:*"], "*", principal={"AWS": f"arn:{partition}:iam::{account_id}:root"}
    )


def alarm_topic_policy(topic_arn):
    """The alarm topic's policy: only this account's CloudWatch alarms and EventBridge rules may publish.

    Each service may publish only for its own resources in the topic's account
    (aws:SourceArn and aws:SourceAccount). Every other publisher is denied, even
    an administrator of the account, so that no one can forge or drown an alarm.
    """
    partition, _service, region, account = _arn_parts(topic_arn)
    from_account = {"aws:SourceAccount": account}
    return policy_document(
        [
            statement(
                "CloudWatchAlarmsPublish",
                "Allow",
                ["sns:Publish"],
                [topic_arn],
                principal={"Service": CLOUDWATCH},
                conditions={
                    "StringEquals": from_account,
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
                },
            ),
            statement(
                "EventBridgeRulesPublish",
                "Allow",
                ["sns:Publish"],
                [topic_arn],
                principal={"Service": EVENTBRIDGE},
                conditions={
                    "StringEquals": from_account,
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:events:{region}:{account}:rule/*"},
                },
            ),
            # IAM principals carry no aws:SourceAccount, so they are denied too.
            statement(
                "DenyOtherPublishers",
                "Deny",
                ["sns:Publish"],
                [topic_arn],
                principal="*",
                conditions={"StringNotEquals": from_account},
            ),
        ]
    )


def alarm_topic_key_policy(key_account_id, topic_arn, partition="aws"):
    """The alarm topic's KMS key: CloudWatch and EventBridge of the account may use it for the one topic."""
    return policy_document(
        [
            _key_administration(key_account_id, partition),
            statement(
                "AlarmPublishersUseKey",
                "Allow",
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                "*",
                principal={"Service": [CLOUDWATCH, EVENTBRIDGE]},
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": key_account_id,
                        "kms:EncryptionContext:aws:sns:topicArn": topic_arn,
                    }
                },
            ),
        ]
    )


def siem_queue_policy(queue_arn, bucket_name, partition="aws"):
    """The SIEM queue's policy: only S3, for the log bucket, may send; every other sender is denied."""
    bucket = bucket_arn(bucket_name, partition)
    account = _arn_parts(queue_arn)[3]
    return policy_document(
        [
            statement(
                "LogBucketNotifications",
                "Allow",
                ["sqs:SendMessage"],
                [queue_arn],
                principal={"Service": S3},
                conditions={"ArnLike": {"aws:SourceArn": bucket}, "StringEquals": {"aws:SourceAccount": account}},
            ),
            # A request without aws:SourceArn (any IAM principal) matches ArnNotLike, so it is denied.
            statement(
                "DenyOtherSenders",
                "Deny",
                ["sqs:SendMessage"],
                [queue_arn],
                principal="*",
                conditions={"ArnNotLike": {"aws:SourceArn": bucket}},
            ),
        ]
    )


def siem_key_policy(key_account_id, queue_arns, partition="aws"):
    """The SIEM queues' KMS key: S3 may encrypt notifications only for these queues (SQS encryption context)."""
    return policy_document(
        [
            _key_administration(key_account_id, partition),
            statement(
                "S3EncryptNotifications",
                "Allow",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                "*",
                principal={"Service": S3},
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:sqs:arn": sorted(queue_arns)}},
            ),
        ]
    )


def siem_consumer_trust(principal_arns, external_id):
    """Trust policy of the SIEM consumer role: the external principal(s), only with the external ID."""
    principals = sorted(set([principal_arns] if isinstance(principal_arns, str) else principal_arns))
    trust = statement(
        "SiemAssumeRole",
        "Allow",
        ["sts:AssumeRole"],
        "*",
        principal={"AWS": principals[0] if len(principals) == 1 else principals},
        conditions={"StringEquals": {"sts:ExternalId": external_id}},
    )
    del trust["Resource"]  # trust policies name no resource
    return policy_document([trust])


def siem_consumer_policy(
    queue_arn, bucket_name, organization_id, log_key_arn, queue_key_arn, key_prefix="", partition="aws"
):
    """What the SIEM consumer role may do, and nothing more.

    Look up the one queue (its URL and attributes), read and delete its
    messages; read the organization's log objects; decrypt the logs only
    through S3 and the messages only through SQS (kms:ViaService), each with
    its own key.
    """
    region = _arn_parts(queue_arn)[2]
    logs = f"{bucket_arn(bucket_name, partition)}/{_log_prefix(key_prefix)}/{organization_id}/*"
    return policy_document(
        [
            statement("ReadQueue", "Allow", SIEM_QUEUE_ACTIONS, [queue_arn]),
            statement("ReadLogs", "Allow", ["s3:GetObject"], [logs]),
            statement(
                "DecryptLogsThroughS3",
                "Allow",
                ["kms:Decrypt"],
                [log_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
            statement(
                "DecryptMessagesThroughSqs",
                "Allow",
                ["kms:Decrypt"],
                [queue_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
            ),
        ]
    )


def mfa_required_policy(allowed_without_mfa=()):
    """Group policy: without an MFA session, only MFA set-up (and `allowed_without_mfa`) is allowed.

    BoolIfExists also catches long-term access keys, which carry no
    aws:MultiFactorAuthPresent; they must get an MFA session with
    sts:GetSessionToken first.
    """
    actions = sorted(set(MFA_SELF_SERVICE_ACTIONS) | set(allowed_without_mfa or ()))
    deny = {
        "Sid": f"{SID_PREFIX}DenyWithoutMFA",
        "Effect": "Deny",
        "NotAction": actions,
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }
    return policy_document([deny])


def config_bucket_statements(organization_id, bucket_name, key_prefix="", partition="aws"):
    """Bucket policy statements for AWS Config delivery from every account of the organization.

    AWS Config delivers to a bucket of another account as its service principal,
    config.amazonaws.com. It may check the bucket and write only for accounts of
    the organization (aws:SourceOrgID, as AWS Control Tower's log bucket policy
    does), and only under the account's own prefix, <prefix>/AWSLogs/<account>/Config/:
    the ${aws:SourceAccount} policy variable in the resource ties each account to
    its prefix. Naming the organization instead of its accounts keeps the policy's
    size fixed, and covers accounts that join later.
    """
    bucket = bucket_arn(bucket_name, partition)
    in_org = {"aws:SourceOrgID": organization_id}
    return [
        statement(
            "ConfigAclCheck",
            "Allow",
            ["s3:GetBucketAcl"],
            [bucket],
            principal={"Service": CONFIG},
            conditions={"StringEquals": in_org},
        ),
        statement(
            "ConfigBucketExistenceCheck",
            "Allow",
            ["s3:ListBucket"],
            [bucket],
            principal={"Service": CONFIG},
            conditions={"StringEquals": in_org},
        ),
        statement(
            "ConfigWrite",
            "Allow",
            ["s3:PutObject"],
            [f"{bucket}/{_log_prefix(key_prefix)}/${{aws:SourceAccount}}/Config/*"],
            principal={"Service": CONFIG},
            conditions={"StringEquals": dict(in_org, **{"s3:x-amz-acl": "bucket-owner-full-control"})},
        ),
    ]


def config_kms_key_statements(organization_id):
    """Key policy statements letting AWS Config of the organization's accounts write to a bucket encrypted with the key."""
    return [
        statement(
            "ConfigUseKey",
            "Allow",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            "*",
            principal={"Service": CONFIG},
            conditions={"StringEquals": {"aws:SourceOrgID": organization_id}},
        )
    ]


def config_recorder_delivery_policy(bucket_name, account_id, kms_key_arn, key_prefix=""):
    """The inline policy of the recorder role in the account that owns the log bucket.

    AWS Config Developer Guide, "Permissions for the Amazon S3 Bucket": delivering
    to a bucket in its own account, AWS Config uses the recorder's IAM role, not
    its service principal. That role may check the bucket (s3:GetBucketAcl, and
    s3:ListBucket for the existence check), write only under the account's own
    prefix with bucket-owner-full-control, and use the bucket's KMS key only
    through S3 (kms:ViaService), as the guide's "IAM Role Policy for your S3 Bucket"
    and "IAM Role Policy for KMS Key" describe. No s3:PutObjectAcl: the bucket's
    ACLs are disabled (BucketOwnerEnforced) and the guardrail SCP denies it.
    """
    partition, _service, region, _account = _arn_parts(kms_key_arn)
    bucket = bucket_arn(bucket_name, partition)
    return policy_document(
        [
            statement("ConfigCheckBucket", "Allow", ["s3:GetBucketAcl", "s3:ListBucket"], [bucket]),
            statement(
                "ConfigDeliverToOwnPrefix",
                "Allow",
                ["s3:PutObject"],
                [f"{bucket}/{_log_prefix(key_prefix)}/{account_id}/Config/*"],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            ),
            statement(
                "ConfigEncryptThroughS3",
                "Allow",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [kms_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
        ]
    )


# ---------------------------------------------------------------- tamper alerts across accounts and Regions
# The event sources whose tamper events the log-archive account forwards to the management account's bus.
TAMPER_ALERT_SOURCES = ["aws.kms", "aws.s3"]


def tamper_alerts_bus_policy(bus_arn, sender_account_ids, sources=None):
    """The management account's event bus accepts tamper events from the listed accounts only.

    EventBridge User Guide, "Sending and receiving events between AWS accounts" and "Permissions for
    event buses": the receiving bus's resource policy names the sending accounts; events:source limits
    what they may put to the AWS service events the tamper rules forward (`sources`, by default S3 and
    KMS), in the form of the guide's example "Send events to a custom bus in a different account".
    Custom events cannot claim an "aws." source, so only events forwarded by a rule get through.
    """
    partition = _arn_parts(bus_arn)[0]
    senders = sorted(set(sender_account_ids))
    principals = [f"arn:{partition}:iam::{account}:root" for account in senders]
    return policy_document(
        [
            statement(
                "TamperAlertsFromLogArchive",
                "Allow",
                ["events:PutEvents"],
                [bus_arn],
                principal={"AWS": principals[0] if len(principals) == 1 else principals},
                conditions={"ForAllValues:StringEquals": {"events:source": sorted(sources or TAMPER_ALERT_SOURCES)}},
            )
        ]
    )


def event_bus_forwarder_policy(bus_arns):
    """The role EventBridge assumes to forward events: events:PutEvents on the listed event buses only."""
    return policy_document([statement("ForwardTamperAlerts", "Allow", ["events:PutEvents"], sorted(set(bus_arns)))])


# ---------------------------------------------------------------- the deploy role in the log-archive account
# What only the exempt principals may do to the deploy role: change who may assume it (its trust policy), delete
# it, or change what it may do. Anyone else who could would make the role, and so the exemption, their own.
DEPLOY_ROLE_PROTECTED_ACTIONS = [
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
]

# The example values the runner policies in docs/iam are written with (docs/iam/README.md, "Placeholders").
RUNNER_POLICY_EXAMPLE = {
    "management_account_id": "111111111111",
    "log_archive_account_id": "222222222222",
    "prefix": "acme",
    "region": "us-east-1",
    "partition": "aws",
    "deploy_role_name": "TrailguardDeploy",
}


def deploy_role_trust(principal_arns, require_mfa=False):
    """Trust policy of the deploy role: only the named IAM roles and users may assume it, with MFA if asked.

    `require_mfa`: the caller's session must have been authenticated with MFA (aws:MultiFactorAuthPresent,
    which is absent, so false, for long-term access keys): the AWS STS API Reference, AssumeRole, "Using MFA
    with AssumeRole", gives this condition for a trust policy.
    """
    principals = sorted(set([principal_arns] if isinstance(principal_arns, str) else principal_arns))
    trust = statement(
        "DeployAssumeRole",
        "Allow",
        ["sts:AssumeRole"],
        "*",
        principal={"AWS": principals[0] if len(principals) == 1 else principals},
        conditions={"Bool": {"aws:MultiFactorAuthPresent": "true"}} if require_mfa else None,
    )
    del trust["Resource"]  # trust policies name no resource
    return policy_document([trust])


def scp_protect_roles(scp, role_arns, exempt_principal_arns=()):
    """The SCP `scp` and a statement that only the exempt principals may change or delete the roles `role_arns`.

    The deploy role is the only principal exempt from the log bucket's and key's protection, so whoever could
    change its trust policy or its permissions could act as it; this keeps that to the exempt principals (the
    role itself and break-glass). No roles: `scp` unchanged.
    """
    result = copy.deepcopy(scp)
    if role_arns:
        result["Statement"].append(
            statement(
                "ProtectDeployRole",
                "Deny",
                DEPLOY_ROLE_PROTECTED_ACTIONS,
                sorted(set(role_arns)),
                conditions=_exemption(exempt_principal_arns),
            )
        )
    return result


def runner_policy(
    documents,
    management_account_id,
    log_archive_account_id,
    prefix,
    region,
    partition="aws",
    deploy_role_name="TrailguardDeploy",
):
    """One policy of every statement of `documents`, runner policies of docs/iam, for this organization.

    The files are written with the example inventory's values (RUNNER_POLICY_EXAMPLE); these are replaced by the
    given ones, as docs/iam/README.md tells a reader to: the account IDs, the prefix the bucket, key alias, queue
    and other names derive from, the region, the partition of every ARN, and the deploy role's name. Names that do
    not derive from the prefix stay the roles' defaults. Each Sid must be unique across the documents.
    """
    statements = [item for document in documents for item in document["Statement"]]
    sids = [item["Sid"] for item in statements]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"runner_policy: the documents share the Sids {', '.join(duplicates)}")
    example = RUNNER_POLICY_EXAMPLE
    text = json.dumps(statements)
    for old, new in (
        (f"arn:{example['partition']}:", f"arn:{partition}:"),
        (example["management_account_id"], management_account_id),
        (example["log_archive_account_id"], log_archive_account_id),
        (example["region"], region),
        (f"{example['prefix']}-", f"{prefix}-"),
        (example["deploy_role_name"], deploy_role_name),
    ):
        text = text.replace(old, new)
    return policy_document(json.loads(text))


# ---------------------------------------------------------------- Athena: the results bucket, its key, the reader


def athena_results_bucket_policy(bucket_name, account_id, kms_key_arn, partition="aws", deny_insecure_transport=True):
    """The Athena query results bucket's policy.

    No request without TLS, no principal of another account (query results are extracts of the organization's
    logs), and no object written with another encryption than SSE-KMS with the results key: a request may leave
    the encryption out (the bucket's default, the same key, applies) but may not name another, nor SSE-KMS
    without a key ID (which is the AWS managed key).
    """
    bucket = bucket_arn(bucket_name, partition)
    everything = [bucket, f"{bucket}/*"]
    statements = []
    if deny_insecure_transport:
        statements.append(_deny_insecure_transport(everything))
    statements += [
        statement(
            "DenyOtherAccounts",
            "Deny",
            ["s3:*"],
            everything,
            principal="*",
            conditions={"StringNotEquals": {"aws:PrincipalAccount": account_id}},
        ),
        # An encryption header, when there is one, must say SSE-KMS ("Null": false is "the key is present").
        statement(
            "DenyOtherEncryption",
            "Deny",
            ["s3:PutObject"],
            [f"{bucket}/*"],
            principal="*",
            conditions={
                "Null": {"s3:x-amz-server-side-encryption": "false"},
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
            },
        ),
        # SSE-KMS without a key ID would use the AWS managed key aws/s3 (S3 API Reference, PutObject): name ours.
        statement(
            "DenyOtherKeys",
            "Deny",
            ["s3:PutObject"],
            [f"{bucket}/*"],
            principal="*",
            conditions={
                "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn},
            },
        ),
    ]
    return policy_document(statements)


def athena_results_key_policy(key_account_id, partition="aws"):
    """The results key: the account's IAM policies administer and use it (the reader's, through S3 only)."""
    return policy_document([_key_administration(key_account_id, partition)])


def athena_reader_trust(principal_arns):
    """Trust policy of the Athena reader role: the listed principals (IAM role or user ARNs, or an account root)."""
    principals = sorted(set([principal_arns] if isinstance(principal_arns, str) else principal_arns))
    trust = statement(
        "AthenaReaderAssumeRole",
        "Allow",
        ["sts:AssumeRole"],
        "*",
        principal={"AWS": principals[0] if len(principals) == 1 else principals},
    )
    del trust["Resource"]  # trust policies name no resource
    return policy_document([trust])


# Athena User Guide, "Identity and access management in Athena" and "Control access to Amazon S3 from Athena": running
# a query and reading its results; saved queries are read, never written.
ATHENA_READER_ACTIONS = [
    "athena:BatchGetNamedQuery",
    "athena:BatchGetQueryExecution",
    "athena:GetNamedQuery",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryRuntimeStatistics",
    "athena:GetWorkGroup",
    "athena:ListNamedQueries",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
]
GLUE_READER_ACTIONS = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables"]


def athena_reader_policy(
    work_group_arn, database, bucket_name, organization_id, results_bucket_name, results_key_arn, key_prefix=""
):
    """What the Athena reader role may do, and nothing more.

    Run queries and read saved ones in the one workgroup; read the one database's tables in the Glue Data Catalog;
    list and read the organization's CloudTrail log files (Athena lists each partition's prefix, then reads its
    objects); read and write query results in the results bucket, with its key through S3 only. The trail key's
    policy already lets principals of the organization decrypt CloudTrail logs (OrganizationDecryptLogs), so no
    statement here names it.
    """
    partition, _service, region, account = _arn_parts(work_group_arn)
    glue = f"arn:{partition}:glue:{region}:{account}"
    logs = f"{_log_prefix(key_prefix)}/{organization_id}"
    log_bucket = bucket_arn(bucket_name, partition)
    results = bucket_arn(results_bucket_name, partition)
    return policy_document(
        [
            statement("RunQueriesInTheWorkgroup", "Allow", ATHENA_READER_ACTIONS, [work_group_arn]),
            statement(
                "ReadTheCatalog",
                "Allow",
                GLUE_READER_ACTIONS,
                [f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/*"],
            ),
            statement(
                "ListTheLogs",
                "Allow",
                ["s3:ListBucket"],
                [log_bucket],
                conditions={"StringLike": {"s3:prefix": f"{logs}/*"}},
            ),
            statement("LocateTheBuckets", "Allow", ["s3:GetBucketLocation"], [log_bucket, results]),
            statement("ReadTheLogs", "Allow", ["s3:GetObject"], [f"{log_bucket}/{logs}/*/CloudTrail/*"]),
            statement(
                "ListTheResults",
                "Allow",
                ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                [results],
            ),
            statement(
                "ReadAndWriteTheResults",
                "Allow",
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
                [f"{results}/*"],
            ),
            statement(
                "UseTheResultsKeyThroughS3",
                "Allow",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [results_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
        ]
    )
