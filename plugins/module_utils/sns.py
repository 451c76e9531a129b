# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the SNS topic API, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into
AnsibleSNSError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleSNSError`. get_topic_attributes returns None for a missing topic.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# SNS throttles with ThrottledException, which is not in AWSRetry's default list.
sns_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottledException"])


class AnsibleSNSError(AnsibleAWSError):
    pass


class SNSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSNSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFound")


@SNSErrorHandler.common_error_handler("list topics")
@sns_retry
def list_topic_arns(client):
    return [topic["TopicArn"] for topic in client.get_paginator("list_topics").paginate().build_full_result()["Topics"]]


@SNSErrorHandler.list_error_handler("get topic attributes")
@sns_retry
def get_topic_attributes(client, topic_arn):
    """The topic's attributes, or None when there is no such topic."""
    return client.get_topic_attributes(TopicArn=topic_arn)["Attributes"]


@SNSErrorHandler.common_error_handler("set topic attributes")
@sns_retry
def set_topic_attribute(client, topic_arn, name, value):
    client.set_topic_attributes(TopicArn=topic_arn, AttributeName=name, AttributeValue=value)
    return True


def find_topic_arn(client, name):
    """The ARN of the topic `name` (a name or an ARN), or None when there is no such topic."""
    if name.startswith("arn:"):
        return name if get_topic_attributes(client, name) is not None else None
    return next((arn for arn in list_topic_arns(client) if arn.split(":")[-1] == name), None)
