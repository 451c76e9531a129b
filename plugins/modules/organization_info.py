#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: organization_info
version_added: 1.0.0
short_description: describe the AWS Organization and the calling account
description:
  - Returns the organization the caller belongs to, whether the caller is its management account,
    and, from the management account, its roots and optionally its accounts.
  - Read only. Use it as a preflight check before changing anything, for example to fail early when the
    organization lacks all features or the playbook does not run from the management account.
author:
  - Trailguard maintainers (@trailguard)
options:
  include_accounts:
    description:
      - Also list every account of the organization (management account only).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the organization
  trailguard.cloudtrail.organization_info:
  register: org

- name: Fail unless run from the management account of an all-features organization
  ansible.builtin.assert:
    that:
      - org.is_management_account
      - org.organization.feature_set == 'ALL'
"""

RETURN = r"""
caller_account_id:
  description: The account ID of the caller.
  returned: always
  type: str
  sample: "123456789012"
is_management_account:
  description: Whether the caller is the organization's management account.
  returned: always
  type: bool
  sample: true
organization:
  description: The organization, or an empty dict when the caller is not in one.
  returned: always
  type: dict
  contains:
    id:
      description: The organization ID.
      type: str
      sample: o-exampleorgid
    arn:
      description: The organization ARN.
      type: str
    feature_set:
      description: C(ALL) or C(CONSOLIDATED_BILLING).
      type: str
      sample: ALL
    master_account_id:
      description: The management account ID.
      type: str
      sample: "123456789012"
roots:
  description: The organization's roots, with the policy types enabled on each (management account only).
  returned: when the caller is the management account
  type: list
  elements: dict
  contains:
    id:
      description: The root ID.
      type: str
      sample: r-examplerootid
    policy_types:
      description: The policy types and their status on this root.
      type: list
      elements: dict
accounts:
  description: The organization's accounts.
  returned: when O(include_accounts=true) and the caller is the management account
  type: list
  elements: dict
  contains:
    id:
      description: The account ID.
      type: str
    name:
      description: The account name.
      type: str
    status:
      description: The account status, for example C(ACTIVE).
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import caller_is_management
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_roots


def describe(client, sts_client, include_accounts):
    caller = get_caller_identity(sts_client)["Account"]
    organization = describe_organization(client) or {}
    result = {
        "caller_account_id": caller,
        "is_management_account": caller_is_management(organization, caller),
        "organization": boto3_resource_to_ansible_dict(organization, force_tags=False) if organization else {},
    }
    # Roots and accounts can only be listed from the management account.
    if result["is_management_account"]:
        result["roots"] = [boto3_resource_to_ansible_dict(root, force_tags=False) for root in list_roots(client)]
        if include_accounts:
            result["accounts"] = [boto3_resource_to_ansible_dict(account, force_tags=False) for account in list_accounts(client)]
    return result


def main():
    module = TrailguardAWSModule(
        argument_spec=dict(include_accounts=dict(type="bool", default=False)),
        supports_check_mode=True,
    )
    client = module.client("organizations", retry_decorator=AWSRetry.jittered_backoff())
    sts_client = module.client("sts", retry_decorator=AWSRetry.jittered_backoff())
    try:
        result = describe(client, sts_client, module.params["include_accounts"])
    except AnsibleOrganizationsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
