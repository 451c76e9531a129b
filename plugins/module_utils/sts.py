# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The STS calls the modules make, in the style of amazon.aws's iam.py: any botocore error becomes
AnsibleSTSError("Failed to <operation>")."""

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class AnsibleSTSError(AnsibleAWSError):
    pass


class STSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSTSError


@STSErrorHandler.common_error_handler("get caller identity")
@AWSRetry.jittered_backoff()
def get_caller_identity(client):
    """The caller's Account, Arn and UserId."""
    return client.get_caller_identity()


@STSErrorHandler.common_error_handler("assume role")
@AWSRetry.jittered_backoff()
def assume_role(client, role_arn, session_name, duration_seconds):
    """AssumeRole's answer: Credentials, AssumedRoleUser and PackedPolicySize."""
    return client.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds)
