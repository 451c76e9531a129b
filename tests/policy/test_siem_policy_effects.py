"""What the monitoring policies let through, and what they stop.

- the SIEM consumer role: it can read the logs and the queue and nothing else; another principal cannot;
  a wrong or missing external ID cannot assume it;
- the SIEM queue and its key: only S3, for the log bucket, can send;
- the alarm topic and its key: only CloudWatch and EventBridge of the management account can publish;
- the access groups' MFA policy: nothing but MFA set-up without MFA.

Unlike the other effect tests, the SIEM consumer's cases give the principal its real identity policy
(siem_consumer_policy) instead of AdministratorAccess, since what that policy allows is the point. In the
log-archive account a request is allowed by the identity policy or the resource policy, so a denial there names both
layers when both are silent.
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
from iam_simulation import MEMBER_B
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
from iam_simulation import user_with_access_key

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
OTHER_BUCKET_ARN = f"arn:aws:s3:::some-other-bucket-{LOG_ARCHIVE}"
LOG_OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/CloudTrail/{REGION}/2026/11/22/trail.json.gz"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{LOG_ARCHIVE}:trailguard-siem-cloudtrail"
DLQ_ARN = f"{QUEUE_ARN}-dlq"
OTHER_QUEUE_ARN = f"arn:aws:sqs:{REGION}:{LOG_ARCHIVE}:payments-orders"
SIEM_KEY_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/5a1e0c2b-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
CONSUMER_ROLE_ARN = f"arn:aws:iam::{LOG_ARCHIVE}:role/TrailguardSiemConsumer"
VENDOR_ARN = f"arn:aws:iam::{FOREIGN}:role/siem-reader"
EXTERNAL_ID = "3c1f0e9a-siem-external-id"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{MGMT}:trailguard-security-alarms"
TOPIC_KEY_ARN = f"arn:aws:kms:{REGION}:{MGMT}:key/7c6b5a49-3d2e-4f1a-9b8c-7d6e5f4a3b2c"
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
VIA_SQS = {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}

BUCKET_POLICY = policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN)
TRAIL_KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION)
QUEUE_POLICY = policies.siem_queue_policy(QUEUE_ARN, BUCKET)
SIEM_KEY_POLICY = policies.siem_key_policy(LOG_ARCHIVE, [QUEUE_ARN, DLQ_ARN])
CONSUMER_POLICY = policies.siem_consumer_policy(QUEUE_ARN, BUCKET, ORG_ID, KEY_ARN, SIEM_KEY_ARN)
TRUST_POLICY = policies.siem_consumer_trust(VENDOR_ARN, EXTERNAL_ID)
TOPIC_POLICY = policies.alarm_topic_policy(TOPIC_ARN)
TOPIC_KEY_POLICY = policies.alarm_topic_key_policy(MGMT, TOPIC_ARN)
MFA_POLICY = {"name": "TrailguardRequireMFA", "policy": policies.mfa_required_policy()}
CLOUDTRAIL_FULL_ACCESS = {  # a stand-in for AWSCloudTrail_FullAccess: the group's grant
    "name": "AWSCloudTrail_FullAccess",
    "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
}


def service(name, source_arn, source_account):
    """The AWS service `name` acting for `source_arn` in `source_account` (an S3 ARN names no account)."""
    context = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": name,
        "aws:SourceArn": source_arn,
        "aws:SourceAccount": source_account,
    }
    return Principal(name, context, service=True)


def with_identity(item, *identity_policies):
    """The request `item` made by a principal whose only identity policies are `identity_policies`."""
    item["simulation"]["identityPolicies"] = list(identity_policies)
    return item


CONSUMER = role(LOG_ARCHIVE, "TrailguardSiemConsumer")
CONSUMER_IDENTITY = {"name": "TrailguardSiemConsumer", "policy": CONSUMER_POLICY}


def consumer(action, resource, resource_policy=None, context=None):
    return with_identity(
        request(CONSUMER, action, resource, LOG_ARCHIVE, resource_policy=resource_policy, context=context),
        CONSUMER_IDENTITY,
    )


CONSUMER_CASES = [
    Case("consumer reads a log object", consumer("s3:GetObject", LOG_OBJECT, BUCKET_POLICY), ALLOWED),
    Case(
        "consumer reads outside the organization prefix",
        consumer("s3:GetObject", f"{BUCKET_ARN}/AWSLogs/{MGMT}/CloudTrail/x.json.gz", BUCKET_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "consumer writes a log object",
        consumer("s3:PutObject", LOG_OBJECT, BUCKET_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "consumer deletes a log object",
        consumer("s3:DeleteObject", LOG_OBJECT, BUCKET_POLICY),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyDeletesWithoutMFA",
    ),
    Case(
        "consumer lists the bucket",
        consumer("s3:ListBucket", BUCKET_ARN, BUCKET_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case("consumer receives from the queue", consumer("sqs:ReceiveMessage", QUEUE_ARN, QUEUE_POLICY), ALLOWED),
    Case("consumer deletes a message", consumer("sqs:DeleteMessage", QUEUE_ARN, QUEUE_POLICY), ALLOWED),
    Case(
        "consumer extends a message's visibility",
        consumer("sqs:ChangeMessageVisibility", QUEUE_ARN, QUEUE_POLICY),
        ALLOWED,
    ),
    # The Splunk Add-on for AWS and Logstash's SQS inputs look the queue up before they receive.
    Case(
        "consumer gets the queue's URL",
        consumer("sqs:GetQueueUrl", QUEUE_ARN, QUEUE_POLICY),
        ALLOWED,
        sid="TrailguardReadQueue",
    ),
    Case(
        "consumer reads the queue's attributes",
        consumer("sqs:GetQueueAttributes", QUEUE_ARN, QUEUE_POLICY),
        ALLOWED,
        sid="TrailguardReadQueue",
    ),
    Case(
        "consumer gets another queue's URL",
        consumer("sqs:GetQueueUrl", OTHER_QUEUE_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer reads another queue's attributes",
        consumer("sqs:GetQueueAttributes", OTHER_QUEUE_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer reads the dead-letter queue's attributes",
        consumer("sqs:GetQueueAttributes", DLQ_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer changes the queue's attributes",
        consumer("sqs:SetQueueAttributes", QUEUE_ARN, QUEUE_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "consumer sends to the queue",
        consumer("sqs:SendMessage", QUEUE_ARN, QUEUE_POLICY),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherSenders",
    ),
    Case(
        "consumer purges the queue",
        consumer("sqs:PurgeQueue", QUEUE_ARN, QUEUE_POLICY),
        IMPLICIT,
        denied_by={"identity", "resource"},
    ),
    Case(
        "consumer reads the dead-letter queue",
        consumer("sqs:ReceiveMessage", DLQ_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer decrypts logs through S3",
        consumer("kms:Decrypt", KEY_ARN, TRAIL_KEY_POLICY, VIA_S3),
        ALLOWED,
        sid="TrailguardDecryptLogsThroughS3",
    ),
    Case(
        "consumer decrypts with the log key directly",
        consumer("kms:Decrypt", KEY_ARN, TRAIL_KEY_POLICY),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer decrypts with the log key through SQS",
        consumer("kms:Decrypt", KEY_ARN, TRAIL_KEY_POLICY, VIA_SQS),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer decrypts messages through SQS",
        consumer("kms:Decrypt", SIEM_KEY_ARN, SIEM_KEY_POLICY, VIA_SQS),
        ALLOWED,
        sid="TrailguardDecryptMessagesThroughSqs",
    ),
    Case(
        "consumer decrypts with the queue key through S3",
        consumer("kms:Decrypt", SIEM_KEY_ARN, SIEM_KEY_POLICY, VIA_S3),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer encrypts with the queue key",
        consumer("kms:GenerateDataKey", SIEM_KEY_ARN, SIEM_KEY_POLICY, VIA_SQS),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer stops the trail",
        consumer("cloudtrail:StopLogging", TRAIL_ARN),
        IMPLICIT,
        denied_by={"identity"},
    ),
    Case(
        "consumer reads another bucket",
        consumer("s3:GetObject", f"{OTHER_BUCKET_ARN}/x"),
        IMPLICIT,
        denied_by={"identity"},
    ),
]

OTHER_PRINCIPAL_CASES = [
    Case(
        "member account admin receives from the queue",
        request(role(MEMBER_A), "sqs:ReceiveMessage", QUEUE_ARN, LOG_ARCHIVE, resource_policy=QUEUE_POLICY),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "foreign principal receives from the queue",
        request(
            role(FOREIGN, org_id=FOREIGN_ORG_ID),
            "sqs:ReceiveMessage",
            QUEUE_ARN,
            LOG_ARCHIVE,
            resource_policy=QUEUE_POLICY,
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "foreign principal reads a log object",
        request(
            role(FOREIGN, org_id=FOREIGN_ORG_ID), "s3:GetObject", LOG_OBJECT, LOG_ARCHIVE, resource_policy=BUCKET_POLICY
        ),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOutsideOrganization",
    ),
    Case(
        "member account admin reads another member's logs",
        request(
            role(MEMBER_B),
            "s3:GetObject",
            LOG_OBJECT,
            LOG_ARCHIVE,
            resource_policy=BUCKET_POLICY,
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "member account admin decrypts with the queue key",
        request(
            role(MEMBER_A), "kms:Decrypt", SIEM_KEY_ARN, LOG_ARCHIVE, resource_policy=SIEM_KEY_POLICY, context=VIA_SQS
        ),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def assume(principal, external_id=None):
    context = {"sts:ExternalId": external_id} if external_id is not None else {}
    return request(
        principal, "sts:AssumeRole", CONSUMER_ROLE_ARN, LOG_ARCHIVE, resource_policy=TRUST_POLICY, context=context
    )


VENDOR = role(FOREIGN, "siem-reader", org_id=FOREIGN_ORG_ID)
TRUST_CASES = [
    Case(
        "vendor assumes the role with the external ID",
        assume(VENDOR, EXTERNAL_ID),
        ALLOWED,
        sid="TrailguardSiemAssumeRole",
    ),
    Case(
        "vendor assumes the role with a wrong external ID", assume(VENDOR, "guessed"), IMPLICIT, denied_by={"resource"}
    ),
    Case("vendor assumes the role without an external ID", assume(VENDOR), IMPLICIT, denied_by={"resource"}),
    Case(
        "another role of the vendor's account assumes the role with the external ID",
        assume(role(FOREIGN, "other", org_id=FOREIGN_ORG_ID), EXTERNAL_ID),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "a member account admin assumes the role with the external ID",
        assume(role(MEMBER_A), EXTERNAL_ID),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def send(principal):
    return request(principal, "sqs:SendMessage", QUEUE_ARN, LOG_ARCHIVE, resource_policy=QUEUE_POLICY)


S3 = "s3.amazonaws.com"
QUEUE_CASES = [
    Case(
        "S3 notifies for the log bucket",
        send(service(S3, BUCKET_ARN, LOG_ARCHIVE)),
        ALLOWED,
        sid="TrailguardLogBucketNotifications",
    ),
    Case(
        "S3 notifies for another bucket",
        send(service(S3, OTHER_BUCKET_ARN, LOG_ARCHIVE)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherSenders",
    ),
    Case(
        "S3 notifies for the log bucket name in another account",
        send(service(S3, BUCKET_ARN, FOREIGN)),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "the log-archive account's admin sends",
        send(role(LOG_ARCHIVE)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherSenders",
    ),
    Case(
        "SNS sends, claiming the log bucket",
        send(service("sns.amazonaws.com", BUCKET_ARN, LOG_ARCHIVE)),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def queue_key(principal, action, queue_arn):
    context = {"kms:EncryptionContext:aws:sqs:arn": queue_arn}
    return request(principal, action, SIEM_KEY_ARN, LOG_ARCHIVE, resource_policy=SIEM_KEY_POLICY, context=context)


QUEUE_KEY_CASES = [
    Case(
        "S3 encrypts for the queue",
        queue_key(service(S3, BUCKET_ARN, LOG_ARCHIVE), "kms:GenerateDataKey", QUEUE_ARN),
        ALLOWED,
    ),
    Case(
        "S3 encrypts for another queue",
        queue_key(service(S3, BUCKET_ARN, LOG_ARCHIVE), "kms:GenerateDataKey", f"{QUEUE_ARN}-other"),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def publish(principal):
    return request(principal, "sns:Publish", TOPIC_ARN, MGMT, resource_policy=TOPIC_POLICY)


CLOUDWATCH, EVENTBRIDGE = "cloudwatch.amazonaws.com", "events.amazonaws.com"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:{MGMT}:alarm:trailguard-cis-root-account-usage"
RULE_ARN = f"arn:aws:events:{REGION}:{MGMT}:rule/trailguard-cloudtrail-tampering"
TOPIC_CASES = [
    Case(
        "a CloudWatch alarm of the account publishes",
        publish(service(CLOUDWATCH, ALARM_ARN, MGMT)),
        ALLOWED,
        sid="TrailguardCloudWatchAlarmsPublish",
    ),
    Case(
        "an EventBridge rule of the account publishes",
        publish(service(EVENTBRIDGE, RULE_ARN, MGMT)),
        ALLOWED,
        sid="TrailguardEventBridgeRulesPublish",
    ),
    Case(
        "a CloudWatch alarm of a member account publishes",
        publish(service(CLOUDWATCH, ALARM_ARN.replace(MGMT, MEMBER_A), MEMBER_A)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherPublishers",
    ),
    Case(
        "an EventBridge rule of a foreign account publishes",
        publish(service(EVENTBRIDGE, RULE_ARN.replace(MGMT, FOREIGN), FOREIGN)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherPublishers",
    ),
    Case(
        "EventBridge publishes for something that is not a rule",
        publish(service(EVENTBRIDGE, f"arn:aws:events:{REGION}:{MGMT}:event-bus/default", MGMT)),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "the management account's admin publishes",
        publish(role(MGMT)),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyOtherPublishers",
    ),
    Case(
        "S3 of the account publishes",
        publish(service(S3, BUCKET_ARN, MGMT)),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def topic_key(principal, topic_arn=TOPIC_ARN):
    context = {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}
    return request(
        principal, "kms:GenerateDataKey", TOPIC_KEY_ARN, MGMT, resource_policy=TOPIC_KEY_POLICY, context=context
    )


TOPIC_KEY_CASES = [
    Case("CloudWatch encrypts for the topic", topic_key(service(CLOUDWATCH, ALARM_ARN, MGMT)), ALLOWED),
    Case("EventBridge encrypts for the topic", topic_key(service(EVENTBRIDGE, RULE_ARN, MGMT)), ALLOWED),
    Case(
        "CloudWatch encrypts for another topic",
        topic_key(service(CLOUDWATCH, ALARM_ARN, MGMT), f"{TOPIC_ARN}-other"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "CloudWatch of another account encrypts for the topic",
        topic_key(service(CLOUDWATCH, ALARM_ARN.replace(MGMT, FOREIGN), FOREIGN)),
        IMPLICIT,
        denied_by={"resource"},
    ),
]


def group_member(principal, action, resource):
    return with_identity(request(principal, action, resource, MGMT), CLOUDTRAIL_FULL_ACCESS, MFA_POLICY)


ALICE = f"arn:aws:iam::{MGMT}:user/alice"
MFA_CASES = [
    Case(
        "administrator with MFA stops a trail",
        group_member(role(MGMT, "alice-mfa", mfa=True), "cloudtrail:StopLogging", TRAIL_ARN),
        ALLOWED,
    ),
    Case(
        "administrator session without MFA stops a trail",
        group_member(role(MGMT, "alice-mfa", mfa=False), "cloudtrail:StopLogging", TRAIL_ARN),
        EXPLICIT,
        denied_by={"identity"},
        sid="TrailguardDenyWithoutMFA",
    ),
    Case(
        "administrator's access key (no MFA) reads trails",
        group_member(user_with_access_key(MGMT, "alice"), "cloudtrail:DescribeTrails", "*"),
        EXPLICIT,
        denied_by={"identity"},
        sid="TrailguardDenyWithoutMFA",
    ),
    Case(
        "administrator's access key sets up MFA",
        group_member(user_with_access_key(MGMT, "alice"), "iam:EnableMFADevice", ALICE),
        ALLOWED,
    ),
    Case(
        "administrator's access key gets an MFA session",
        group_member(user_with_access_key(MGMT, "alice"), "sts:GetSessionToken", "*"),
        ALLOWED,
    ),
]

CASES = (
    CONSUMER_CASES
    + OTHER_PRINCIPAL_CASES
    + TRUST_CASES
    + QUEUE_CASES
    + QUEUE_KEY_CASES
    + TOPIC_CASES
    + TOPIC_KEY_CASES
    + MFA_CASES
)


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_monitoring_policy_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_the_consumer_policy_grants_only_what_the_kit_needs(simulate):
    """The consumer's policy names exactly these IAM actions (as the simulator's catalogue spells them)."""
    named = sorted(
        {
            action
            for statement in CONSUMER_POLICY["Statement"]
            for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        }
    )
    (result,) = simulate([{"expand": named}])
    assert {pattern: result["expanded"][pattern] for pattern in named} == {action: [action] for action in named}
    assert named == [
        "kms:Decrypt",
        "s3:GetObject",
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ]
