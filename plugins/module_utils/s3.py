# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the S3 bucket APIs, in the style of amazon.aws's iam.py,
plus the pure helpers the s3_bucket_logging and s3_bucket_settings modules build on.

Logging uses only GetBucketLogging and PutBucketLogging, never an ACL call: log
delivery to a target bucket with Object Ownership BucketOwnerEnforced is granted
by the target bucket's policy, and S3 refuses ACL changes on such a bucket.

Every wrapper retries throttling and turns any other botocore error into
AnsibleS3Error("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleS3Error`. A getter returns None when the bucket is missing, and
the value S3 means by "not configured" when the setting was never set.
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# S3 answers OperationAborted while another change to the same bucket is in progress, and, just after
# CreateBucket, NoSuchBucket until the new bucket is visible everywhere: both are retried by the writes.
# The reads do not retry NoSuchBucket, which is how a missing bucket is found.
s3_write_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["OperationAborted", "NoSuchBucket"])


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


# ---------------------------------------------------------------- bucket settings (s3_bucket_settings)


@S3ErrorHandler.list_error_handler("get bucket location")
@AWSRetry.jittered_backoff()
def get_bucket_region(client, bucket):
    """The bucket's region, or None when it does not exist (S3 answers no constraint for us-east-1, EU for eu-west-1)."""
    constraint = client.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)


@S3ErrorHandler.common_error_handler("create bucket")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["OperationAborted"])
def create_bucket(client, bucket, region, object_lock_enabled):
    """Create the bucket in `region`; Object Lock can only be turned on here."""
    parameters = {"Bucket": bucket}
    # us-east-1 is S3's default location and takes no constraint.
    if region != "us-east-1":
        parameters["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if object_lock_enabled:
        parameters["ObjectLockEnabledForBucket"] = True
    client.create_bucket(**parameters)
    return True


@S3ErrorHandler.list_error_handler("get object lock configuration")
@AWSRetry.jittered_backoff()
def get_object_lock_configuration(client, bucket):
    """The ObjectLockConfiguration ({} when Object Lock is off), or None when the bucket does not exist."""
    try:
        return client.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
    except is_boto3_error_code("ObjectLockConfigurationNotFoundError"):
        return {}


@S3ErrorHandler.common_error_handler("put object lock configuration")
@s3_write_retry
def put_object_lock_configuration(client, bucket, configuration):
    client.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=configuration)
    return True


@S3ErrorHandler.list_error_handler("get bucket versioning")
@AWSRetry.jittered_backoff()
def get_bucket_versioning(client, bucket):
    """Status (Enabled or Suspended) and MFADelete, each only when set; None when the bucket does not exist."""
    response = client.get_bucket_versioning(Bucket=bucket)
    return {key: response[key] for key in ("Status", "MFADelete") if key in response}


@S3ErrorHandler.common_error_handler("put bucket versioning")
@s3_write_retry
def put_bucket_versioning(client, bucket, status):
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    return True


@S3ErrorHandler.list_error_handler("get public access block")
@AWSRetry.jittered_backoff()
def get_public_access_block(client, bucket):
    """The PublicAccessBlockConfiguration ({} when none is set), or None when the bucket does not exist."""
    try:
        return client.get_public_access_block(Bucket=bucket).get("PublicAccessBlockConfiguration", {})
    except is_boto3_error_code("NoSuchPublicAccessBlockConfiguration"):
        return {}


@S3ErrorHandler.common_error_handler("put public access block")
@s3_write_retry
def put_public_access_block(client, bucket, configuration):
    client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=configuration)
    return True


@S3ErrorHandler.list_error_handler("get bucket ownership controls")
@AWSRetry.jittered_backoff()
def get_bucket_ownership(client, bucket):
    """The ObjectOwnership setting ("" when none is set), or None when the bucket does not exist."""
    try:
        rules = client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    except is_boto3_error_code("OwnershipControlsNotFoundError"):
        return ""
    return rules[0]["ObjectOwnership"] if rules else ""


@S3ErrorHandler.common_error_handler("put bucket ownership controls")
@s3_write_retry
def put_bucket_ownership(client, bucket, ownership):
    client.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
    return True


@S3ErrorHandler.list_error_handler("get bucket encryption")
@AWSRetry.jittered_backoff()
def get_bucket_encryption(client, bucket):
    """The first default-encryption rule ({} when none is set), or None when the bucket does not exist."""
    try:
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
        return {}
    return rules[0] if rules else {}


@S3ErrorHandler.common_error_handler("put bucket encryption")
@s3_write_retry
def put_bucket_encryption(client, bucket, rule):
    client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    return True


@S3ErrorHandler.list_error_handler("get bucket lifecycle configuration")
@AWSRetry.jittered_backoff()
def get_bucket_lifecycle(client, bucket):
    """The lifecycle configuration ({"Rules": []} when none is set), or None when the bucket does not exist."""
    try:
        answer = client.get_bucket_lifecycle_configuration(Bucket=bucket)
    except is_boto3_error_code("NoSuchLifecycleConfiguration"):
        return {"Rules": []}
    answer.pop("ResponseMetadata", None)
    return answer


@S3ErrorHandler.common_error_handler("put bucket lifecycle configuration")
@s3_write_retry
def put_bucket_lifecycle(client, bucket, rules, transition_default_minimum_object_size=None):
    """Replace the bucket's lifecycle rules; the default minimum size for transitions is kept when given."""
    parameters = {"Bucket": bucket, "LifecycleConfiguration": {"Rules": rules}}
    if transition_default_minimum_object_size:
        parameters["TransitionDefaultMinimumObjectSize"] = transition_default_minimum_object_size
    client.put_bucket_lifecycle_configuration(**parameters)
    return True


@S3ErrorHandler.common_error_handler("delete bucket lifecycle configuration")
@s3_write_retry
def delete_bucket_lifecycle(client, bucket):
    client.delete_bucket_lifecycle(Bucket=bucket)
    return True


@S3ErrorHandler.list_error_handler("get bucket tagging")
@AWSRetry.jittered_backoff()
def get_bucket_tags(client, bucket):
    """The bucket's tags as a dict ({} when it has none), or None when the bucket does not exist."""
    try:
        tag_set = client.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except is_boto3_error_code("NoSuchTagSet"):
        return {}
    return {tag["Key"]: tag["Value"] for tag in tag_set}


@S3ErrorHandler.common_error_handler("put bucket tagging")
@s3_write_retry
def put_bucket_tags(client, bucket, tags):
    """Replace the bucket's whole tag set; an empty dict removes every tag."""
    if tags:
        client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    else:
        client.delete_bucket_tagging(Bucket=bucket)
    return True


@S3ErrorHandler.list_error_handler("get bucket policy")
@AWSRetry.jittered_backoff()
def get_bucket_policy(client, bucket):
    """The bucket policy as a dict ({} when it has none), or None when the bucket does not exist."""
    try:
        return json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except is_boto3_error_code("NoSuchBucketPolicy"):
        return {}


@S3ErrorHandler.common_error_handler("put bucket policy")
@s3_write_retry
def put_bucket_policy(client, bucket, policy):
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return True


def statements_of(policy):
    """A policy's statements as a list (a single statement may be given as an object)."""
    statements = (policy or {}).get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def merge_owned_statements(current, ours, sid_prefix):
    """`ours` plus every statement of the `current` policy whose Sid does not start with `sid_prefix`.

    The statements a prefix owns are replaced as a set; everyone else's are kept as they are.
    """
    merged = dict(ours, Statement=statements_of(ours))
    merged["Statement"] += [
        statement for statement in statements_of(current) if not str(statement.get("Sid", "")).startswith(sid_prefix)
    ]
    return merged


def normalize_lifecycle_rule(rule):
    """A lifecycle rule without what S3 treats as absent: None, an empty prefix, and then empty elements.

    S3 may return a rule put with Filter {Prefix: ""} with or without that empty prefix, so both compare equal.
    """
    if isinstance(rule, dict):
        normalized = {}
        for key, value in rule.items():
            value = normalize_lifecycle_rule(value)
            if value is None or (key == "Prefix" and value == "") or value == {}:
                continue
            normalized[key] = value
        return normalized
    if isinstance(rule, list):
        return [normalize_lifecycle_rule(item) for item in rule]
    return rule
