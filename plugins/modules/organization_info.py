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
  - Returns the caller's ARN and its partition (C(aws), C(aws-cn), C(aws-us-gov) ...), from which ARNs of the
    caller's partition are built.
  - Optionally lists the trails of the caller's account in every region, with their settings, for example to find
    an organization trail made by someone else (AWS Control Tower's C(aws-controltower-BaselineCloudTrail)).
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
  include_trails:
    description:
      - Also list the trails of the caller's account, in every region, with their settings.
      - One C(ListTrails), which covers the whole account, then one C(DescribeTrails) that names the trails by
        ARN, which reads trails of other regions too.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes.info_module
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

- name: Find organization trails in the management account, with the caller's partition
  trailguard.cloudtrail.organization_info:
    include_trails: true
  register: org

- name: Show them
  ansible.builtin.debug:
    msg: >-
      {{ org.trails | selectattr('is_organization_trail', 'defined') | selectattr('is_organization_trail')
         | map(attribute='trail_arn') | list }}, in partition {{ org.partition }}
"""

RETURN = r"""
caller_account_id:
  description: The account ID of the caller.
  returned: always
  type: str
  sample: "123456789012"
caller_arn:
  description: The ARN of the caller (an IAM user, an assumed-role session ...).
  returned: always
  type: str
  sample: arn:aws-us-gov:sts::123456789012:assumed-role/TrailguardRunner/ci
partition:
  description: The partition of the caller's ARN, in which every ARN of its accounts is.
  returned: always
  type: str
  sample: aws-us-gov
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
trails:
  description:
    - The trails of the caller's account, in every region, sorted by ARN, with the settings C(DescribeTrails)
      returns (snake_case).
    - A trail that C(DescribeTrails) does not return has only C(name), C(trail_arn) and C(home_region).
  returned: when O(include_trails=true)
  type: list
  elements: dict
  contains:
    name:
      description: The trail name.
      type: str
      sample: aws-controltower-BaselineCloudTrail
    trail_arn:
      description: The trail ARN.
      type: str
      sample: arn:aws:cloudtrail:us-east-1:123456789012:trail/aws-controltower-BaselineCloudTrail
    home_region:
      description: The region the trail was created in.
      type: str
      sample: us-east-1
    is_organization_trail:
      description: Whether the trail logs every account of the organization.
      type: bool
    is_multi_region_trail:
      description: Whether the trail logs every region.
      type: bool
    s3_bucket_name:
      description: The bucket the trail delivers to.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import describe_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import list_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import caller_is_management
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_roots
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import get_caller_identity


def arn_partition(arn):
    """The partition of an ARN: arn:<partition>:<service>:..."""
    return arn.split(":")[1]


def account_trails(cloudtrail_client):
    """Every trail of the caller's account, with its settings, sorted by ARN.

    ListTrails covers the whole account; DescribeTrails then reads each trail by its ARN, in any region.
    """
    listed = sorted(list_trails(cloudtrail_client), key=lambda trail: trail["TrailARN"])
    described = describe_trails(cloudtrail_client, [trail["TrailARN"] for trail in listed])
    by_arn = {trail["TrailARN"]: trail for trail in described}
    return [boto3_resource_to_ansible_dict(by_arn.get(item["TrailARN"], item), force_tags=False) for item in listed]


def describe(client, sts_client, include_accounts, cloudtrail_client=None):
    caller = get_caller_identity(sts_client)
    account_id = caller["Account"]
    organization = describe_organization(client) or {}
    result = {
        "caller_account_id": account_id,
        "caller_arn": caller["Arn"],
        "partition": arn_partition(caller["Arn"]),
        "is_management_account": caller_is_management(organization, account_id),
        "organization": boto3_resource_to_ansible_dict(organization, force_tags=False) if organization else {},
    }
    # Roots and accounts can only be listed from the management account.
    if result["is_management_account"]:
        result["roots"] = [boto3_resource_to_ansible_dict(root, force_tags=False) for root in list_roots(client)]
        if include_accounts:
            result["accounts"] = [
                boto3_resource_to_ansible_dict(account, force_tags=False) for account in list_accounts(client)
            ]
    if cloudtrail_client is not None:
        result["trails"] = account_trails(cloudtrail_client)
    return result


def main():
    module = TrailguardAWSModule(
        argument_spec=dict(
            include_accounts=dict(type="bool", default=False),
            include_trails=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    client = module.client("organizations", retry_decorator=AWSRetry.jittered_backoff())
    sts_client = module.client("sts", retry_decorator=AWSRetry.jittered_backoff())
    cloudtrail_client = module.client("cloudtrail") if module.params["include_trails"] else None
    try:
        result = describe(client, sts_client, module.params["include_accounts"], cloudtrail_client)
    except (AnsibleOrganizationsError, AnsibleCloudTrailError, AnsibleSTSError) as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
