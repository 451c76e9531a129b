# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the KMS key reads, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into
AnsibleKMSError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleKMSError`. describe_kms_key returns None when the key is missing.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# KMS throttles with ThrottlingException, which is not in AWSRetry's default list.
kms_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])


class AnsibleKMSError(AnsibleAWSError):
    pass


class KMSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleKMSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


@KMSErrorHandler.list_error_handler("describe KMS key")
@kms_retry
def describe_kms_key(client, key_id):
    """KeyMetadata of the key that a key ID, key ARN, alias or alias ARN names, or None."""
    return client.describe_key(KeyId=key_id)["KeyMetadata"]


@KMSErrorHandler.common_error_handler("describe the default encryption key")
@kms_retry
def describe_encryption_key(client, key_id):
    """The KMS key's metadata; None when KMS does not find it, {} when this account may not describe it."""
    try:
        return client.describe_key(KeyId=key_id)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None
    except is_boto3_error_code("AccessDeniedException"):
        return {}


@KMSErrorHandler.common_error_handler("get key rotation status")
@kms_retry
def get_key_rotation_status(client, key_id):
    return client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]


@KMSErrorHandler.common_error_handler("get key policy")
@kms_retry
def get_key_policy(client, key_id):
    return json.loads(client.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
