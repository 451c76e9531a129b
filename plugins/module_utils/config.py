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

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import propagation_retry

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


def recorder_refusal(code, arguments):
    """Why AWS Config refuses a recorder with `code` when waiting for a new role to propagate did not help, or None."""
    if code != "InvalidRoleException":
        return None
    role = (arguments.get("recorder") or {}).get("roleARN") or "the recorder's role"
    return (
        f"AWS Config cannot use role {role}: it must exist and its trust policy must allow config.amazonaws.com "
        "(sts:AssumeRole)."
    )


@propagation_retry(recorder_refusal)
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


@ConfigErrorHandler.common_error_handler("describe configuration recorders")
@config_retry
def recorder_names(client):
    """The names of the account's configuration recorders in the region (AWS allows one)."""
    return [recorder["name"] for recorder in client.describe_configuration_recorders()["ConfigurationRecorders"]]


@ConfigErrorHandler.common_error_handler("describe delivery channels")
@config_retry
def delivery_channel_names(client):
    """The names of the account's delivery channels in the region (AWS allows one)."""
    return [channel["name"] for channel in client.describe_delivery_channels()["DeliveryChannels"]]


def one_per_region_error(kind, option, wanted, existing, region):
    """Why a `kind` named `wanted` cannot be put: the region already has one under another name; else None.

    AWS Config allows one configuration recorder and one delivery channel per account and region: putting a second
    fails with MaxNumberOfConfigurationRecordersExceededException (MaxNumberOfDeliveryChannelsExceededException).
    AWS Control Tower, for one, makes aws-controltower-BaselineConfigRecorder in every account it governs.
    """
    others = sorted(set(existing) - {wanted})
    if not others:
        return None
    return (
        f"This account already has an AWS Config {kind} in {region}, {others[0]!r}, and AWS Config allows only one "
        f"per account and region, so {wanted!r} cannot be created; nothing was changed. To manage the existing one, "
        f"set {option} to {others[0]!r}; if another tool owns it (AWS Control Tower's names start with "
        "aws-controltower-), leave AWS Config in this account to that tool."
    )
