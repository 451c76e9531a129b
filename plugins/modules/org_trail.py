#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: org_trail
version_added: 1.0.0
short_description: manage an AWS CloudTrail organization trail, its event and Insights selectors and logging
description:
  - Creates, updates and deletes a CloudTrail trail, by default an organization trail (O(is_organization_trail=true))
    that logs every account of the AWS Organization. With O(is_organization_trail=false) it manages a plain trail.
  - Manages what M(amazon.aws.cloudtrail) cannot, the organization flag, classic or advanced event selectors and
    Insights selectors, as well as logging, encryption, log file validation, CloudWatch Logs delivery and tags.
  - The trail is looked up by name or ARN (C(GetTrail), then C(ListTrails) to find an organization trail that the
    caller does not own), and every later call (C(UpdateTrail), C(StartLogging), C(StopLogging),
    C(PutEventSelectors), C(PutInsightSelectors), C(AddTags), C(RemoveTags), C(DeleteTrail)) addresses the trail by
    its ARN. So the module can also update the organization trail from a CloudTrail delegated administrator account,
    where addressing it by name fails.
  - Options that are not set are left as they are on an existing trail. Selectors are only managed when given.
  - O(state=absent) deletes the trail. The S3 bucket, the log files, the KMS key and the CloudWatch Logs log group
    are never touched.
author:
  - Trailguard maintainers (@trailguard)
options:
  name:
    description:
      - The name of the trail, or its ARN (C(arn:aws:cloudtrail:<region>:<account-id>:trail/<name>)).
      - A trail can only be created by name. Give the ARN to update or delete an organization trail from a
        delegated administrator account.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the trail, V(absent) deletes it.
    type: str
    choices: ["present", "absent"]
    default: present
  s3_bucket_name:
    description:
      - The S3 bucket that CloudTrail delivers log files to. It may live in another account (the log-archive account).
      - Required when the trail is created.
    type: str
  s3_key_prefix:
    description:
      - The key prefix of the log files in O(s3_bucket_name).
      - V("") removes the prefix.
    type: str
  kms_key_id:
    description:
      - The KMS key that encrypts the log files.
      - A full key ARN (C(arn:aws:kms:<region>:<account-id>:key/<key-id>)) is used as it is. It must be in the
        trail's region.
      - An alias (C(alias/<name>)), an alias ARN or a key ID is accepted only if it resolves (C(kms:DescribeKey)) to
        a key in the caller's own account, because CloudTrail resolves them in the caller's account. A key in
        another account, such as the log-archive account, must be given as its full key ARN.
      - V("") turns encryption with a KMS key off.
    type: str
  is_organization_trail:
    description:
      - Whether the trail logs every account of the organization. Needs the organization's management account or a
        CloudTrail delegated administrator, and trusted access for C(cloudtrail.amazonaws.com).
    type: bool
    default: true
  is_multi_region_trail:
    description:
      - Whether the trail logs every region.
    type: bool
    default: true
  include_global_service_events:
    description:
      - Whether the trail logs global services such as IAM. Must be V(true) for a multi-region trail.
    type: bool
    default: true
  enable_log_file_validation:
    description:
      - Whether CloudTrail writes signed digest files so that tampering with log files can be detected.
    type: bool
    default: true
  cloudwatch_logs_log_group_arn:
    description:
      - The ARN of the CloudWatch Logs log group that CloudTrail also delivers events to.
      - Give it together with O(cloudwatch_logs_role_arn). V("") for both stops the delivery.
    type: str
  cloudwatch_logs_role_arn:
    description:
      - The ARN of the IAM role that CloudTrail assumes to write to O(cloudwatch_logs_log_group_arn).
      - Give it together with O(cloudwatch_logs_log_group_arn).
    type: str
  sns_topic_name:
    description:
      - The name or ARN of an SNS topic notified of each log file delivery. V("") removes it.
    type: str
  event_selectors:
    description:
      - Classic event selectors. They replace the trail's selectors, classic or advanced.
      - Not set leaves the selectors as they are. A trail created without selectors logs all management events.
      - Mutually exclusive with O(advanced_event_selectors).
    type: list
    elements: dict
    suboptions:
      read_write_type:
        description:
          - Which management and data events to log.
        type: str
        choices: ["ReadOnly", "WriteOnly", "All"]
        default: All
      include_management_events:
        description:
          - Whether to log management events.
        type: bool
        default: true
      data_resources:
        description:
          - The data events to log.
        type: list
        elements: dict
        suboptions:
          type:
            description:
              - The resource type, for example V(AWS::S3::Object) or V(AWS::Lambda::Function).
            type: str
            required: true
          values:
            description:
              - ARNs or ARN prefixes of the resources, for example V(arn:aws:s3).
            type: list
            elements: str
            required: true
      exclude_management_event_sources:
        description:
          - Event sources to leave out of the management events, for example V(kms.amazonaws.com).
        type: list
        elements: str
  advanced_event_selectors:
    description:
      - Advanced event selectors. They replace the trail's selectors, classic or advanced.
      - Not set leaves the selectors as they are. The order of selectors, field selectors and values does not matter.
      - Mutually exclusive with O(event_selectors).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - A name for the selector.
        type: str
      field_selectors:
        description:
          - The conditions, all of which an event must meet.
          - Each needs O(advanced_event_selectors[].field_selectors[].field) and at least one operator.
        type: list
        elements: dict
        required: true
        suboptions:
          field:
            description:
              - The event field, for example V(eventCategory), V(resources.type) or V(readOnly).
            type: str
            required: true
          equals:
            description:
              - The field equals one of these values.
            type: list
            elements: str
          starts_with:
            description:
              - The field starts with one of these values.
            type: list
            elements: str
          ends_with:
            description:
              - The field ends with one of these values.
            type: list
            elements: str
          not_equals:
            description:
              - The field equals none of these values.
            type: list
            elements: str
          not_starts_with:
            description:
              - The field starts with none of these values.
            type: list
            elements: str
          not_ends_with:
            description:
              - The field ends with none of these values.
            type: list
            elements: str
  insight_selectors:
    description:
      - The CloudTrail Insights types to turn on. V([]) turns Insights off. Not set leaves them as they are.
    type: list
    elements: str
    choices: ["ApiCallRateInsight", "ApiErrorRateInsight"]
  enable_logging:
    description:
      - Whether the trail records events (C(StartLogging)) or is paused (C(StopLogging)).
    type: bool
    default: true
notes:
  - Every call after the lookup addresses the trail by its ARN (C(TrailARN)). This is what makes updates work from a
    CloudTrail delegated administrator account, a known failure of tools that address the organization trail by name
    (for example U(https://github.com/hashicorp/terraform-provider-aws/issues/28440)).
  - CloudTrail changes a trail only in its home region, so the module fails if the trail's home region is not the
    module's region.
  - All input is checked before any AWS call, then an alias, alias ARN or key ID in O(kms_key_id) is resolved with
    C(kms:DescribeKey) and C(sts:GetCallerIdentity) (reads only, also in check mode).
  - For a while after the bucket policy, the key policy, the CloudWatch Logs role or trusted access is changed,
    CloudTrail refuses C(CreateTrail), C(UpdateTrail) and C(PutInsightSelectors) with
    C(InsufficientEncryptionPolicyException), C(InsufficientS3BucketPolicyException),
    C(InvalidCloudWatchLogsRoleArnException), C(InvalidCloudWatchLogsLogGroupArnException) or
    C(CloudTrailAccessNotEnabledException). The module retries these for O(propagation_timeout) seconds.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - trailguard.cloudtrail.propagation
"""

EXAMPLES = r"""
- name: Create the organization trail, encrypted with a key of the log-archive account
  trailguard.cloudtrail.org_trail:
    name: org-trail
    s3_bucket_name: example-org-cloudtrail-logs
    kms_key_id: arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab
    cloudwatch_logs_log_group_arn: arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/org-trail:*
    cloudwatch_logs_role_arn: arn:aws:iam::123456789012:role/CloudTrailToCloudWatchLogs
    tags:
      owner: security

- name: Log management events and S3 data events with advanced event selectors, and turn on Insights
  trailguard.cloudtrail.org_trail:
    name: org-trail
    advanced_event_selectors:
      - name: Management events
        field_selectors:
          - field: eventCategory
            equals: [Management]
      - name: S3 data events
        field_selectors:
          - field: eventCategory
            equals: [Data]
          - field: resources.type
            equals: ["AWS::S3::Object"]
    insight_selectors:
      - ApiCallRateInsight
      - ApiErrorRateInsight

- name: Update the organization trail from the CloudTrail delegated administrator account, by ARN
  trailguard.cloudtrail.org_trail:
    name: arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail
    insight_selectors: []

- name: Pause logging of a plain (single-account) trail
  trailguard.cloudtrail.org_trail:
    name: account-trail
    s3_bucket_name: example-account-cloudtrail-logs
    is_organization_trail: false
    enable_logging: false

- name: Delete the trail (the bucket and its logs stay)
  trailguard.cloudtrail.org_trail:
    name: org-trail
    state: absent
"""

RETURN = r"""
trail:
  description:
    - The trail after the change; in check mode, the trail as the change would leave it.
    - An empty dict when the trail does not exist (after O(state=absent)).
  returned: always
  type: dict
  contains:
    name:
      description: The trail's name.
      returned: when the trail exists
      type: str
      sample: org-trail
    trail_arn:
      description: The trail's ARN. V(null) in check mode when the trail would be created.
      returned: when the trail exists
      type: str
      sample: arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail
    home_region:
      description: The region the trail was created in, the only one where it can be changed.
      returned: when the trail exists
      type: str
      sample: us-east-1
    s3_bucket_name:
      description: The bucket the log files go to.
      returned: when the trail exists
      type: str
      sample: example-org-cloudtrail-logs
    s3_key_prefix:
      description: The key prefix of the log files, or V(null).
      returned: when the trail exists
      type: str
      sample: cloudtrail
    kms_key_id:
      description: The ARN of the KMS key that encrypts the log files, or V(null).
      returned: when the trail exists
      type: str
      sample: arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab
    is_organization_trail:
      description: Whether the trail logs every account of the organization.
      returned: when the trail exists
      type: bool
      sample: true
    is_multi_region_trail:
      description: Whether the trail logs every region.
      returned: when the trail exists
      type: bool
      sample: true
    include_global_service_events:
      description: Whether the trail logs global services such as IAM.
      returned: when the trail exists
      type: bool
      sample: true
    log_file_validation_enabled:
      description: Whether log file validation is on.
      returned: when the trail exists
      type: bool
      sample: true
    cloud_watch_logs_log_group_arn:
      description: The CloudWatch Logs log group the events also go to, or V(null).
      returned: when the trail exists
      type: str
      sample: arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/org-trail:*
    cloud_watch_logs_role_arn:
      description: The role CloudTrail assumes to write to the log group, or V(null).
      returned: when the trail exists
      type: str
      sample: arn:aws:iam::123456789012:role/CloudTrailToCloudWatchLogs
    sns_topic_name:
      description: The SNS topic notified of log file deliveries, or V(null).
      returned: when the trail exists
      type: str
      sample: cloudtrail-deliveries
    sns_topic_arn:
      description: The ARN of that SNS topic, or V(null).
      returned: when the trail exists
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:cloudtrail-deliveries
    is_logging:
      description: Whether the trail is recording events.
      returned: when the trail exists
      type: bool
      sample: true
    event_selectors:
      description: The classic event selectors, sorted, with defaults filled in; V([]) when advanced ones are used.
      returned: when the trail exists
      type: list
      elements: dict
      sample: [{"read_write_type": "All", "include_management_events": true, "data_resources": [],
                "exclude_management_event_sources": []}]
    advanced_event_selectors:
      description: The advanced event selectors, sorted, without empty operators; V([]) when classic ones are used.
      returned: when the trail exists
      type: list
      elements: dict
      sample: [{"name": "Management events", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]}]
    insight_selectors:
      description: The Insights types that are on, sorted.
      returned: when the trail exists
      type: list
      elements: str
      sample: ["ApiCallRateInsight"]
    tags:
      description: The trail's tags.
      returned: when the trail exists
      type: dict
      sample: {"owner": "security"}
"""

from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import FIELD_OPERATORS
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import add_tags
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import advanced_event_selectors_to_boto3
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import canonical_advanced_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import canonical_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import cloudtrail_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import create_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import delete_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import event_selectors_from_boto3
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import event_selectors_to_boto3
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import find_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_insight_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import list_tags
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import normalize_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import put_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import put_insight_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import remove_tags
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import start_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import stop_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import update_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import AnsibleKMSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import describe_kms_key
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import DEFAULT_PROPAGATION_TIMEOUT
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import PROPAGATION_TIMEOUT_SPEC
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import check_propagation_timeout
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_arn
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_bucket_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_trail_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import parse_arn

# (option, key in the returned trail, UpdateTrail/CreateTrail parameter). The
# SNS topic is compared on its own: it may be given as a name or an ARN.
TRAIL_SETTINGS = (
    ("s3_bucket_name", "s3_bucket_name", "S3BucketName"),
    ("s3_key_prefix", "s3_key_prefix", "S3KeyPrefix"),
    ("kms_key_id", "kms_key_id", "KmsKeyId"),
    ("is_organization_trail", "is_organization_trail", "IsOrganizationTrail"),
    ("is_multi_region_trail", "is_multi_region_trail", "IsMultiRegionTrail"),
    ("include_global_service_events", "include_global_service_events", "IncludeGlobalServiceEvents"),
    ("enable_log_file_validation", "log_file_validation_enabled", "EnableLogFileValidation"),
    ("cloudwatch_logs_log_group_arn", "cloud_watch_logs_log_group_arn", "CloudWatchLogsLogGroupArn"),
    ("cloudwatch_logs_role_arn", "cloud_watch_logs_role_arn", "CloudWatchLogsRoleArn"),
    ("sns_topic_name", "sns_topic_name", "SnsTopicName"),
)
CLOUDWATCH_OPTIONS = ("cloudwatch_logs_log_group_arn", "cloudwatch_logs_role_arn")
# A trail created without selectors logs all management events, read and write.
DEFAULT_EVENT_SELECTORS = canonical_event_selectors([{}])
KEY_ARN_HELP = "arn:aws:kms:<region>:<account-id>:key/<key-id>"
TRAIL_ARN_HELP = "arn:aws:cloudtrail:<region>:<account-id>:trail/<name>"


# ---------------------------------------------------------------- input checks (no AWS calls)


def _check_region(value, name, region, why):
    parts = parse_arn(value)
    if parts and parts["region"] != region:
        return f"{name} {value!r} is in region {parts['region']!r} but the module runs in region {region!r}; {why}"
    return None


def validate_name(name, region):
    error = check_trail_name(name, "name")
    if error or not name.startswith("arn:"):
        return error
    if not parse_arn(name)["resource"].startswith("trail/"):
        return f"name must be a trail name or a trail ARN ({TRAIL_ARN_HELP}), got {name!r}"
    return _check_region(name, "name", region, "CloudTrail changes a trail only in its home region: set region to it")


def validate_kms_key_id(kms_key_id, region):
    if not (kms_key_id or "").startswith("arn:"):
        return None  # "", an alias or a key ID: resolved in the caller's account later
    error = check_arn(kms_key_id, "kms_key_id", service="kms")
    if error:
        return error
    if not parse_arn(kms_key_id)["resource"].startswith(("key/", "alias/")):
        return f"kms_key_id must be a key ARN ({KEY_ARN_HELP}), an alias ARN, an alias or a key ID, got {kms_key_id!r}"
    return _check_region(kms_key_id, "kms_key_id", region, "CloudTrail needs a KMS key in the trail's region")


def validate_cloudwatch(log_group_arn, role_arn):
    # Both None is fine, one None is caught by required_together; "" removes the delivery.
    if (log_group_arn == "") != (role_arn == ""):
        return (
            "cloudwatch_logs_log_group_arn and cloudwatch_logs_role_arn go together: give both ARNs, "
            "or both as '' to stop delivering to CloudWatch Logs"
        )
    return first_error(
        check_arn(log_group_arn or None, "cloudwatch_logs_log_group_arn", service="logs"),
        check_arn(role_arn or None, "cloudwatch_logs_role_arn", service="iam"),
    )


def validate_selectors(event_selectors, advanced_event_selectors):
    if event_selectors == []:
        return (
            "event_selectors must list at least one selector "
            "(to log no management events, give one with include_management_events: false)"
        )
    if advanced_event_selectors == []:
        return "advanced_event_selectors must list at least one selector"
    for index, selector in enumerate(advanced_event_selectors or []):
        if not selector["field_selectors"]:
            return f"advanced_event_selectors[{index}].field_selectors must list at least one field selector"
        for field_index, field_selector in enumerate(selector["field_selectors"]):
            if not any(field_selector.get(operator) for operator in FIELD_OPERATORS):
                return (
                    f"advanced_event_selectors[{index}].field_selectors[{field_index}] "
                    f"(field {field_selector['field']!r}) needs at least one non-empty operator of "
                    f"{', '.join(FIELD_OPERATORS)}"
                )
    return None


def validate_params(params, region):
    """The first problem with the module's input, found without any AWS call, or None."""
    if params["state"] == "absent":
        return validate_name(params["name"], region)
    if params["is_multi_region_trail"] and not params["include_global_service_events"]:
        return (
            "include_global_service_events must be true when is_multi_region_trail is true: "
            "AWS requires a multi-region trail to log global service events"
        )
    sns_topic_arn = params["sns_topic_name"] if (params["sns_topic_name"] or "").startswith("arn:") else None
    return first_error(
        validate_name(params["name"], region),
        check_bucket_name(params["s3_bucket_name"], "s3_bucket_name"),
        validate_kms_key_id(params["kms_key_id"], region),
        validate_cloudwatch(params["cloudwatch_logs_log_group_arn"], params["cloudwatch_logs_role_arn"]),
        check_arn(sns_topic_arn, "sns_topic_name", service="sns"),
        validate_selectors(params["event_selectors"], params["advanced_event_selectors"]),
        check_propagation_timeout(params["propagation_timeout"]),
    )


# ---------------------------------------------------------------- reads


def resolve_kms_key(kms_client, sts_client, kms_key_id):
    """The key ARN for kms_key_id; an alias or key ID must resolve in the caller's own account."""
    arn = parse_arn(kms_key_id)
    if not kms_key_id or (arn and arn["resource"].startswith("key/")):
        return kms_key_id
    account = get_caller_identity(sts_client)["Account"]
    other_account_help = (
        "CloudTrail resolves aliases and key IDs in the caller's account only, so a key in another account "
        f"(for example the log-archive account) must be given as its full key ARN ({KEY_ARN_HELP})"
    )
    # An alias ARN names its account; one of another account is refused without asking KMS.
    metadata = None if arn and arn["account"] != account else describe_kms_key(kms_client, kms_key_id)
    if not metadata:
        raise AnsibleCloudTrailError(
            message=f"kms_key_id {kms_key_id!r} names no KMS key in this account ({account}); {other_account_help}"
        )
    key_account = parse_arn(metadata["Arn"])["account"]
    if key_account != account:
        raise AnsibleCloudTrailError(
            message=(
                f"kms_key_id {kms_key_id!r} resolves to {metadata['Arn']}, a key in account {key_account}, not in "
                f"this account ({account}); {other_account_help}"
            )
        )
    return metadata["Arn"]


def describe_trail_state(client, trail):
    """Everything the module manages about a trail (boto3 shape in, snake_case out), read by its ARN."""
    state = normalize_trail(trail)
    arn = state["trail_arn"]
    state["is_logging"] = bool(get_trail_status(client, arn).get("IsLogging"))
    state["event_selectors"], state["advanced_event_selectors"] = event_selectors_from_boto3(
        get_event_selectors(client, arn)
    )
    state["insight_selectors"] = sorted({item["InsightType"] for item in get_insight_selectors(client, arn)})
    state["tags"] = list_tags(client, arn)
    return state


def describe_existing_trail(client, name, region):
    trail = find_trail(client, name)
    if not trail:
        return None
    home_region = normalize_trail(trail)["home_region"]
    if home_region != region:
        raise AnsibleCloudTrailError(
            message=(
                f"trail {trail['TrailARN']} has home region {home_region!r} but the module runs in region "
                f"{region!r}; CloudTrail changes a trail only in its home region: set region to it"
            )
        )
    return describe_trail_state(client, trail)


# ---------------------------------------------------------------- changes


def _sns_topic_matches(desired, trail):
    current_name = trail.get("sns_topic_name") or ""
    current_arn = trail.get("sns_topic_arn") or ""
    if desired == "":
        return not (current_name or current_arn)
    if desired.startswith("arn:"):
        return desired in (current_name, current_arn)
    return desired in (current_name, current_arn.rsplit(":", 1)[-1])


def _sns_topic_arn(desired, trail_arn):
    """The topic ARN that CloudTrail will report for sns_topic_name (same account and region as the trail)."""
    if not desired or desired.startswith("arn:"):
        return desired or None
    parts = parse_arn(trail_arn)
    if not parts:
        return None
    return f"arn:{parts['partition']}:sns:{parts['region']}:{parts['account']}:{desired}"


def trail_setting_changes(trail, settings):
    """{option: desired value} for the set options that differ from the trail."""
    changes = {}
    for option, key, _parameter in TRAIL_SETTINGS:
        desired = settings.get(option)
        if desired is None:
            continue
        if option == "sns_topic_name":
            same = _sns_topic_matches(desired, trail)
        else:
            same = (None if desired == "" else desired) == trail.get(key)
        if not same:
            changes[option] = desired
    # CloudTrail takes the log group and the role together.
    if any(option in changes for option in CLOUDWATCH_OPTIONS):
        changes.update({option: settings[option] for option in CLOUDWATCH_OPTIONS})
    return changes


def apply_setting_changes(trail, changes):
    """The trail as CloudTrail will report it after the changes."""
    new_trail = deepcopy(trail)
    for option, key, _parameter in TRAIL_SETTINGS:
        if option in changes:
            new_trail[key] = None if changes[option] == "" else changes[option]
    if "sns_topic_name" in changes:
        new_trail["sns_topic_arn"] = _sns_topic_arn(changes["sns_topic_name"], trail.get("trail_arn"))
    return new_trail


def ensure_trail_settings(client, trail, settings, check_mode, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT):
    changes = trail_setting_changes(trail, settings)
    if not changes:
        return False, trail
    if not check_mode:
        parameters = {parameter: changes[option] for option, _key, parameter in TRAIL_SETTINGS if option in changes}
        update_trail(client, trail["trail_arn"], propagation_timeout=propagation_timeout, **parameters)
    return True, apply_setting_changes(trail, changes)


def ensure_event_selectors(client, trail, event_selectors, advanced_event_selectors, check_mode):
    """Replace the selectors when given ones differ; classic and advanced replace each other."""
    if event_selectors is None and advanced_event_selectors is None:
        return False, trail
    desired = {
        "event_selectors": canonical_event_selectors(event_selectors),
        "advanced_event_selectors": canonical_advanced_event_selectors(advanced_event_selectors),
    }
    if all(trail[key] == value for key, value in desired.items()):
        return False, trail
    if not check_mode:
        if advanced_event_selectors is not None:
            put_event_selectors(
                client,
                trail["trail_arn"],
                advanced_event_selectors=advanced_event_selectors_to_boto3(desired["advanced_event_selectors"]),
            )
        else:
            put_event_selectors(
                client, trail["trail_arn"], event_selectors=event_selectors_to_boto3(desired["event_selectors"])
            )
    return True, dict(trail, **desired)


def ensure_insight_selectors(
    client, trail, insight_selectors, check_mode, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT
):
    if insight_selectors is None:
        return False, trail
    desired = sorted(set(insight_selectors))
    if trail["insight_selectors"] == desired:
        return False, trail
    if not check_mode:
        put_insight_selectors(
            client,
            trail["trail_arn"],
            [{"InsightType": insight} for insight in desired],
            propagation_timeout=propagation_timeout,
        )
    return True, dict(trail, insight_selectors=desired)


def ensure_tags(client, trail, tags, purge_tags, check_mode):
    if tags is None:
        return False, trail
    tags_to_set, tag_keys_to_unset = compare_aws_tags(trail["tags"], tags, purge_tags)
    if not tags_to_set and not tag_keys_to_unset:
        return False, trail
    new_tags = {key: value for key, value in trail["tags"].items() if key not in tag_keys_to_unset}
    new_tags.update(tags_to_set)
    if not check_mode:
        if tag_keys_to_unset:
            remove_tags(client, trail["trail_arn"], tag_keys_to_unset)
        if tags_to_set:
            add_tags(client, trail["trail_arn"], tags_to_set)
    return True, dict(trail, tags=new_tags)


def ensure_logging(client, trail, enable_logging, check_mode):
    if trail["is_logging"] == enable_logging:
        return False, trail
    if not check_mode:
        if enable_logging:
            start_logging(client, trail["trail_arn"])
        else:
            stop_logging(client, trail["trail_arn"])
    return True, dict(trail, is_logging=enable_logging)


def create_new_trail(client, name, region, settings, tags, check_mode, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT):
    """Create the trail with its settings and tags; selectors and logging follow in ensure_present."""
    if name.startswith("arn:"):
        raise AnsibleCloudTrailError(
            message=f"no trail {name} exists; a trail can only be created by name, not by ARN: give its name"
        )
    if not settings.get("s3_bucket_name"):
        raise AnsibleCloudTrailError(message=f"s3_bucket_name is required to create trail {name!r}")
    parameters = {"Name": name}
    for option, _key, parameter in TRAIL_SETTINGS:
        if settings.get(option) not in (None, ""):
            parameters[parameter] = settings[option]
    if tags:
        parameters["TagsList"] = ansible_dict_to_boto3_tag_list(tags)
    if not check_mode:
        created = create_trail(client, propagation_timeout=propagation_timeout, **parameters)
        return describe_trail_state(client, get_trail(client, created["TrailARN"]))
    # What CloudTrail will report for the new trail.
    empty = {key: None for _option, key, _parameter in TRAIL_SETTINGS}
    trail = apply_setting_changes(dict(empty, name=name, trail_arn=None, home_region=region), settings)
    trail.update(
        is_logging=False,
        event_selectors=DEFAULT_EVENT_SELECTORS,
        advanced_event_selectors=[],
        insight_selectors=[],
        tags=dict(tags or {}),
    )
    return trail


def ensure_present(client, trail, name, region, params, settings, check_mode):
    propagation_timeout = params["propagation_timeout"]
    changed = trail is None
    if trail is None:
        trail = create_new_trail(client, name, region, settings, params["tags"], check_mode, propagation_timeout)
    else:
        changed, trail = ensure_trail_settings(client, trail, settings, check_mode, propagation_timeout)
    steps = (
        lambda state: ensure_event_selectors(
            client, state, params["event_selectors"], params["advanced_event_selectors"], check_mode
        ),
        lambda state: ensure_insight_selectors(
            client, state, params["insight_selectors"], check_mode, propagation_timeout
        ),
        lambda state: ensure_tags(client, state, params["tags"], params["purge_tags"], check_mode),
        lambda state: ensure_logging(client, state, params["enable_logging"], check_mode),
    )
    for step in steps:
        step_changed, trail = step(trail)
        changed |= step_changed
    if changed and not check_mode:
        trail = describe_trail_state(client, get_trail(client, trail["trail_arn"]))
    return changed, trail


def ensure_absent(client, trail, check_mode):
    if trail is None:
        return False, {}
    if not check_mode:
        delete_trail(client, trail["trail_arn"])
    return True, {}


def main():
    field_selector_options = {operator: dict(type="list", elements="str") for operator in FIELD_OPERATORS}
    field_selector_options["field"] = dict(type="str", required=True)
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        s3_bucket_name=dict(type="str"),
        s3_key_prefix=dict(type="str", no_log=False),
        kms_key_id=dict(type="str"),
        is_organization_trail=dict(type="bool", default=True),
        is_multi_region_trail=dict(type="bool", default=True),
        include_global_service_events=dict(type="bool", default=True),
        enable_log_file_validation=dict(type="bool", default=True),
        cloudwatch_logs_log_group_arn=dict(type="str"),
        cloudwatch_logs_role_arn=dict(type="str"),
        sns_topic_name=dict(type="str"),
        event_selectors=dict(
            type="list",
            elements="dict",
            options=dict(
                read_write_type=dict(type="str", choices=["ReadOnly", "WriteOnly", "All"], default="All"),
                include_management_events=dict(type="bool", default=True),
                data_resources=dict(
                    type="list",
                    elements="dict",
                    options=dict(
                        type=dict(type="str", required=True),
                        values=dict(type="list", elements="str", required=True),
                    ),
                ),
                exclude_management_event_sources=dict(type="list", elements="str"),
            ),
        ),
        advanced_event_selectors=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str"),
                field_selectors=dict(type="list", elements="dict", required=True, options=field_selector_options),
            ),
        ),
        insight_selectors=dict(type="list", elements="str", choices=["ApiCallRateInsight", "ApiErrorRateInsight"]),
        enable_logging=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        propagation_timeout=dict(PROPAGATION_TIMEOUT_SPEC),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("event_selectors", "advanced_event_selectors")],
        required_together=[CLOUDWATCH_OPTIONS],
    )
    params = module.params
    region = module.region

    error = validate_params(params, region)
    if error:
        module.fail_json(msg=error)

    client = module.client("cloudtrail", retry_decorator=cloudtrail_retry)
    try:
        settings = {option: params[option] for option, _key, _parameter in TRAIL_SETTINGS}
        if params["state"] == "present" and params["kms_key_id"]:
            settings["kms_key_id"] = resolve_kms_key(
                module.client("kms", retry_decorator=cloudtrail_retry),
                module.client("sts", retry_decorator=cloudtrail_retry),
                params["kms_key_id"],
            )
        before = describe_existing_trail(client, params["name"], region)
        if params["state"] == "absent":
            changed, after = ensure_absent(client, before, module.check_mode)
        else:
            changed, after = ensure_present(client, before, params["name"], region, params, settings, module.check_mode)
    except (AnsibleCloudTrailError, AnsibleKMSError, AnsibleSTSError) as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, trail=after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before or {}, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
