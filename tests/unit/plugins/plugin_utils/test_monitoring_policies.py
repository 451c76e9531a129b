"""The monitoring policy builders: alarm topic and its key, SIEM queue, key and
consumer role, the MFA group policy, and the AWS Config bucket and key statements.

What these policies *do* is proven with an IAM policy simulator in
tests/policy/test_siem_policy_effects.py.
"""

import json

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.filter.policies import FilterModule
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

MGMT = "111111111111"
AUDIT = "222222222222"
MEMBER = "333333333333"
ORG = "o-abc123def4"
REGION = "us-east-1"
TOPIC = f"arn:aws:sns:{REGION}:{MGMT}:trailguard-security-alarms"
BUCKET = "acme-cloudtrail"
QUEUE = f"arn:aws:sqs:{REGION}:{AUDIT}:trailguard-siem"
DLQ = f"arn:aws:sqs:{REGION}:{AUDIT}:trailguard-siem-dlq"
LOG_KEY = f"arn:aws:kms:{REGION}:{AUDIT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SIEM_KEY = f"arn:aws:kms:{REGION}:{AUDIT}:key/5678abcd-12ab-34cd-56ef-1234567890ab"
VENDOR = "arn:aws:iam::999999999999:role/siem-reader"


def by_sid(statements):
    if isinstance(statements, dict):
        statements = statements["Statement"]
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)), f"duplicate Sids: {sids}"
    assert all(sid.startswith("Trailguard") for sid in sids), sids
    return {s["Sid"]: s for s in statements}


def test_every_new_builder_is_a_filter():
    filters = FilterModule().filters()
    for name in (
        "alarm_topic_policy",
        "alarm_topic_key_policy",
        "siem_queue_policy",
        "siem_key_policy",
        "siem_consumer_trust",
        "siem_consumer_policy",
        "mfa_required_policy",
        "config_bucket_statements",
        "config_kms_key_statements",
        "config_recorder_delivery_policy",
    ):
        assert filters[name] is getattr(policies, name)


class TestAlarmTopicPolicy:
    def test_cloudwatch_alarms_of_the_account_publish(self):
        allow = by_sid(policies.alarm_topic_policy(TOPIC))["TrailguardCloudWatchAlarmsPublish"]
        assert allow["Effect"] == "Allow"
        assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert allow["Action"] == "sns:Publish" and allow["Resource"] == TOPIC
        assert allow["Condition"] == {
            "StringEquals": {"aws:SourceAccount": MGMT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{MGMT}:alarm:*"},
        }

    def test_eventbridge_rules_of_the_account_publish(self):
        allow = by_sid(policies.alarm_topic_policy(TOPIC))["TrailguardEventBridgeRulesPublish"]
        assert allow["Principal"] == {"Service": "events.amazonaws.com"}
        assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:events:{REGION}:{MGMT}:rule/*"}
        assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": MGMT}

    def test_every_other_publisher_is_denied(self):
        statements = by_sid(policies.alarm_topic_policy(TOPIC))
        assert set(statements) == {
            "TrailguardCloudWatchAlarmsPublish",
            "TrailguardEventBridgeRulesPublish",
            "TrailguardDenyOtherPublishers",
        }
        deny = statements["TrailguardDenyOtherPublishers"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "sns:Publish"
        assert deny["Condition"] == {"StringNotEquals": {"aws:SourceAccount": MGMT}}

    def test_partition_and_region_come_from_the_topic(self):
        topic = f"arn:aws-us-gov:sns:us-gov-west-1:{MGMT}:alarms"
        allow = by_sid(policies.alarm_topic_policy(topic))["TrailguardCloudWatchAlarmsPublish"]
        assert (
            allow["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws-us-gov:cloudwatch:us-gov-west-1:{MGMT}:alarm:*"
        )


class TestAlarmTopicKeyPolicy:
    def test_key_account_administers_through_iam(self):
        admin = by_sid(policies.alarm_topic_key_policy(MGMT, TOPIC))["TrailguardKeyAdministration"]
        assert admin["Principal"] == {"AWS": f"arn:aws:iam::{MGMT}:root"} and admin["Action"] == "kms:*"

    def test_publishers_use_the_key_only_for_the_topic(self):
        use = by_sid(policies.alarm_topic_key_policy(MGMT, TOPIC))["TrailguardAlarmPublishersUseKey"]
        assert use["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
        assert use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert use["Condition"] == {
            "StringEquals": {"aws:SourceAccount": MGMT, "kms:EncryptionContext:aws:sns:topicArn": TOPIC}
        }


class TestSiemQueuePolicy:
    def test_s3_sends_only_for_the_log_bucket(self):
        allow = by_sid(policies.siem_queue_policy(QUEUE, BUCKET))["TrailguardLogBucketNotifications"]
        assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
        assert allow["Action"] == "sqs:SendMessage" and allow["Resource"] == QUEUE
        assert allow["Condition"] == {
            "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"},
            "StringEquals": {"aws:SourceAccount": AUDIT},
        }

    def test_other_senders_are_denied(self):
        deny = by_sid(policies.siem_queue_policy(QUEUE, BUCKET))["TrailguardDenyOtherSenders"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "sqs:SendMessage"
        assert deny["Condition"] == {"ArnNotLike": {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}}


class TestSiemKeyPolicy:
    def test_s3_encrypts_only_for_the_queues(self):
        statements = by_sid(policies.siem_key_policy(AUDIT, [QUEUE, DLQ]))
        assert set(statements) == {"TrailguardKeyAdministration", "TrailguardS3EncryptNotifications"}
        s3 = statements["TrailguardS3EncryptNotifications"]
        assert s3["Principal"] == {"Service": "s3.amazonaws.com"}
        assert s3["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert s3["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:sqs:arn": [QUEUE, DLQ]}}
        assert statements["TrailguardKeyAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{AUDIT}:root"}


class TestSiemConsumerTrust:
    def test_one_principal_with_the_external_id(self):
        policy = policies.siem_consumer_trust(VENDOR, "ext-1234")
        (trust,) = policy["Statement"]
        assert trust == {
            "Sid": "TrailguardSiemAssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "ext-1234"}},
        }

    def test_several_principals_are_sorted_and_deduplicated(self):
        other = "arn:aws:iam::888888888888:root"
        (trust,) = policies.siem_consumer_trust([VENDOR, other, VENDOR], "x-1")["Statement"]
        assert trust["Principal"] == {"AWS": [other, VENDOR]}


class TestSiemConsumerPolicy:
    @pytest.fixture
    def statements(self):
        return by_sid(policies.siem_consumer_policy(QUEUE, BUCKET, ORG, LOG_KEY, SIEM_KEY))

    def test_reads_only_the_one_queue(self, statements):
        read = statements["TrailguardReadQueue"]
        assert read["Action"] == [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",  # the Splunk Add-on for AWS and Logstash's SQS inputs look the queue up first
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
        ]
        assert read["Resource"] == QUEUE and "Principal" not in read

    def test_reads_only_the_organization_log_prefix(self, statements):
        assert statements["TrailguardReadLogs"]["Action"] == "s3:GetObject"
        assert statements["TrailguardReadLogs"]["Resource"] == f"arn:aws:s3:::{BUCKET}/AWSLogs/{ORG}/*"

    def test_key_prefix_goes_before_awslogs(self):
        statements = by_sid(policies.siem_consumer_policy(QUEUE, BUCKET, ORG, LOG_KEY, SIEM_KEY, key_prefix="/org/"))
        assert statements["TrailguardReadLogs"]["Resource"] == f"arn:aws:s3:::{BUCKET}/org/AWSLogs/{ORG}/*"

    def test_decrypts_each_key_only_through_its_service(self, statements):
        logs, messages = statements["TrailguardDecryptLogsThroughS3"], statements["TrailguardDecryptMessagesThroughSqs"]
        assert logs["Action"] == messages["Action"] == "kms:Decrypt"
        assert logs["Resource"] == LOG_KEY
        assert logs["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
        assert messages["Resource"] == SIEM_KEY
        assert messages["Condition"] == {"StringEquals": {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}}

    def test_nothing_else(self, statements):
        assert set(statements) == {
            "TrailguardReadQueue",
            "TrailguardReadLogs",
            "TrailguardDecryptLogsThroughS3",
            "TrailguardDecryptMessagesThroughSqs",
        }
        assert not any(s["Effect"] == "Deny" or "*" in json.dumps(s["Action"]) for s in statements.values())


class TestMfaRequiredPolicy:
    def test_denies_everything_but_mfa_set_up_without_mfa(self):
        (deny,) = policies.mfa_required_policy()["Statement"]
        assert deny["Sid"] == "TrailguardDenyWithoutMFA" and deny["Effect"] == "Deny" and deny["Resource"] == "*"
        assert "Action" not in deny
        assert "sts:GetSessionToken" in deny["NotAction"] and "iam:EnableMFADevice" in deny["NotAction"]
        assert not any(action.startswith("cloudtrail:") for action in deny["NotAction"])
        assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}

    def test_extra_actions_are_added_once(self):
        (deny,) = policies.mfa_required_policy(["iam:GetUser", "iam:ListUsers"])["Statement"]
        assert deny["NotAction"] == sorted(set(policies.MFA_SELF_SERVICE_ACTIONS) | {"iam:ListUsers"})


class TestConfigBucketStatements:
    def test_config_of_the_organization_checks_and_writes_only_its_own_prefix(self):
        statements = by_sid(policies.config_bucket_statements(ORG, BUCKET))
        in_org = {"aws:SourceOrgID": ORG}
        acl, listing, write = (
            statements["TrailguardConfigAclCheck"],
            statements["TrailguardConfigBucketExistenceCheck"],
            statements["TrailguardConfigWrite"],
        )
        for each in (acl, listing, write):
            assert each["Principal"] == {"Service": "config.amazonaws.com"} and each["Effect"] == "Allow"
        assert acl["Action"] == "s3:GetBucketAcl" and acl["Resource"] == f"arn:aws:s3:::{BUCKET}"
        assert acl["Condition"] == listing["Condition"] == {"StringEquals": in_org}
        assert listing["Action"] == "s3:ListBucket"
        assert write["Action"] == "s3:PutObject"
        assert write["Resource"] == f"arn:aws:s3:::{BUCKET}/AWSLogs/${{aws:SourceAccount}}/Config/*"
        assert write["Condition"] == {"StringEquals": dict(in_org, **{"s3:x-amz-acl": "bucket-owner-full-control"})}

    def test_key_prefix(self):
        write = by_sid(policies.config_bucket_statements(ORG, BUCKET, key_prefix="org"))["TrailguardConfigWrite"]
        assert write["Resource"] == f"arn:aws:s3:::{BUCKET}/org/AWSLogs/${{aws:SourceAccount}}/Config/*"

    def test_part_of_the_bucket_policy_when_asked_and_replaced_on_the_next_run(self):
        args = (BUCKET, ORG, MGMT, f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/t")
        plain = by_sid(policies.audit_bucket_policy(*args))
        ours = policies.audit_bucket_policy(*args, config_delivery=True)
        added = {sid: s for sid, s in by_sid(ours).items() if sid not in plain}
        assert added == by_sid(policies.config_bucket_statements(ORG, BUCKET))
        assert policies.merge_policy(ours, ours) == ours


def test_config_kms_key_statement():
    (use,) = policies.config_kms_key_statements(ORG)
    assert use["Sid"] == "TrailguardConfigUseKey"
    assert use["Principal"] == {"Service": "config.amazonaws.com"}
    assert use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert use["Condition"] == {"StringEquals": {"aws:SourceOrgID": ORG}}
    trail = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/t"
    args = dict(organization_id=ORG, management_account_id=MGMT, trail_arn=trail)
    assert "TrailguardConfigUseKey" not in by_sid(policies.kms_key_policy(AUDIT, region=REGION, **args))
    with_config = by_sid(policies.kms_key_policy(AUDIT, region=REGION, config_delivery=True, **args))
    assert with_config["TrailguardConfigUseKey"] == use


class TestConfigRecorderDeliveryPolicy:
    def test_the_recorder_role_writes_only_its_accounts_prefix_and_uses_the_key_through_s3(self):
        statements = by_sid(policies.config_recorder_delivery_policy(BUCKET, AUDIT, LOG_KEY))
        check, write, key = (
            statements["TrailguardConfigCheckBucket"],
            statements["TrailguardConfigDeliverToOwnPrefix"],
            statements["TrailguardConfigEncryptThroughS3"],
        )
        assert all("Principal" not in each for each in statements.values())  # an identity policy
        assert check["Action"] == ["s3:GetBucketAcl", "s3:ListBucket"] and check["Resource"] == f"arn:aws:s3:::{BUCKET}"
        assert "Condition" not in check
        assert write["Action"] == "s3:PutObject"
        assert write["Resource"] == f"arn:aws:s3:::{BUCKET}/AWSLogs/{AUDIT}/Config/*"
        assert write["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
        assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"] and key["Resource"] == LOG_KEY
        assert key["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}

    def test_no_acl_writes(self):
        """The bucket's ACLs are disabled and the log-archive SCP denies s3:PutObjectAcl: the role never needs it."""
        text = json.dumps(policies.config_recorder_delivery_policy(BUCKET, AUDIT, LOG_KEY))
        assert "PutObjectAcl" not in text and "s3:*" not in text

    def test_key_prefix_and_partition_come_from_the_arguments(self):
        gov_key = LOG_KEY.replace("arn:aws:", "arn:aws-us-gov:").replace(REGION, "us-gov-west-1")
        statements = by_sid(policies.config_recorder_delivery_policy(BUCKET, AUDIT, gov_key, key_prefix="/org/"))
        assert statements["TrailguardConfigDeliverToOwnPrefix"]["Resource"] == (
            f"arn:aws-us-gov:s3:::{BUCKET}/org/AWSLogs/{AUDIT}/Config/*"
        )
        assert statements["TrailguardConfigEncryptThroughS3"]["Condition"]["StringEquals"] == {
            "kms:ViaService": "s3.us-gov-west-1.amazonaws.com"
        }
