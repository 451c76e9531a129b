"""The policy builders: statements, principals, ARNs and conditions.

What these policies *do* is proven with an IAM policy simulator in tests/policy.
"""

import json
import re
from pathlib import Path

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

ORG = "o-abc123def4"
MGMT = "111111111111"
AUDIT = "222222222222"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org-trail"
BUCKET = "acme-cloudtrail"
KEY = f"arn:aws:kms:us-east-1:{AUDIT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def by_sid(policy):
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)), f"duplicate Sids: {sids}"
    return {s["Sid"]: s for s in policy["Statement"]}


def as_list(value):
    return value if isinstance(value, list) else [value]


def bucket_policy(**kwargs):
    args = dict(organization_id=ORG, management_account_id=MGMT, trail_arn=TRAIL)
    args.update(kwargs)
    return policies.audit_bucket_policy(BUCKET, **args)


class TestAuditBucketPolicy:
    def test_cloudtrail_reads_acl_only_for_the_org_trail(self):
        acl = by_sid(bucket_policy())["TrailguardCloudTrailAclCheck"]
        assert acl["Effect"] == "Allow"
        assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert acl["Action"] == "s3:GetBucketAcl"
        assert acl["Resource"] == f"arn:aws:s3:::{BUCKET}"
        assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}

    def test_cloudtrail_writes_management_and_organization_prefixes(self):
        write = by_sid(bucket_policy())["TrailguardCloudTrailWrite"]
        assert write["Action"] == "s3:PutObject"
        assert sorted(write["Resource"]) == sorted(
            [f"arn:aws:s3:::{BUCKET}/AWSLogs/{MGMT}/*", f"arn:aws:s3:::{BUCKET}/AWSLogs/{ORG}/*"]
        )
        assert write["Condition"]["StringEquals"] == {
            "aws:SourceArn": TRAIL,
            "s3:x-amz-acl": "bucket-owner-full-control",
        }

    @pytest.mark.parametrize("prefix", ["logs", "logs/", "/logs/"])
    def test_key_prefix_goes_before_awslogs(self, prefix):
        statements = by_sid(bucket_policy(key_prefix=prefix))
        assert f"arn:aws:s3:::{BUCKET}/logs/AWSLogs/{ORG}/*" in statements["TrailguardCloudTrailWrite"]["Resource"]
        read = statements["TrailguardMemberReadOwnPrefix"]
        assert read["Resource"] == f"arn:aws:s3:::{BUCKET}/logs/AWSLogs/{ORG}/${{aws:PrincipalAccount}}/*"

    def test_members_read_and_list_only_their_own_prefix(self):
        statements = by_sid(bucket_policy())
        read, listing = statements["TrailguardMemberReadOwnPrefix"], statements["TrailguardMemberListOwnPrefix"]
        assert read["Principal"] == {"AWS": "*"} and read["Action"] == "s3:GetObject"
        assert read["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
        assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == f"arn:aws:s3:::{BUCKET}"
        assert listing["Condition"] == {
            "StringEquals": {"aws:PrincipalOrgID": ORG},
            "StringLike": {"s3:prefix": f"AWSLogs/{ORG}/${{aws:PrincipalAccount}}/*"},
        }

    def test_member_read_can_be_turned_off(self):
        sids = by_sid(bucket_policy(member_read=False))
        assert "TrailguardMemberReadOwnPrefix" not in sids and "TrailguardMemberListOwnPrefix" not in sids

    def test_denies_insecure_transport_on_bucket_and_objects(self):
        deny = by_sid(bucket_policy())["TrailguardDenyInsecureTransport"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
        assert deny["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    def test_denies_principals_outside_the_organization_but_not_aws_services(self):
        deny = by_sid(bucket_policy())["TrailguardDenyOutsideOrganization"]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        }

    def test_mfa_statement_covers_deletes_and_retention_changes_with_exemptions(self):
        exempt = ["arn:aws:iam::222222222222:role/BreakGlass", "arn:aws:iam::222222222222:role/Deployer"]
        deny = by_sid(bucket_policy(exempt_principal_arns=list(reversed(exempt))))["TrailguardDenyDeletesWithoutMFA"]
        assert set(deny["Action"]) == {
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketVersioning",
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:PutBucketPolicy",
        }
        assert deny["Condition"] == {
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
            "ArnNotLike": {"aws:PrincipalArn": exempt},
        }

    def test_mfa_statement_without_exemptions_has_no_arn_condition(self):
        deny = by_sid(bucket_policy())["TrailguardDenyDeletesWithoutMFA"]
        assert "ArnNotLike" not in deny["Condition"]

    @pytest.mark.parametrize(
        "switch, sid",
        [
            ("deny_insecure_transport", "TrailguardDenyInsecureTransport"),
            ("deny_outside_organization", "TrailguardDenyOutsideOrganization"),
            ("require_mfa_for_deletes", "TrailguardDenyDeletesWithoutMFA"),
        ],
    )
    def test_each_deny_can_be_switched_off(self, switch, sid):
        assert sid in by_sid(bucket_policy())
        assert sid not in by_sid(bucket_policy(**{switch: False}))

    def test_partition_is_used_in_every_arn(self):
        text = json.dumps(bucket_policy(partition="aws-us-gov", trail_arn=TRAIL.replace("aws", "aws-us-gov", 1)))
        assert "arn:aws:s3" not in text and "arn:aws-us-gov:s3:::acme-cloudtrail" in text

    def test_every_sid_is_owned(self):
        assert all(sid.startswith("Trailguard") for sid in by_sid(bucket_policy()))


class TestKmsKeyPolicy:
    def policy(self, **kwargs):
        args = dict(organization_id=ORG, management_account_id=MGMT, trail_arn=TRAIL, region="us-east-1")
        args.update(kwargs)
        return by_sid(policies.kms_key_policy(AUDIT, **args))

    def test_key_account_administers_through_iam(self):
        admin = self.policy()["TrailguardKeyAdministration"]
        assert admin["Principal"] == {"AWS": f"arn:aws:iam::{AUDIT}:root"} and admin["Action"] == "kms:*"

    def test_cloudtrail_generates_data_keys_for_management_trails_only(self):
        encrypt = self.policy()["TrailguardCloudTrailEncryptLogs"]
        assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert encrypt["Action"] == "kms:GenerateDataKey*"
        assert encrypt["Condition"] == {
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{MGMT}:trail/*"},
            "StringEquals": {"aws:SourceArn": TRAIL},
        }

    def test_cloudtrail_describes_the_key_for_the_trail(self):
        describe = self.policy()["TrailguardCloudTrailDescribeKey"]
        assert describe["Action"] == "kms:DescribeKey"
        assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}

    def test_cloudtrail_decrypts_for_the_trail_as_an_s3_bucket_key_needs(self):
        decrypt = self.policy()["TrailguardCloudTrailDecryptForBucketKey"]
        assert decrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and decrypt["Effect"] == "Allow"
        assert decrypt["Action"] == "kms:Decrypt" and decrypt["Resource"] == "*"
        assert decrypt["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}

    def test_organization_decrypts_cloudtrail_logs_only(self):
        decrypt = self.policy()["TrailguardOrganizationDecryptLogs"]
        assert decrypt["Action"] == "kms:Decrypt" and decrypt["Principal"] == {"AWS": "*"}
        assert decrypt["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": ORG}
        assert "kms:EncryptionContext:aws:cloudtrail:arn" in decrypt["Condition"]["StringLike"]

    def test_cloudwatch_logs_statement_only_with_a_log_group(self):
        assert "TrailguardCloudWatchLogsUse" not in self.policy()
        group = f"arn:aws:logs:us-east-1:{MGMT}:log-group:/aws/cloudtrail/org"
        logs = self.policy(cloudwatch_log_group_arn=group + ":*")["TrailguardCloudWatchLogsUse"]
        assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
        assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group}}


class TestServiceControlPolicies:
    def test_trail_tampering_actions(self):
        deny = by_sid(policies.scp_deny_trail_tampering())["TrailguardDenyCloudTrailTampering"]
        assert deny["Effect"] == "Deny" and deny["Resource"] == "*" and "Principal" not in deny
        assert set(deny["Action"]) == {
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:PutInsightSelectors",
            "cloudtrail:RemoveTags",
        }
        assert "Condition" not in deny

    def test_trail_tampering_can_protect_only_the_organization_trail(self):
        org_trail = "arn:aws:cloudtrail:*:111111111111:trail/acme-organization-trail"
        deny = by_sid(policies.scp_deny_trail_tampering(trail_arns=[org_trail]))["TrailguardDenyCloudTrailTampering"]
        assert deny["Resource"] == org_trail

    def test_break_glass_exemption(self):
        deny = policies.scp_deny_trail_tampering(["arn:aws:iam::*:role/BreakGlass"])["Statement"][0]
        assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BreakGlass"]}}

    def test_log_archive_protection_covers_bucket_objects_key_and_alias(self):
        scp = by_sid(
            policies.scp_protect_log_archive(BUCKET, KEY, key_alias="alias/trail", exempt_principal_arns=["arn:x"])
        )
        bucket = scp["TrailguardProtectLogBucket"]
        assert bucket["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
        assert {"s3:DeleteObject", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:DeleteBucket"} <= set(
            bucket["Action"]
        )
        assert len(bucket["Action"]) == len(set(bucket["Action"])) == 31
        assert "s3:DeleteBucketOwnershipControls" not in bucket["Action"]
        key = scp["TrailguardProtectLogKey"]
        assert key["Resource"] == [KEY, f"arn:aws:kms:us-east-1:{AUDIT}:alias/trail"]
        assert {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:DeleteAlias"} <= set(
            key["Action"]
        )
        assert bucket["Condition"] == key["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:x"]}}
        account_block = scp["TrailguardProtectLogArchivePublicAccessBlock"]
        assert account_block["Action"] == "s3:PutAccountPublicAccessBlock" and account_block["Resource"] == "*"
        assert account_block["Condition"] == {
            "StringEquals": {"aws:PrincipalAccount": AUDIT},
            "ArnNotLike": {"aws:PrincipalArn": ["arn:x"]},
        }

    def test_log_archive_protection_covers_delivery_siem_feed_and_retention(self):
        bucket = by_sid(policies.scp_protect_log_archive(BUCKET, KEY))["TrailguardProtectLogBucket"]
        assert {
            "s3:PutBucketRequestPayment",  # a Requester Pays bucket stops CloudTrail's delivery
            "s3:PutBucketNotification",  # removing it cuts the SIEM feed
            "s3:PutObjectRetention",
            "s3:BypassGovernanceRetention",
            "s3:PutBucketCORS",
            "s3:PutAnalyticsConfiguration",
            "s3:PutIntelligentTieringConfiguration",
            "s3:PutAccelerateConfiguration",
        } <= set(bucket["Action"])

    def test_log_archive_protection_lets_archived_logs_be_restored(self):
        bucket = by_sid(policies.scp_protect_log_archive(BUCKET, KEY))["TrailguardProtectLogBucket"]
        assert "s3:RestoreObject" not in bucket["Action"]

    def test_the_guardrails_readme_names_every_denied_bucket_action(self):
        readme = (Path(__file__).resolve().parents[4] / "roles" / "guardrails" / "README.md").read_text()
        named = set(re.findall(r"`(\w+)`", readme))
        missing = [action for action in policies.LOG_BUCKET_PROTECTED_ACTIONS if action.split(":")[1] not in named]
        assert not missing, f"roles/guardrails/README.md does not say the SCP denies {missing}"
        assert "does not deny `s3:RestoreObject`" in readme

    def test_scps_fit_the_size_quota(self):
        scp = policies.scp_protect_log_archive(BUCKET, KEY, key_alias="trail", exempt_principal_arns=["arn:x"] * 3)
        assert len(json.dumps(scp, separators=(",", ":"))) <= 5120


class TestRoles:
    def test_service_trust_without_conditions(self):
        trust = policies.service_role_trust("cloudtrail.amazonaws.com")["Statement"][0]
        assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
        assert "Condition" not in trust and "Resource" not in trust

    def test_service_trust_with_confused_deputy_conditions(self):
        trust = policies.service_role_trust("config.amazonaws.com", source_account=MGMT, source_arn="arn:aws:config:*")
        assert trust["Statement"][0]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": MGMT},
            "ArnLike": {"aws:SourceArn": "arn:aws:config:*"},
        }

    def test_delivery_role_limited_to_the_trails_streams(self):
        group = f"arn:aws:logs:us-east-1:{MGMT}:log-group:/aws/cloudtrail/org:*"
        policy = policies.cloudtrail_logs_role_policy(group, MGMT, ORG, "us-east-1")["Statement"][0]
        assert policy["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        base = group[:-2]
        assert policy["Resource"] == [
            f"{base}:log-stream:{MGMT}_CloudTrail_us-east-1*",
            f"{base}:log-stream:{ORG}_*",
        ]


class TestMergePolicy:
    ours = policies.policy_document([policies.statement("CloudTrailWrite", "Allow", ["s3:PutObject"], "arn:new")])

    def test_keeps_foreign_statements_and_replaces_ours(self):
        existing = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrailguardCloudTrailWrite",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": "arn:old",
                },
                {"Sid": "VendorRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:vendor"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:nosid"},
            ],
        }
        merged = policies.merge_policy(existing, self.ours)
        resources = [s["Resource"] for s in merged["Statement"]]
        assert resources == ["arn:new", "arn:vendor", "arn:nosid"]

    @pytest.mark.parametrize("existing", [None, "", {}, "  "])
    def test_no_existing_policy(self, existing):
        assert policies.merge_policy(existing, self.ours) == self.ours

    def test_accepts_json_text_and_a_single_statement(self):
        existing = json.dumps({"Statement": {"Sid": "Other", "Effect": "Deny", "Action": "*", "Resource": "*"}})
        merged = policies.merge_policy(existing, self.ours)
        assert [s["Sid"] for s in merged["Statement"]] == ["TrailguardCloudTrailWrite", "Other"]

    def test_does_not_modify_its_inputs(self):
        before = json.dumps(self.ours, sort_keys=True)
        policies.merge_policy({"Statement": [{"Sid": "X"}]}, self.ours)
        assert json.dumps(self.ours, sort_keys=True) == before


class TestConfigDelivery:
    def test_bucket_policy_adds_config_statements_only_when_asked(self):
        plain = by_sid(bucket_policy())
        assert not [sid for sid in plain if "Config" in sid]
        with_config = by_sid(bucket_policy(config_delivery=True))
        added = {sid: s for sid, s in with_config.items() if sid not in plain}
        assert added and all(s["Principal"] == {"Service": "config.amazonaws.com"} for s in added.values())
        assert all(s["Condition"]["StringEquals"]["aws:SourceOrgID"] == ORG for s in added.values())

    def test_key_policy_lets_config_use_the_key_only_when_asked(self):
        args = dict(organization_id=ORG, management_account_id=MGMT, trail_arn=TRAIL, region="us-east-1")
        assert "TrailguardConfigUseKey" not in by_sid(policies.kms_key_policy(AUDIT, **args))
        use = by_sid(policies.kms_key_policy(AUDIT, config_delivery=True, **args))["TrailguardConfigUseKey"]
        assert use["Condition"] == {"StringEquals": {"aws:SourceOrgID": ORG}}


# ---------------------------------------------------------------- size quotas
# Every policy Trailguard writes, built for an organization of 5,000 accounts with the longest names AWS allows,
# stays under the quota of the place AWS stores it. None lists the organization's accounts, so none grows with it.
# Sizes are measured as the modules send the documents: S3, KMS, SQS and SNS get json.dumps() output (spaces
# count against their byte quotas); IAM does not count whitespace; scp_attach sends SCPs minified.
S3_BUCKET_POLICY = 20 * 1024  # S3 User Guide, "Bucket policies for Amazon S3": limited to 20 KB
KMS_KEY_POLICY = 32 * 1024  # AWS KMS Developer Guide, "Resource quotas": key policy document size, 32 KB
SCP = 5120  # AWS Organizations User Guide, "Quotas for AWS Organizations": SCP document, 5,120 characters
ROLE_TRUST_POLICY = 2048  # IAM User Guide, "IAM and AWS STS quotas": role trust policy, 2,048 characters
ROLE_INLINE_POLICIES = 10240  # same page: a role's inline policies together, 10,240 characters
GROUP_INLINE_POLICIES = 5120  # same page: a group's inline policies together, 5,120 characters
SQS_QUEUE_POLICY = 8192  # SQS Developer Guide, "Amazon SQS policy quotas": 8,192 bytes, 20 statements
SNS_TOPIC_POLICY = 30 * 1024  # SNS Developer Guide, "Amazon SNS API permissions": policy quotas, 30 KB

LONG_REGION = "ap-southeast-5"


def organization(size):
    """An organization of `size` accounts, with the longest identifiers and names AWS allows."""
    accounts = [str(100000000000 + index) for index in range(size)]
    management, log_archive = accounts[0], accounts[1]
    name = "t" * 128  # trail name
    return {
        "id": "o-" + "a" * 32,
        "accounts": accounts,
        "management": management,
        "log_archive": log_archive,
        "bucket": "b" * 63,
        "key_prefix": "p" * 200,  # CloudTrail's S3KeyPrefix allows 200 characters
        "trail_arn": f"arn:aws:cloudtrail:{LONG_REGION}:{management}:trail/{name}",
        "log_group_arn": f"arn:aws:logs:{LONG_REGION}:{management}:log-group:{'g' * 512}:*",
        "key_arn": f"arn:aws:kms:{LONG_REGION}:{log_archive}:key/{'0' * 8}-0000-0000-0000-{'0' * 12}",
        "queue_arn": f"arn:aws:sqs:{LONG_REGION}:{log_archive}:{'q' * 76}",
        "topic_arn": f"arn:aws:sns:{LONG_REGION}:{management}:{'s' * 256}",
        # Break-glass principals and the playbook's own role, as the main playbook exempts them.
        "exempt": [f"arn:aws:iam::{log_archive}:role/{'r' * 64}"]
        + [f"arn:aws:iam::*:role/break-glass-{index}-{'r' * 48}" for index in range(5)],
    }


def _bytes(policy):
    return len(json.dumps(policy).encode())


def _iam(policy):
    return len(json.dumps(policy, separators=(",", ":")))


# name -> (the policy as the roles build it for `org`, how AWS measures it, its quota)
SIZED = {
    "audit_bucket_policy": (
        lambda org: policies.audit_bucket_policy(
            org["bucket"], org["id"], org["management"], org["trail_arn"], key_prefix=org["key_prefix"],
            exempt_principal_arns=org["exempt"], config_delivery=True,
        ),
        _bytes,
        S3_BUCKET_POLICY,
    ),
    "kms_key_policy": (
        lambda org: policies.kms_key_policy(
            org["log_archive"], org["id"], org["management"], org["trail_arn"], LONG_REGION,
            cloudwatch_log_group_arn=org["log_group_arn"], config_delivery=True,
        ),
        _bytes,
        KMS_KEY_POLICY,
    ),
    "scp_deny_trail_tampering": (
        lambda org: policies.scp_deny_trail_tampering(org["exempt"], [org["trail_arn"].replace(LONG_REGION, "*")]),
        _iam,
        SCP,
    ),
    "scp_protect_log_archive": (
        lambda org: policies.scp_protect_log_archive(
            org["bucket"], org["key_arn"], key_alias="alias/" + "k" * 250, exempt_principal_arns=org["exempt"]
        ),
        _iam,
        SCP,
    ),
    "service_role_trust": (
        lambda org: policies.service_role_trust("config.amazonaws.com", source_account=org["log_archive"]),
        _iam,
        ROLE_TRUST_POLICY,
    ),
    "cloudtrail_logs_role_policy": (
        lambda org: policies.cloudtrail_logs_role_policy(
            org["log_group_arn"], org["management"], org["id"], LONG_REGION
        ),
        _iam,
        ROLE_INLINE_POLICIES,
    ),
    "alarm_topic_policy": (lambda org: policies.alarm_topic_policy(org["topic_arn"]), _bytes, SNS_TOPIC_POLICY),
    "alarm_topic_key_policy": (
        lambda org: policies.alarm_topic_key_policy(org["management"], org["topic_arn"]),
        _bytes,
        KMS_KEY_POLICY,
    ),
    "siem_queue_policy": (
        lambda org: policies.siem_queue_policy(org["queue_arn"], org["bucket"]),
        _bytes,
        SQS_QUEUE_POLICY,
    ),
    "siem_key_policy": (
        lambda org: policies.siem_key_policy(org["log_archive"], [org["queue_arn"], org["queue_arn"] + "-dlq"]),
        _bytes,
        KMS_KEY_POLICY,
    ),
    "siem_consumer_trust": (
        lambda org: policies.siem_consumer_trust([f"arn:aws:iam::999999999999:role/{'v' * 64}"], "x" * 1224),
        _iam,
        ROLE_TRUST_POLICY,
    ),
    "siem_consumer_policy": (
        lambda org: policies.siem_consumer_policy(
            org["queue_arn"], org["bucket"], org["id"], org["key_arn"], org["key_arn"], key_prefix=org["key_prefix"]
        ),
        _iam,
        ROLE_INLINE_POLICIES,
    ),
    "mfa_required_policy": (lambda org: policies.mfa_required_policy(), _iam, GROUP_INLINE_POLICIES),
    # EventBridge API Reference, PutPermission: "The permission policy on the event bus cannot exceed 10 KB in size."
    "tamper_alerts_bus_policy": (
        lambda org: policies.tamper_alerts_bus_policy(
            f"arn:aws:events:{LONG_REGION}:{org['management']}:event-bus/default", [org["log_archive"]]
        ),
        _bytes,
        10 * 1024,
    ),
    "event_bus_forwarder_policy": (
        lambda org: policies.event_bus_forwarder_policy(
            [f"arn:aws:events:{LONG_REGION}:{org['management']}:event-bus/default"]
        ),
        _iam,
        ROLE_INLINE_POLICIES,
    ),
    "config_recorder_delivery_policy": (
        lambda org: policies.config_recorder_delivery_policy(
            org["bucket"], org["log_archive"], org["key_arn"], key_prefix=org["key_prefix"]
        ),
        _iam,
        ROLE_INLINE_POLICIES,
    ),
    "access_log_bucket_policy": (
        lambda org: policies.access_log_bucket_policy(f"{org['bucket']}-access-logs", org["bucket"], org["log_archive"]),
        _bytes,
        S3_BUCKET_POLICY,
    ),
    "athena_results_bucket_policy": (
        lambda org: policies.athena_results_bucket_policy(org["bucket"], org["log_archive"], org["key_arn"]),
        _bytes,
        S3_BUCKET_POLICY,
    ),
    "athena_results_key_policy": (lambda org: policies.athena_results_key_policy(org["log_archive"]), _bytes, KMS_KEY_POLICY),
    "athena_reader_trust": (
        lambda org: policies.athena_reader_trust([f"arn:aws:iam::{org['log_archive']}:role/{'r' * 64}"]),
        _iam,
        ROLE_TRUST_POLICY,
    ),
    "athena_reader_policy": (
        lambda org: policies.athena_reader_policy(
            f"arn:aws:athena:{LONG_REGION}:{org['log_archive']}:workgroup/{'w' * 128}", "d" * 255, org["bucket"],
            org["id"], org["bucket"], org["key_arn"], key_prefix=org["key_prefix"],
        ),
        _iam,
        ROLE_INLINE_POLICIES,
    ),
    "deploy_role_trust": (
        lambda org: policies.deploy_role_trust(
            [f"arn:aws:iam::{org['management']}:{kind}/{'p' * 60}/{index}{'r' * 62}"
             for kind in ("role", "user") for index in range(5)],
            require_mfa=True,
        ),
        _iam,
        ROLE_TRUST_POLICY,
    ),
    # The log-archive SCP with the deploy role protected, as the guardrails role writes it.
    "scp_protect_roles": (
        lambda org: policies.scp_protect_roles(
            SIZED["scp_protect_log_archive"][0](org), [f"arn:aws:iam::{org['log_archive']}:role/{'d' * 64}"],
            exempt_principal_arns=org["exempt"],
        ),
        _iam,
        SCP,
    ),
    # The deploy role's larger policy (roles/deploy_role), a customer managed policy: IAM User Guide, "IAM and AWS STS
    # quotas", managed policy size, 6,144 characters.
    "runner_policy": (
        lambda org: policies.runner_policy(
            [json.loads((Path(__file__).resolve().parents[4] / "docs" / "iam" / name).read_text())
             for name in ("log-archive.json", "deploy-role-log-archive.json")],
            org["management"], org["log_archive"], "c" * 40, LONG_REGION, deploy_role_name="d" * 64,
        ),
        _iam,
        6144,
    ),
}  # fmt: skip
# Filters that return statements or merge documents rather than build one: sized within the policies above.
NOT_DOCUMENTS = {"merge_policy", "config_bucket_statements", "config_kms_key_statements"}


def test_every_policy_filter_is_sized():
    from ansible_collections.trailguard.cloudtrail.plugins.filter.policies import FilterModule

    assert set(FilterModule().filters()) == set(SIZED) | NOT_DOCUMENTS


@pytest.mark.parametrize("name", sorted(SIZED))
def test_policy_for_5000_accounts_fits_its_quota_and_does_not_grow(name):
    build, measure, quota = SIZED[name]
    large, small = build(organization(5000)), build(organization(3))
    assert large == small, "the policy depends on the number of accounts"
    assert measure(large) <= quota, f"{name}: {measure(large)} > {quota}"


def test_the_sqs_queue_policy_fits_the_statement_quota():
    build, _measure, _quota = SIZED["siem_queue_policy"]
    assert len(build(organization(5000))["Statement"]) <= 20


def test_listing_every_account_would_not_have_fitted():
    """The control: the same bucket policy with the Config statements listing every account (aws:SourceAccount)."""
    org = organization(5000)
    build, measure, quota = SIZED["audit_bucket_policy"]
    policy = build(org)
    for each in policy["Statement"]:
        if "Config" in each["Sid"]:
            each["Condition"]["StringEquals"] = {"aws:SourceAccount": org["accounts"]}
    assert measure(policy) > quota
