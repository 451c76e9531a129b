# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the CloudTrail API, in the style of amazon.aws's iam.py, plus the pure
helpers that turn CloudTrail's answers into the module's snake_case shapes.

Every wrapper retries throttling and turns any other botocore error into
AnsibleCloudTrailError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleCloudTrailError`. Getters return None (lists: []) and deleters
return False when the thing is missing. The calls that CloudTrail refuses while
a change propagates (CreateTrail, UpdateTrail, PutInsightSelectors, per their
API reference's error lists) also wait that out (propagation.py).
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import propagation_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import parse_arn

# CloudTrail and KMS throttle with ThrottlingException, which is not in
# AWSRetry's default list.
cloudtrail_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])

# The trail attributes the module returns, in CloudTrail's own names.
TRAIL_KEYS = (
    "Name",
    "TrailARN",
    "HomeRegion",
    "S3BucketName",
    "S3KeyPrefix",
    "KmsKeyId",
    "IsOrganizationTrail",
    "IsMultiRegionTrail",
    "IncludeGlobalServiceEvents",
    "LogFileValidationEnabled",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
    "SnsTopicName",
    "SnsTopicARN",
)
TRAIL_FLAGS = ("IsOrganizationTrail", "IsMultiRegionTrail", "IncludeGlobalServiceEvents", "LogFileValidationEnabled")
FIELD_OPERATORS = ("equals", "starts_with", "ends_with", "not_equals", "not_starts_with", "not_ends_with")


class AnsibleCloudTrailError(AnsibleAWSError):
    pass


class CloudTrailErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudTrailError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("TrailNotFoundException")


class InsightSelectorsErrorHandler(CloudTrailErrorHandler):
    # A trail without Insights answers GetInsightSelectors with an error, not an empty list.
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InsightNotEnabledException")


def trail_refusal(code, arguments):
    """Why CloudTrail refuses a trail change with `code` when waiting for propagation did not help, or None.

    `arguments` are a wrapper's (CreateTrail's or UpdateTrail's parameters, or a trail name or ARN). These are the
    errors CloudTrail answers while a new role, key or bucket policy or trusted access has not reached it yet.
    """
    trail = arguments.get("Name") or arguments.get("name") or arguments.get("trail_name") or "the trail"

    def named(parameter, kind, otherwise):
        return f"{kind} {arguments[parameter]}" if arguments.get(parameter) else otherwise

    key = named("KmsKeyId", "KMS key", "the trail's KMS key")
    bucket = named("S3BucketName", "bucket", "the trail's bucket")
    role = named("CloudWatchLogsRoleArn", "role", "the trail's CloudWatch Logs role")
    log_group = named("CloudWatchLogsLogGroupArn", "log group", "the trail's log group")
    return {
        "InsufficientEncryptionPolicyException": (
            f"The policy of {key} does not let cloudtrail.amazonaws.com encrypt log files for trail {trail} "
            "(kms:GenerateDataKey*, kms:DescribeKey, and kms:Decrypt when the bucket uses an S3 Bucket Key), or the "
            f"policy of {bucket} does not let CloudTrail write them."
        ),
        "InsufficientS3BucketPolicyException": (
            f"The policy of {bucket} does not let cloudtrail.amazonaws.com read its ACL (s3:GetBucketAcl) and "
            f"write trail {trail}'s log files (s3:PutObject under AWSLogs/<account-id>/ and "
            "AWSLogs/<organization-id>/)."
        ),
        "InvalidCloudWatchLogsRoleArnException": (
            f"CloudTrail cannot assume {role}: it must exist and its trust policy must allow "
            "cloudtrail.amazonaws.com (sts:AssumeRole)."
        ),
        "InvalidCloudWatchLogsLogGroupArnException": (
            f"The policy of {role} does not let CloudTrail write to {log_group} (logs:CreateLogStream and "
            "logs:PutLogEvents on its log streams), or the log group does not exist."
        ),
        "CloudTrailAccessNotEnabledException": (
            "Trusted access for cloudtrail.amazonaws.com is not enabled in the organization "
            "(organizations:EnableAWSServiceAccess, which Trailguard's trail role does first)."
        ),
    }.get(code)


# ---------------------------------------------------------------- trails


@CloudTrailErrorHandler.list_error_handler("get trail")
@cloudtrail_retry
def get_trail(client, name):
    """The trail with this name or ARN, or None."""
    return client.get_trail(Name=name)["Trail"]


@CloudTrailErrorHandler.common_error_handler("list trails")
@cloudtrail_retry
def list_trails(client):
    """Name, TrailARN and HomeRegion of every trail visible to the caller (org trails included)."""
    return client.get_paginator("list_trails").paginate().build_full_result()["Trails"]


@CloudTrailErrorHandler.common_error_handler("describe trails")
@cloudtrail_retry
def describe_trails(client, trail_arns):
    """The settings of the trails with these ARNs, in any region: DescribeTrails reads a trail of another
    region when it is named by its ARN (DescribeTrails API reference, trailNameList)."""
    if not trail_arns:
        return []  # an empty list would mean "this region's trails"
    return client.describe_trails(trailNameList=list(trail_arns))["trailList"]


@CloudTrailErrorHandler.common_error_handler("get trail status")
@cloudtrail_retry
def get_trail_status(client, name):
    return client.get_trail_status(Name=name)


@propagation_retry(trail_refusal)
@CloudTrailErrorHandler.common_error_handler("create trail")
@cloudtrail_retry
def create_trail(client, **params):
    return client.create_trail(**params)


@propagation_retry(trail_refusal)
@CloudTrailErrorHandler.common_error_handler("update trail")
@cloudtrail_retry
def update_trail(client, name, **params):
    return client.update_trail(Name=name, **params)


@CloudTrailErrorHandler.deletion_error_handler("delete trail")
@cloudtrail_retry
def delete_trail(client, name):
    client.delete_trail(Name=name)
    return True


@CloudTrailErrorHandler.common_error_handler("start logging")
@cloudtrail_retry
def start_logging(client, name):
    client.start_logging(Name=name)
    return True


@CloudTrailErrorHandler.common_error_handler("stop logging")
@cloudtrail_retry
def stop_logging(client, name):
    client.stop_logging(Name=name)
    return True


# ---------------------------------------------------------------- selectors


@CloudTrailErrorHandler.common_error_handler("get event selectors")
@cloudtrail_retry
def get_event_selectors(client, trail_name):
    """The response: EventSelectors or AdvancedEventSelectors (boto3 shape)."""
    return client.get_event_selectors(TrailName=trail_name)


@CloudTrailErrorHandler.common_error_handler("put event selectors")
@cloudtrail_retry
def put_event_selectors(client, trail_name, event_selectors=None, advanced_event_selectors=None):
    """Replace the trail's selectors with either classic or advanced selectors (boto3 shape)."""
    if advanced_event_selectors is not None:
        return client.put_event_selectors(TrailName=trail_name, AdvancedEventSelectors=advanced_event_selectors)
    return client.put_event_selectors(TrailName=trail_name, EventSelectors=event_selectors)


@InsightSelectorsErrorHandler.list_error_handler("get insight selectors", [])
@cloudtrail_retry
def get_insight_selectors(client, trail_name):
    return client.get_insight_selectors(TrailName=trail_name).get("InsightSelectors") or []


@propagation_retry(trail_refusal)
@CloudTrailErrorHandler.common_error_handler("put insight selectors")
@cloudtrail_retry
def put_insight_selectors(client, trail_name, insight_selectors):
    """Replace the trail's Insights selectors; [] turns Insights off."""
    return client.put_insight_selectors(TrailName=trail_name, InsightSelectors=insight_selectors)


# ---------------------------------------------------------------- tags


@CloudTrailErrorHandler.common_error_handler("list tags")
@cloudtrail_retry
def list_tags(client, resource_id):
    """The resource's tags as a dict."""
    paginator = client.get_paginator("list_tags")
    resources = paginator.paginate(ResourceIdList=[resource_id]).build_full_result()["ResourceTagList"]
    tags = next((item.get("TagsList") or [] for item in resources if item.get("ResourceId") == resource_id), [])
    return boto3_tag_list_to_ansible_dict(tags)


@CloudTrailErrorHandler.common_error_handler("add tags")
@cloudtrail_retry
def add_tags(client, resource_id, tags):
    client.add_tags(ResourceId=resource_id, TagsList=ansible_dict_to_boto3_tag_list(tags))
    return True


@CloudTrailErrorHandler.common_error_handler("remove tags")
@cloudtrail_retry
def remove_tags(client, resource_id, keys):
    client.remove_tags(ResourceId=resource_id, TagsList=[{"Key": key} for key in keys])
    return True


# ---------------------------------------------------------------- lookup and shapes


def find_trail(client, name):
    """The trail (boto3 shape) called `name` or with ARN `name`, or None.

    GetTrail resolves a bare name only among the caller's own trails, so an
    organization trail seen from a delegated administrator account is found
    through ListTrails, which lists it, and then read by its ARN.
    """
    trail = get_trail(client, name)
    if trail:
        return trail
    matches = [item for item in list_trails(client) if name in (item.get("Name"), item.get("TrailARN"))]
    if not matches:
        return None
    if len(matches) > 1:
        arns = ", ".join(sorted(item["TrailARN"] for item in matches))
        raise AnsibleCloudTrailError(message=f"name {name!r} matches several trails ({arns}); give the trail's ARN")
    return get_trail(client, matches[0]["TrailARN"])


def normalize_trail(trail):
    """The snake_case trail attributes the module returns; unset values are None."""
    picked = {key: trail.get(key) if trail.get(key) != "" else None for key in TRAIL_KEYS}
    for key in TRAIL_FLAGS:
        picked[key] = bool(picked[key])
    if not picked["HomeRegion"]:
        # GetTrail may leave it out; a trail's ARN names its home region.
        picked["HomeRegion"] = (parse_arn(picked["TrailARN"]) or {}).get("region")
    return camel_dict_to_snake_dict(picked)


def _sorted_dicts(items):
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def canonical_event_selectors(selectors):
    """Classic event selectors (snake_case) in one order with AWS's defaults filled in.

    Two lists that select the same events compare equal, whatever the order of
    selectors, data resources or values, and whether empty lists were sent.
    """
    result = []
    for selector in selectors or []:
        include_management_events = selector.get("include_management_events")
        data_resources = [
            {"type": resource.get("type"), "values": sorted(resource.get("values") or [])}
            for resource in selector.get("data_resources") or []
        ]
        result.append(
            {
                "read_write_type": selector.get("read_write_type") or "All",
                "include_management_events": True if include_management_events is None else include_management_events,
                "data_resources": _sorted_dicts(data_resources),
                "exclude_management_event_sources": sorted(selector.get("exclude_management_event_sources") or []),
            }
        )
    return _sorted_dicts(result)


def canonical_advanced_event_selectors(selectors):
    """Advanced event selectors (snake_case) in one order, without empty operators."""
    result = []
    for selector in selectors or []:
        field_selectors = []
        for field_selector in selector.get("field_selectors") or []:
            item = {"field": field_selector.get("field")}
            for operator in FIELD_OPERATORS:
                if field_selector.get(operator):
                    item[operator] = sorted(field_selector[operator])
            field_selectors.append(item)
        result.append({"name": selector.get("name") or "", "field_selectors": _sorted_dicts(field_selectors)})
    return _sorted_dicts(result)


def event_selectors_from_boto3(response):
    """(classic, advanced) canonical snake_case selectors from a GetEventSelectors response."""
    classic = [camel_dict_to_snake_dict(item) for item in response.get("EventSelectors") or []]
    advanced = [camel_dict_to_snake_dict(item) for item in response.get("AdvancedEventSelectors") or []]
    return canonical_event_selectors(classic), canonical_advanced_event_selectors(advanced)


def event_selectors_to_boto3(selectors):
    """Canonical classic selectors in PutEventSelectors' shape."""
    return [snake_dict_to_camel_dict(selector, capitalize_first=True) for selector in selectors]


def advanced_event_selectors_to_boto3(selectors):
    """Canonical advanced selectors in PutEventSelectors' shape (an empty name is left out)."""
    result = []
    for selector in selectors:
        item = snake_dict_to_camel_dict(selector, capitalize_first=True)
        if not item["Name"]:
            del item["Name"]
        result.append(item)
    return result
