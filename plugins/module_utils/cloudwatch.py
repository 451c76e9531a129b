# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the CloudWatch Logs metric filter API and the CloudWatch
metric alarm API, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into
AnsibleCloudWatchError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleCloudWatchError`. describe_metric_filters returns None when the
log group does not exist; delete_metric_filter returns False when the filter is
already gone.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CloudWatch Logs throttles with ThrottlingException, and answers OperationAbortedException when two requests change
# the same log group at once; both are safe to retry.
cloudwatch_retry = AWSRetry.jittered_backoff(
    catch_extra_error_codes=["ThrottlingException", "OperationAbortedException", "ServiceUnavailableException"]
)

# DeleteAlarms takes at most 100 names a call (CloudWatch API Reference, DeleteAlarms).
MAX_ALARMS_PER_DELETE = 100


class AnsibleCloudWatchError(AnsibleAWSError):
    pass


class CloudWatchErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudWatchError

    @classmethod
    def _is_missing(cls):
        # CloudWatch Logs: a missing log group or filter. CloudWatch: a missing alarm.
        return is_boto3_error_code(["ResourceNotFoundException", "ResourceNotFound"])


# ---------------------------------------------------------------- CloudWatch Logs metric filters


@CloudWatchErrorHandler.list_error_handler("describe metric filters")
@cloudwatch_retry
def describe_metric_filters(client, log_group_name, name_prefix=None):
    """The metric filters of the log group (those whose names start with `name_prefix`, if given); None when the
    group is missing."""
    prefix = {"filterNamePrefix": name_prefix} if name_prefix else {}
    paginator = client.get_paginator("describe_metric_filters")
    result = paginator.paginate(logGroupName=log_group_name, **prefix).build_full_result()
    return result.get("metricFilters", [])


@CloudWatchErrorHandler.common_error_handler("put metric filter")
@cloudwatch_retry
def put_metric_filter(client, log_group_name, name, pattern, transformation):
    """Create or replace the filter `name`; `transformation` is its one metricTransformations entry."""
    client.put_metric_filter(
        logGroupName=log_group_name,
        filterName=name,
        filterPattern=pattern,
        metricTransformations=[transformation],
    )
    return True


@CloudWatchErrorHandler.deletion_error_handler("delete metric filter")
@cloudwatch_retry
def delete_metric_filter(client, log_group_name, name):
    client.delete_metric_filter(logGroupName=log_group_name, filterName=name)
    return True


# ---------------------------------------------------------------- CloudWatch metric alarms


@CloudWatchErrorHandler.common_error_handler("describe alarms")
@cloudwatch_retry
def describe_alarms(client, name_prefix):
    """The metric alarms whose names start with `name_prefix` (without AlarmTypes, AWS returns only those)."""
    paginator = client.get_paginator("describe_alarms")
    result = paginator.paginate(AlarmNamePrefix=name_prefix).build_full_result()
    return result.get("MetricAlarms", [])


@CloudWatchErrorHandler.common_error_handler("describe alarms")
@cloudwatch_retry
def describe_alarms_named(client, names):
    """The metric alarms with these names (DescribeAlarms takes at most 100 names a call)."""
    alarms = []
    for start in range(0, len(names), 100):
        paginator = client.get_paginator("describe_alarms")
        result = paginator.paginate(AlarmNames=names[start : start + 100], AlarmTypes=["MetricAlarm"])
        alarms += result.build_full_result().get("MetricAlarms", [])
    return alarms


@CloudWatchErrorHandler.common_error_handler("put metric alarm")
@cloudwatch_retry
def put_metric_alarm(client, alarm):
    """Create or replace an alarm; `alarm` holds PutMetricAlarm's parameters."""
    client.put_metric_alarm(**alarm)
    return True


@CloudWatchErrorHandler.common_error_handler("delete alarms")
@cloudwatch_retry
def delete_alarms(client, names):
    """Delete up to MAX_ALARMS_PER_DELETE alarms in one call."""
    client.delete_alarms(AlarmNames=names)
    return True
