# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the AWS Config recorder API, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into
AnsibleConfigError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleConfigError`. Getters return None and deleters False when the
recorder is missing.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# AWS Config throttles with ThrottlingException, which is not in AWSRetry's default list.
config_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])


class AnsibleConfigError(AnsibleAWSError):
    pass


class ConfigErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleConfigError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchConfigurationRecorderException")


@ConfigErrorHandler.list_error_handler("describe configuration recorder")
@config_retry
def describe_recorder(client, name):
    """The recorder (boto3 shape), or None."""
    return client.describe_configuration_recorders(ConfigurationRecorderNames=[name])["ConfigurationRecorders"][0]


@ConfigErrorHandler.list_error_handler("describe configuration recorder status")
@config_retry
def describe_recorder_status(client, name):
    """The recorder's status (boto3 shape), or None."""
    statuses = client.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    return statuses["ConfigurationRecordersStatus"][0]


@ConfigErrorHandler.common_error_handler("put configuration recorder")
@config_retry
def put_recorder(client, recorder):
    client.put_configuration_recorder(ConfigurationRecorder=recorder)
    return True


@ConfigErrorHandler.deletion_error_handler("delete configuration recorder")
@config_retry
def delete_recorder(client, name):
    client.delete_configuration_recorder(ConfigurationRecorderName=name)
    return True


@ConfigErrorHandler.common_error_handler("start configuration recorder")
@config_retry
def start_recorder(client, name):
    client.start_configuration_recorder(ConfigurationRecorderName=name)
    return True


@ConfigErrorHandler.common_error_handler("stop configuration recorder")
@config_retry
def stop_recorder(client, name):
    client.stop_configuration_recorder(ConfigurationRecorderName=name)
    return True


def normalize_recorder(recorder, status):
    """The recorder and its status in the module's snake_case shape; None when there is no recorder.

    Only the settings the module manages are returned, so that a comparison
    ignores fields AWS adds (recordingStrategy, exclusionByResourceTypes ...).
    """
    if not recorder:
        return None
    group = recorder.get("recordingGroup") or {}
    return {
        "name": recorder["name"],
        "role_arn": recorder.get("roleARN"),
        "all_supported": bool(group.get("allSupported", False)),
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes", False)),
        "resource_types": sorted(group.get("resourceTypes") or []),
        "recording": bool((status or {}).get("recording", False)),
    }
