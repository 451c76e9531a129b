# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The STS read every module starts with, in the style of amazon.aws's iam.py: any botocore error becomes
AnsibleSTSError("Failed to get caller identity")."""

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
