# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the IAM group APIs that amazon.aws's module_utils/iam.py does not have, in its style.

Every wrapper retries throttling and turns any other botocore error into AnsibleIAMError("Failed to <verb noun>"),
so a module needs exactly one `except AnsibleIAMError`. A getter returns None when the group or policy is missing
(NoSuchEntity); a deletion returns False when it is already gone.
"""

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@IAMErrorHandler.list_error_handler("list policies attached to group")
@AWSRetry.jittered_backoff()
def list_attached_group_policy_arns(client, group):
    """The ARNs of the managed policies attached to the group, or None when the group does not exist."""
    paginator = client.get_paginator("list_attached_group_policies")
    result = paginator.paginate(GroupName=group).build_full_result()
    return [policy["PolicyArn"] for policy in result.get("AttachedPolicies", [])]


@IAMErrorHandler.list_error_handler("get group policy")
@AWSRetry.jittered_backoff()
def get_group_policy(client, group, policy_name):
    """The inline policy's document as a dict, or None when the group or the policy does not exist."""
    document = client.get_group_policy(GroupName=group, PolicyName=policy_name)["PolicyDocument"]
    # IAM returns the document URL-encoded; boto3 decodes most but not all of it.
    return json.loads(unquote(document)) if isinstance(document, str) else document


@IAMErrorHandler.common_error_handler("create group")
@AWSRetry.jittered_backoff()
def create_group(client, group, path):
    return client.create_group(GroupName=group, Path=path)["Group"]


@IAMErrorHandler.common_error_handler("update group path")
@AWSRetry.jittered_backoff()
def update_group_path(client, group, path):
    client.update_group(GroupName=group, NewPath=path)
    return True


@IAMErrorHandler.common_error_handler("attach group policy")
@AWSRetry.jittered_backoff()
def attach_group_policy(client, group, policy_arn):
    client.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    return True


@IAMErrorHandler.deletion_error_handler("detach group policy")
@AWSRetry.jittered_backoff()
def detach_group_policy(client, group, policy_arn):
    client.detach_group_policy(GroupName=group, PolicyArn=policy_arn)
    return True


@IAMErrorHandler.common_error_handler("put group policy")
@AWSRetry.jittered_backoff()
def put_group_policy(client, group, policy_name, document):
    client.put_group_policy(GroupName=group, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return True


@IAMErrorHandler.deletion_error_handler("delete group policy")
@AWSRetry.jittered_backoff()
def delete_group_policy(client, group, policy_name):
    client.delete_group_policy(GroupName=group, PolicyName=policy_name)
    return True


@IAMErrorHandler.common_error_handler("add user to group")
@AWSRetry.jittered_backoff()
def add_user_to_group(client, group, user):
    client.add_user_to_group(GroupName=group, UserName=user)
    return True


@IAMErrorHandler.deletion_error_handler("remove user from group")
@AWSRetry.jittered_backoff()
def remove_user_from_group(client, group, user):
    client.remove_user_from_group(GroupName=group, UserName=user)
    return True
