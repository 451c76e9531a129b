# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The posture report's readers: what is in place, as plain dicts for the pure checks in posture_checks.py.

Each reader calls the thin API wrappers of one service (cloudtrail.py, s3.py,
kms.py, cloudwatch.py, events.py, organizations.py, glue.py), which return None
(lists: []) when the thing is missing and raise their service's error otherwise.
The per-account fan-out (AccountSessions, scan_accounts) is in accounts.py.
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import find_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import describe_alarms_named
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import describe_metric_filters
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import describe_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import list_targets_by_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import AnsibleGlueError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import get_table as glue_get_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import describe_kms_key
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import get_key_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import get_key_rotation_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import account_state
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_policies
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_targets_for_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import walk_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_encryption
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_lifecycle
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_versioning
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_object_lock_configuration
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_public_access_block

# Tamper rules live on each account's default event bus.
DEFAULT_EVENT_BUS = "default"


class AnsiblePostureError(AnsibleAWSError):
    pass


def read_trail(client, name):
    """The trail, its status and selectors, or {"trail": None} when there is no such trail."""
    trail = find_trail(client, name)
    if not trail:
        return {"trail": None}
    return {
        "trail": trail,
        "status": get_trail_status(client, trail["TrailARN"]),
        "selectors": get_event_selectors(client, trail["TrailARN"]),
    }


def read_bucket(client, name):
    """Every bucket setting the checks look at (None where it is not set); {"exists": False} when there is no such
    bucket."""
    versioning = get_bucket_versioning(client, name)
    if versioning is None:
        return {"exists": False}
    encryption = get_bucket_encryption(client, name)
    return {
        "exists": True,
        "versioning": versioning,
        "policy": get_bucket_policy(client, name) or None,
        "encryption": [encryption] if encryption else None,
        "public_access_block": get_public_access_block(client, name) or None,
        "lifecycle": (get_bucket_lifecycle(client, name) or {}).get("Rules") or None,
        "logging": get_bucket_logging(client, name),
        "object_lock": get_object_lock_configuration(client, name) or None,
    }


def read_key(client, key_id):
    """The key's metadata, rotation and policy; {"metadata": None} when there is no such key."""
    metadata = describe_kms_key(client, key_id)
    if not metadata:
        return {"metadata": None}
    return {
        "metadata": metadata,
        "rotation": get_key_rotation_status(client, metadata["KeyId"]),
        "policy": get_key_policy(client, metadata["KeyId"]),
    }


def read_organization_tree(client):
    """Every OU (by path) and account (state, OU path, ancestors nearest first), two calls per OU.

    Walking the tree costs two listings per OU and the root, whatever the
    number of accounts, and gives each account's ancestors for SCP coverage.
    """
    root_id, ous, accounts = walk_organization(client)
    if root_id is None:
        raise AnsiblePostureError(message="The organization has no root; run from the management account")
    tree = {"root_id": root_id, "ous": {"/": root_id, **ous}, "labels": {root_id: "root"}, "accounts": {}}
    tree["labels"].update({ou_id: path for path, ou_id in ous.items()})
    for account, path, ancestors in accounts:
        tree["accounts"][account["Id"]] = {
            "name": account.get("Name", ""),
            "status": account_state(account),
            "ou_path": path,
            "ancestors": ancestors,
        }
        tree["labels"][account["Id"]] = f"account {account['Id']}"
    return tree


def read_scp_targets(client, names):
    """{policy name: set of target IDs, or None when no SCP has that name}."""
    if not names:
        return {}
    by_name = {policy["Name"]: policy for policy in list_policies(client, "SERVICE_CONTROL_POLICY")}
    targets = {}
    for name in names:
        policy = by_name.get(name)
        if policy is None:
            targets[name] = None
        else:
            found = list_targets_for_policy(client, policy["Id"])
            targets[name] = {target["TargetId"] for target in found}
    return targets


def read_alarms(cloudwatch_client, logs_client, names, log_group_name):
    """The named metric alarms and the metric filters of the trail's log group."""
    found = describe_alarms_named(cloudwatch_client, list(names)) if names else []
    alarms = {alarm["AlarmName"]: alarm for alarm in found}
    filters = (describe_metric_filters(logs_client, log_group_name) or []) if names and log_group_name else []
    return {"alarms": alarms, "metric_filters": filters}


def read_tamper_rule(client, name):
    """The rule (None when missing) and its targets' ARNs: one DescribeRule, one ListTargetsByRule."""
    rule = describe_rule(client, DEFAULT_EVENT_BUS, name)
    targets = list_targets_by_rule(client, DEFAULT_EVENT_BUS, name) if rule else []
    return {"rule": rule, "targets": [target["Arn"] for target in targets]}


def read_athena_table(client, database, name):
    """The Glue table (GetTable's Table), or {} when it (or its database) does not exist."""
    try:
        return glue_get_table(client, database, name) or {}
    except AnsibleGlueError as e:
        raise AnsiblePostureError(message=e.message, exception=e.exception) from e
