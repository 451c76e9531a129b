# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the S3 bucket-logging API, in the style of amazon.aws's
iam.py, plus the pure helpers the s3_bucket_logging module builds on.

Only GetBucketLogging and PutBucketLogging are used, never an ACL call: log
delivery to a target bucket with Object Ownership BucketOwnerEnforced is granted
by the target bucket's policy, and S3 refuses ACL changes on such a bucket.

Every wrapper retries throttling and turns any other botocore error into
AnsibleS3Error("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleS3Error`. The getter returns None when the bucket is missing.
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleS3Error(AnsibleAWSError):
    pass


class S3ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleS3Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchBucket")


@S3ErrorHandler.list_error_handler("get bucket logging")
@AWSRetry.jittered_backoff()
def get_bucket_logging(client, bucket):
    """The bucket's LoggingEnabled ({} when logging is off), or None when the bucket does not exist."""
    return client.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})


@S3ErrorHandler.common_error_handler("put bucket logging")
@AWSRetry.jittered_backoff()
def put_bucket_logging(client, bucket, logging_enabled):
    """Turn server access logging on with `logging_enabled` (a LoggingEnabled dict), or off when it is empty."""
    status = {"LoggingEnabled": logging_enabled} if logging_enabled else {}
    client.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
    return True


def desired_logging(current, target_bucket, target_prefix):
    """The LoggingEnabled to put for `target_bucket` and `target_prefix`.

    A key format already set (TargetObjectKeyFormat) is kept, as the module does
    not manage it. Target grants are ACL grants: they are left out, so they are
    removed when the configuration is put.
    """
    desired = {"TargetBucket": target_bucket, "TargetPrefix": target_prefix}
    if current and "TargetObjectKeyFormat" in current:
        desired["TargetObjectKeyFormat"] = current["TargetObjectKeyFormat"]
    return desired


def normalize_logging(logging_enabled):
    """LoggingEnabled in snake_case, {} when logging is off or the bucket is missing."""
    return camel_dict_to_snake_dict(logging_enabled or {})
