# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the EventBridge rule, target and event bus policy API, in
the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into
AnsibleEventBridgeError("Failed to <verb noun>"), so a module needs exactly one
`except AnsibleEventBridgeError`. PutTargets and RemoveTargets report a target
they could not change in the response, not as an error: the wrappers raise
AnsibleEventBridgeError for it too.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# EventBridge throttles with ThrottlingException and refuses concurrent changes to one rule with
# ConcurrentModificationException; both are safe to retry.
events_retry = AWSRetry.jittered_backoff(
    catch_extra_error_codes=["ThrottlingException", "ConcurrentModificationException"]
)


class AnsibleEventBridgeError(AnsibleAWSError):
    pass


class EventBridgeErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEventBridgeError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def _raise_failed_entries(response, action):
    """PutTargets and RemoveTargets answer 200 even when some targets failed; make that an error."""
    failed = response.get("FailedEntries") or []
    if response.get("FailedEntryCount") or failed:
        reasons = "; ".join(
            f"{entry.get('TargetId')}: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}" for entry in failed
        )
        raise AnsibleEventBridgeError(message=f"Failed to {action}: {reasons}")


@EventBridgeErrorHandler.list_error_handler("list rules")
@events_retry
def list_rules(client, event_bus_name, name_prefix):
    """The rules on the bus whose names start with `name_prefix`; None when the bus does not exist."""
    paginator = client.get_paginator("list_rules")
    return paginator.paginate(EventBusName=event_bus_name, NamePrefix=name_prefix).build_full_result()["Rules"]


@EventBridgeErrorHandler.list_error_handler("list targets by rule", [])
@events_retry
def list_targets_by_rule(client, event_bus_name, rule_name):
    paginator = client.get_paginator("list_targets_by_rule")
    return paginator.paginate(EventBusName=event_bus_name, Rule=rule_name).build_full_result()["Targets"]


@EventBridgeErrorHandler.list_error_handler("describe rule")
@events_retry
def describe_rule(client, event_bus_name, rule_name):
    """The rule, or None when it does not exist."""
    return client.describe_rule(Name=rule_name, EventBusName=event_bus_name)


@EventBridgeErrorHandler.common_error_handler("put rule")
@events_retry
def put_rule(client, rule):
    """Create or update a rule; `rule` holds PutRule's parameters. Returns the rule's ARN."""
    return client.put_rule(**rule)["RuleArn"]


@EventBridgeErrorHandler.common_error_handler("put targets")
@events_retry
def put_targets(client, event_bus_name, rule_name, targets):
    response = client.put_targets(EventBusName=event_bus_name, Rule=rule_name, Targets=targets)
    _raise_failed_entries(response, f"put targets of rule {rule_name}")
    return True


@EventBridgeErrorHandler.common_error_handler("remove targets")
@events_retry
def remove_targets(client, event_bus_name, rule_name, target_ids):
    response = client.remove_targets(EventBusName=event_bus_name, Rule=rule_name, Ids=target_ids)
    _raise_failed_entries(response, f"remove targets of rule {rule_name}")
    return True


@EventBridgeErrorHandler.deletion_error_handler("delete rule")
@events_retry
def delete_rule(client, event_bus_name, rule_name):
    client.delete_rule(EventBusName=event_bus_name, Name=rule_name)
    return True


@EventBridgeErrorHandler.list_error_handler("describe event bus")
@events_retry
def describe_event_bus(client, event_bus_name):
    """The event bus (DescribeEventBus), its Policy a JSON string when it has one; None when it does not exist."""
    return client.describe_event_bus(Name=event_bus_name)


@EventBridgeErrorHandler.common_error_handler("put event bus policy")
@events_retry
def put_event_bus_policy(client, event_bus_name, policy):
    """PutPermission with a whole policy document (a JSON string)."""
    client.put_permission(EventBusName=event_bus_name, Policy=policy)
    return True


@EventBridgeErrorHandler.deletion_error_handler("remove event bus policy statement")
@events_retry
def remove_permission(client, event_bus_name, statement_id):
    client.remove_permission(EventBusName=event_bus_name, StatementId=statement_id)
    return True
