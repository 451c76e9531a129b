"""Print what the siem_kit role made, as JSON, and show S3 feeding the queue end to end.

Reads both queues' attributes, the bucket's notification configuration and the consumer role's trust (the
external ID it holds is compared with $SCENARIO_EXTERNAL_ID, never printed). Then puts one object under the
organization's log prefix and one outside it, and receives what each queue got.

The scenario's independent read-back. Talks only to the emulator: boto3 takes AWS_ENDPOINT_URL from the
environment. Usage: read_siem.py <bucket> <queue> <dead-letter queue> <log prefix> <other queue> <other prefix> <role>
"""

import json
import os
import sys
from urllib.parse import unquote_plus

import boto3

ATTRIBUTES = ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "VisibilityTimeout", "MessageRetentionPeriod"]


def queue(sqs, name):
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    result = {key: attributes.get(key) for key in ATTRIBUTES}
    for key in ("RedrivePolicy", "Policy"):
        result[key] = json.loads(attributes[key]) if key in attributes else None
    return url, result


def created_keys(sqs, url):
    """The object keys of every s3:ObjectCreated:* record on the queue (the S3 test event is left out).

    S3 URL-encodes the key in event notifications, as every consumer must know.
    """
    keys = []
    for _attempt in range(3):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):
                if record["eventName"].startswith("ObjectCreated:"):
                    keys.append(unquote_plus(record["s3"]["object"]["key"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(keys)


def main(bucket, queue_name, dlq_name, log_prefix, other_queue, other_prefix, role_name):
    sqs, s3, iam = boto3.client("sqs"), boto3.client("s3"), boto3.client("iam")
    url, queue_attributes = queue(sqs, queue_name)
    _dlq_url, dlq_attributes = queue(sqs, dlq_name)
    other_url = sqs.get_queue_url(QueueName=other_queue)["QueueUrl"]
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])

    (trust,) = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    condition = trust.get("Condition", {})
    trust_summary = {
        "effect": trust["Effect"],
        "principal": trust["Principal"],
        "action": trust["Action"],
        "condition_keys": sorted(f"{op}:{key}" for op, keys in condition.items() for key in keys),
        "external_id_matches": condition.get("StringEquals", {}).get("sts:ExternalId") == os.environ["SCENARIO_EXTERNAL_ID"],
    }

    # Drain what is already queued (S3's test events), then put one object inside and one outside the prefix.
    created_keys(sqs, url)
    created_keys(sqs, other_url)
    log_key = f"{log_prefix}111111111111/CloudTrail/us-east-1/2026/11/22/111111111111_CloudTrail_us-east-1_x.json.gz"
    other_key = f"{other_prefix}report.csv"
    s3.put_object(Bucket=bucket, Key=log_key, Body=b"{}")
    s3.put_object(Bucket=bucket, Key=other_key, Body=b"x")
    print(
        json.dumps(
            {
                "queue": queue_attributes,
                "queue_url": url,
                "dead_letter_queue": dlq_attributes,
                "notifications": notifications,
                "trust": trust_summary,
                "put": {"log": log_key, "other": other_key},
                "received": {"queue": created_keys(sqs, url), "other": created_keys(sqs, other_url)},
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
