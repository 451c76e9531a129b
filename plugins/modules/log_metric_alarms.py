#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: log_metric_alarms
version_added: 1.0.0
short_description: manage a set of CloudWatch Logs metric filters on one log group, each with its alarm
description:
  - Manages a set of metric filters on one CloudWatch Logs log group and, for each filter, a CloudWatch metric alarm
    of the same name on the metric the filter emits. One task does the whole set.
  - Reads what exists with one paginated C(DescribeMetricFilters) and one paginated C(DescribeAlarms), both by
    O(name_prefix), and writes only the filters and alarms that differ from O(items) (C(PutMetricFilter),
    C(PutMetricAlarm)).
  - B(Every name starts with O(name_prefix), which marks what this module owns.) Filters and alarms whose names do
    not start with it are never read, changed or deleted.
  - Owned filters and alarms are deleted only when asked - those named in O(remove), and with O(purge=true) every
    owned one that is not in O(items) (C(DeleteMetricFilter), C(DeleteAlarms) in batches of 100).
  - Compares exactly the settings the module sets. Action lists are compared as sets. A filter or alarm that also
    has settings the module does not set (dimensions, a unit) is rewritten without them.
author:
  - Trailguard maintainers (@trailguard)
options:
  log_group_name:
    description:
      - The log group the filters read. It must exist, except in check mode (see the notes).
    type: str
    required: true
  metric_namespace:
    description:
      - The CloudWatch namespace of every metric the filters emit and the alarms watch. It must not start with
        V(AWS/), which AWS reserves.
    type: str
    required: true
  name_prefix:
    description:
      - The start of every filter and alarm name this module owns. The names in O(items) and O(remove) must start
        with it.
      - Choose it so that no filter or alarm made by other means starts with it, above all with O(purge=true).
    type: str
    required: true
  alarm_actions:
    description:
      - The ARNs every alarm notifies when it goes to C(ALARM), for example an SNS topic.
    type: list
    elements: str
    default: []
  ok_actions:
    description:
      - The ARNs every alarm notifies when it goes back to C(OK).
    type: list
    elements: str
    default: []
  insufficient_data_actions:
    description:
      - The ARNs every alarm notifies when it goes to C(INSUFFICIENT_DATA).
    type: list
    elements: str
    default: []
  actions_enabled:
    description:
      - Whether the alarms' actions run when their state changes.
    type: bool
    default: true
  items:
    description:
      - The filters and their alarms that must exist. Each filter emits O(items[].metric_value) to the metric
        O(items[].metric_name) in O(metric_namespace) for every log event that matches O(items[].pattern), and its
        alarm watches that metric.
      - The defaults make an alarm that fires when one matching event is logged within five minutes.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The name of the filter and of its alarm, up to 255 characters without V(:) or V(*). It must start with
            O(name_prefix) and be unique in O(items).
        type: str
        required: true
      pattern:
        description:
          - The filter pattern, at most 1024 characters, compared as the exact string AWS returns.
        type: str
        required: true
      metric_name:
        description:
          - The metric the filter emits and the alarm watches.
        type: str
        required: true
      metric_value:
        description:
          - What the filter emits for each matching event, a number or a field such as V($.bytes).
        type: str
        default: "1"
      default_value:
        description:
          - What the filter emits for a period without matching events. Not set emits nothing.
        type: float
      description:
        description:
          - The alarm's description, at most 1024 characters.
        type: str
        default: ""
      statistic:
        description:
          - How the alarm aggregates the metric over a period.
        type: str
        choices: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
        default: Sum
      comparison_operator:
        description:
          - How the statistic is compared with O(items[].threshold).
        type: str
        choices:
          - GreaterThanOrEqualToThreshold
          - GreaterThanThreshold
          - LessThanThreshold
          - LessThanOrEqualToThreshold
        default: GreaterThanOrEqualToThreshold
      threshold:
        description:
          - The value the statistic is compared with.
        type: float
        default: 1
      period:
        description:
          - The length of a period in seconds, V(10), V(20), V(30) or a multiple of V(60).
        type: int
        default: 300
      evaluation_periods:
        description:
          - How many recent periods the alarm evaluates.
        type: int
        default: 1
      datapoints_to_alarm:
        description:
          - How many of those periods must breach for the alarm to fire. Not set means all of them.
        type: int
      treat_missing_data:
        description:
          - How a period without data counts. V(notBreaching) suits metrics that count events, which emit nothing
            while nothing happens.
        type: str
        choices: ["breaching", "notBreaching", "ignore", "missing"]
        default: notBreaching
  remove:
    description:
      - Names of owned filters and alarms to delete, each starting with O(name_prefix) and not in O(items). A name
        that does not exist is no change.
    type: list
    elements: str
    default: []
  purge:
    description:
      - Also delete every owned filter on O(log_group_name) and every owned alarm that is not in O(items).
      - B(Defaults to V(false)), so that only the names in O(remove) are ever deleted.
    type: bool
    default: false
notes:
  - In check mode a log group that does not exist yet (because the task that creates it ran in check mode too) has
    no filters, so every filter in O(items) is reported as created. Outside check mode a missing log group is an
    error, raised before anything is changed.
  - When an alarm is updated, AWS keeps its state and replaces its whole configuration. Alarm tags are not managed.
  - Permissions - C(logs:DescribeMetricFilters), C(logs:PutMetricFilter) and C(logs:DeleteMetricFilter) on the log
    group; C(cloudwatch:PutMetricAlarm) and C(cloudwatch:DeleteAlarms) on the alarms, and C(cloudwatch:DescribeAlarms)
    on every alarm of the account and region (C(alarm:*)), as the alarms are read by name prefix.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Alarm on root account usage and on console sign-in without MFA
  trailguard.cloudtrail.log_metric_alarms:
    log_group_name: /aws/cloudtrail/acme-organization-trail
    metric_namespace: Acme/CIS
    name_prefix: acme-cis-
    alarm_actions:
      - arn:aws:sns:us-east-1:111111111111:acme-security-alarms
    items:
      - name: acme-cis-root-account-usage
        pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
        metric_name: RootAccountUsage
        description: Usage of the root account
      - name: acme-cis-console-signin-without-mfa
        pattern: '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") }'
        metric_name: ConsoleSignInWithoutMfa
        description: Console sign-in without MFA
        period: 60

- name: Stop watching one of them (its filter and alarm are deleted)
  trailguard.cloudtrail.log_metric_alarms:
    log_group_name: /aws/cloudtrail/acme-organization-trail
    metric_namespace: Acme/CIS
    name_prefix: acme-cis-
    alarm_actions:
      - arn:aws:sns:us-east-1:111111111111:acme-security-alarms
    items:
      - name: acme-cis-root-account-usage
        pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
        metric_name: RootAccountUsage
        description: Usage of the root account
    remove:
      - acme-cis-console-signin-without-mfa

- name: Keep exactly these filters and alarms under the prefix, deleting any other acme-cis-* one
  trailguard.cloudtrail.log_metric_alarms:
    log_group_name: /aws/cloudtrail/acme-organization-trail
    metric_namespace: Acme/CIS
    name_prefix: acme-cis-
    items: "{{ acme_cis_items }}"
    purge: true
"""

RETURN = r"""
filters:
  description: The metric filters of O(items), in their order, after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The filter's name.
      type: str
      sample: acme-cis-root-account-usage
    pattern:
      description: The filter pattern.
      type: str
      sample: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
    metric_name:
      description: The metric the filter emits.
      type: str
      sample: RootAccountUsage
    metric_namespace:
      description: The metric's namespace.
      type: str
      sample: Acme/CIS
    metric_value:
      description: What the filter emits for each matching event.
      type: str
      sample: "1"
    default_value:
      description: What the filter emits for a period without matching events; null when nothing.
      type: float
      sample: null
alarms:
  description: The alarms of O(items), in their order, after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The alarm's name, the same as its filter's.
      type: str
      sample: acme-cis-root-account-usage
    description:
      description: The alarm's description.
      type: str
      sample: Usage of the root account
    metric_name:
      description: The metric the alarm watches.
      type: str
      sample: RootAccountUsage
    namespace:
      description: The metric's namespace.
      type: str
      sample: Acme/CIS
    statistic:
      description: How the metric is aggregated over a period.
      type: str
      sample: Sum
    comparison_operator:
      description: How the statistic is compared with the threshold.
      type: str
      sample: GreaterThanOrEqualToThreshold
    threshold:
      description: The threshold.
      type: float
      sample: 1.0
    period:
      description: The period in seconds.
      type: int
      sample: 300
    evaluation_periods:
      description: How many periods the alarm evaluates.
      type: int
      sample: 1
    datapoints_to_alarm:
      description: How many of them must breach.
      type: int
      sample: 1
    treat_missing_data:
      description: How a period without data counts.
      type: str
      sample: notBreaching
    actions_enabled:
      description: Whether the actions run.
      type: bool
      sample: true
    alarm_actions:
      description: What the alarm notifies in C(ALARM), sorted.
      type: list
      elements: str
      sample: ["arn:aws:sns:us-east-1:111111111111:acme-security-alarms"]
    ok_actions:
      description: What the alarm notifies in C(OK), sorted.
      type: list
      elements: str
      sample: []
    insufficient_data_actions:
      description: What the alarm notifies in C(INSUFFICIENT_DATA), sorted.
      type: list
      elements: str
      sample: []
removed_filters:
  description: The owned filters deleted (in check mode, that would be deleted), sorted.
  returned: always
  type: list
  elements: str
  sample: ["acme-cis-console-signin-without-mfa"]
removed_alarms:
  description: The owned alarms deleted (in check mode, that would be deleted), sorted.
  returned: always
  type: list
  elements: str
  sample: ["acme-cis-console-signin-without-mfa"]
"""

import re

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import MAX_ALARMS_PER_DELETE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import cloudwatch_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import delete_alarms
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import delete_metric_filter
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import describe_alarms
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import describe_metric_filters
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import put_metric_alarm
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import put_metric_filter
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule

# A filter name may not hold ':' or '*' (CloudWatch Logs API Reference, PutMetricFilter); an alarm name is at most
# 255 characters (CloudWatch API Reference, PutMetricAlarm). A name here is both.
NAME_RE = re.compile(r"^[^:*]{1,255}$")
NAMESPACE_RE = re.compile(r"^[^:*$]{1,255}$")
MAX_PATTERN_LENGTH = 1024
MAX_DESCRIPTION_LENGTH = 1024
HIGH_RESOLUTION_PERIODS = (10, 20, 30)


# ---------------------------------------------------------------- validation (pure)


def validate_item(index, item, prefix):
    """The first problem of `item` (items[index]), or None."""
    where = f"items[{index}] ({item['name']})"
    if not NAME_RE.match(item["name"]):
        return f"{where}: name must be 1 to 255 characters without ':' or '*'"
    if not item["name"].startswith(prefix):
        return f"{where}: name must start with name_prefix ({prefix}), which marks what this module owns"
    if len(item["pattern"]) > MAX_PATTERN_LENGTH:
        return f"{where}: pattern is {len(item['pattern'])} characters long; AWS allows at most {MAX_PATTERN_LENGTH}"
    if not NAMESPACE_RE.match(item["metric_name"]):
        return f"{where}: metric_name must be 1 to 255 characters without ':', '*' or '$'"
    if len(item["description"]) > MAX_DESCRIPTION_LENGTH:
        return f"{where}: description is longer than {MAX_DESCRIPTION_LENGTH} characters"
    period = item["period"]
    if period not in HIGH_RESOLUTION_PERIODS and (period < 60 or period % 60):
        return f"{where}: period must be 10, 20, 30 or a multiple of 60 seconds, got {period}"
    if item["evaluation_periods"] < 1:
        return f"{where}: evaluation_periods must be 1 or more, got {item['evaluation_periods']}"
    datapoints = item["datapoints_to_alarm"]
    if datapoints is not None and not 1 <= datapoints <= item["evaluation_periods"]:
        return (
            f"{where}: datapoints_to_alarm must be 1 to evaluation_periods ({item['evaluation_periods']}), "
            f"got {datapoints}"
        )
    return None


def validate_params(params):
    """The first problem of the options that needs no AWS call, or None."""
    prefix = params["name_prefix"]
    if not NAME_RE.match(prefix):
        return "name_prefix must be 1 to 255 characters without ':' or '*'"
    namespace = params["metric_namespace"]
    if not NAMESPACE_RE.match(namespace) or namespace.startswith("AWS/"):
        return (
            f"metric_namespace ({namespace}) must be 1 to 255 characters without ':', '*' or '$', "
            "not starting with 'AWS/' (reserved for AWS)"
        )
    seen = set()
    for index, item in enumerate(params["items"]):
        error = validate_item(index, item, prefix)
        if error:
            return error
        if item["name"] in seen:
            return f"items[{index}] ({item['name']}): the name is in items twice"
        seen.add(item["name"])
    for index, name in enumerate(params["remove"]):
        if not name.startswith(prefix):
            return f"remove[{index}] ({name}): only names that start with name_prefix ({prefix}) can be removed"
        if name in seen:
            return f"remove[{index}] ({name}): the name is also in items"
    return None


# ---------------------------------------------------------------- wanted and current states (pure)


def wanted_filter(item, namespace):
    return {
        "name": item["name"],
        "pattern": item["pattern"],
        "metric_name": item["metric_name"],
        "metric_namespace": namespace,
        "metric_value": item["metric_value"],
        "default_value": item["default_value"],
    }


def current_filter(metric_filter):
    """A DescribeMetricFilters entry in the shape of wanted_filter(), plus any setting the module does not set."""
    transformation = (metric_filter.get("metricTransformations") or [{}])[0]
    state = {
        "name": metric_filter["filterName"],
        "pattern": metric_filter.get("filterPattern", ""),
        "metric_name": transformation.get("metricName"),
        "metric_namespace": transformation.get("metricNamespace"),
        "metric_value": transformation.get("metricValue"),
        "default_value": transformation.get("defaultValue"),
    }
    if transformation.get("dimensions"):
        state["dimensions"] = transformation["dimensions"]
    if transformation.get("unit") not in (None, "None"):
        state["unit"] = transformation["unit"]
    return state


def wanted_alarm(item, params):
    return {
        "name": item["name"],
        "description": item["description"],
        "metric_name": item["metric_name"],
        "namespace": params["metric_namespace"],
        "statistic": item["statistic"],
        "comparison_operator": item["comparison_operator"],
        "threshold": float(item["threshold"]),
        "period": item["period"],
        "evaluation_periods": item["evaluation_periods"],
        # AWS's default: every evaluated period must breach.
        "datapoints_to_alarm": item["datapoints_to_alarm"] or item["evaluation_periods"],
        "treat_missing_data": item["treat_missing_data"],
        "actions_enabled": params["actions_enabled"],
        "alarm_actions": sorted(set(params["alarm_actions"])),
        "ok_actions": sorted(set(params["ok_actions"])),
        "insufficient_data_actions": sorted(set(params["insufficient_data_actions"])),
    }


def current_alarm(alarm):
    """A DescribeAlarms entry in the shape of wanted_alarm(), plus any setting the module does not set."""
    evaluation_periods = alarm.get("EvaluationPeriods")
    state = {
        "name": alarm["AlarmName"],
        "description": alarm.get("AlarmDescription", ""),
        "metric_name": alarm.get("MetricName"),
        "namespace": alarm.get("Namespace"),
        "statistic": alarm.get("Statistic"),
        "comparison_operator": alarm.get("ComparisonOperator"),
        "threshold": alarm.get("Threshold"),
        "period": alarm.get("Period"),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm") or evaluation_periods,
        # AWS's default, and what alarms made before the setting existed behave as.
        "treat_missing_data": alarm.get("TreatMissingData", "missing"),
        "actions_enabled": alarm.get("ActionsEnabled", True),
        "alarm_actions": sorted(set(alarm.get("AlarmActions", []))),
        "ok_actions": sorted(set(alarm.get("OKActions", []))),
        "insufficient_data_actions": sorted(set(alarm.get("InsufficientDataActions", []))),
    }
    if alarm.get("Dimensions"):
        state["dimensions"] = {dimension["Name"]: dimension["Value"] for dimension in alarm["Dimensions"]}
    if alarm.get("Unit"):
        state["unit"] = alarm["Unit"]
    return state


def filter_transformation(state):
    """PutMetricFilter's metricTransformations entry for a wanted_filter() state."""
    transformation = {
        "metricName": state["metric_name"],
        "metricNamespace": state["metric_namespace"],
        "metricValue": state["metric_value"],
    }
    if state["default_value"] is not None:
        transformation["defaultValue"] = state["default_value"]
    return transformation


def alarm_parameters(state):
    """PutMetricAlarm's parameters for a wanted_alarm() state."""
    return {
        "AlarmName": state["name"],
        "AlarmDescription": state["description"],
        "ActionsEnabled": state["actions_enabled"],
        "AlarmActions": state["alarm_actions"],
        "OKActions": state["ok_actions"],
        "InsufficientDataActions": state["insufficient_data_actions"],
        "MetricName": state["metric_name"],
        "Namespace": state["namespace"],
        "Statistic": state["statistic"],
        "Period": state["period"],
        "EvaluationPeriods": state["evaluation_periods"],
        "DatapointsToAlarm": state["datapoints_to_alarm"],
        "Threshold": state["threshold"],
        "ComparisonOperator": state["comparison_operator"],
        "TreatMissingData": state["treat_missing_data"],
    }


def plan(current, wanted, remove, purge):
    """(names to put, names to delete): the wanted ones that differ, and the existing owned ones that are unwanted.

    `current` holds only owned names (it was read by the prefix).
    """
    to_put = [name for name, state in wanted.items() if current.get(name) != state]
    unwanted = set(current) - set(wanted) if purge else set(remove)
    return to_put, sorted(name for name in unwanted if name in current)


# ---------------------------------------------------------------- changes


def ensure_filters(client, log_group_name, current, wanted, remove, purge, check_mode):
    """Put the filters that differ and delete the unwanted owned ones; return (put, deleted) names."""
    to_put, to_delete = plan(current, wanted, remove, purge)
    if not check_mode:
        for name in to_put:
            state = wanted[name]
            put_metric_filter(client, log_group_name, name, state["pattern"], filter_transformation(state))
        for name in to_delete:
            delete_metric_filter(client, log_group_name, name)
    return to_put, to_delete


def ensure_alarms(client, current, wanted, remove, purge, check_mode):
    """Put the alarms that differ and delete the unwanted owned ones, 100 a call; return (put, deleted) names."""
    to_put, to_delete = plan(current, wanted, remove, purge)
    if not check_mode:
        for name in to_put:
            put_metric_alarm(client, alarm_parameters(wanted[name]))
        for start in range(0, len(to_delete), MAX_ALARMS_PER_DELETE):
            end = start + MAX_ALARMS_PER_DELETE
            delete_alarms(client, to_delete[start:end])
    return to_put, to_delete


def diff_of(current, wanted, put, deleted):
    """Before and after of the names that change, nothing else."""
    return (
        {name: current[name] for name in put + deleted if name in current},
        {name: wanted[name] for name in put},
    )


def main():
    item_spec = dict(
        name=dict(type="str", required=True),
        pattern=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        metric_value=dict(type="str", default="1"),
        default_value=dict(type="float"),
        description=dict(type="str", default=""),
        statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"], default="Sum"),
        comparison_operator=dict(
            type="str",
            choices=[
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
            ],
            default="GreaterThanOrEqualToThreshold",
        ),
        threshold=dict(type="float", default=1),
        period=dict(type="int", default=300),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(
            type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="notBreaching"
        ),
    )
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        metric_namespace=dict(type="str", required=True),
        name_prefix=dict(type="str", required=True),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
        actions_enabled=dict(type="bool", default=True),
        items=dict(type="list", elements="dict", options=item_spec, default=[]),
        remove=dict(type="list", elements="str", default=[]),
        purge=dict(type="bool", default=False),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate_params(params)
    if error:
        module.fail_json(msg=error)

    log_group_name, prefix = params["log_group_name"], params["name_prefix"]
    wanted_filters = {item["name"]: wanted_filter(item, params["metric_namespace"]) for item in params["items"]}
    wanted_alarms = {item["name"]: wanted_alarm(item, params) for item in params["items"]}
    logs = module.client("logs", retry_decorator=cloudwatch_retry)
    cloudwatch = module.client("cloudwatch", retry_decorator=cloudwatch_retry)
    try:
        # Every read before any write, so that a missing log group changes nothing.
        found = describe_metric_filters(logs, log_group_name, prefix)
        if found is None and not module.check_mode:
            module.fail_json(
                msg=f"log_group_name: the log group {log_group_name} does not exist in this account and region; "
                "create it first"
            )
        current_filters = {item["filterName"]: current_filter(item) for item in found or []}
        current_alarms = {alarm["AlarmName"]: current_alarm(alarm) for alarm in describe_alarms(cloudwatch, prefix)}
        put_filters, deleted_filters = ensure_filters(
            logs, log_group_name, current_filters, wanted_filters, params["remove"], params["purge"], module.check_mode
        )
        put_alarms, deleted_alarms = ensure_alarms(
            cloudwatch, current_alarms, wanted_alarms, params["remove"], params["purge"], module.check_mode
        )
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)

    result = dict(
        changed=bool(put_filters or deleted_filters or put_alarms or deleted_alarms),
        filters=list(wanted_filters.values()),
        alarms=list(wanted_alarms.values()),
        removed_filters=deleted_filters,
        removed_alarms=deleted_alarms,
    )
    if module._diff:  # pylint: disable=protected-access
        filters_before, filters_after = diff_of(current_filters, wanted_filters, put_filters, deleted_filters)
        alarms_before, alarms_after = diff_of(current_alarms, wanted_alarms, put_alarms, deleted_alarms)
        result["diff"] = dict(
            before=dict(filters=filters_before, alarms=alarms_before),
            after=dict(filters=filters_after, alarms=alarms_after),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
