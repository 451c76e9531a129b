#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: config_recorder
version_added: 1.0.0
short_description: manage an AWS Config configuration recorder and whether it records
description:
  - Creates, updates or deletes the AWS Config configuration recorder of the account and region the module runs in,
    and starts or stops it.
  - Compares only the settings it manages, so it is idempotent against the fields AWS adds to a recorder
    (C(recordingStrategy), C(exclusionByResourceTypes)). It can start the recorder, which
    M(community.aws.config_recorder) cannot.
  - AWS Config needs a delivery channel before a recorder can start, and a recorder before a delivery channel can be
    created. So create the recorder first, then the delivery channel (M(community.aws.config_delivery_channel)), then
    run this module again with O(recording=true).
  - An account has at most one recorder and one delivery channel per region. If the region already has a recorder
    under another name (AWS Control Tower makes C(aws-controltower-BaselineConfigRecorder)), or a delivery channel
    under another name than O(delivery_channel_name), the module fails before any change with a message naming it,
    instead of leaving AWS Config to fail with C(MaxNumberOfConfigurationRecordersExceededException). Set O(name) (or
    O(delivery_channel_name)) to the existing name to manage it.
author:
  - Trailguard maintainers (@trailguard)
options:
  name:
    description:
      - The recorder's name. An account has at most one recorder per region.
    type: str
    default: default
  role_arn:
    description:
      - The IAM role AWS Config assumes to read the resources' configuration.
      - Required when O(state=present).
    type: str
  all_supported:
    description:
      - Record every resource type AWS Config supports in the region, including new ones as they are added.
    type: bool
    default: true
  include_global_resource_types:
    description:
      - Also record global resource types such as IAM users, groups, roles and policies. Turn this on in one region
        only, or every global change is recorded once per region.
      - Needs O(all_supported=true).
    type: bool
    default: false
  resource_types:
    description:
      - The resource types to record, such as V(AWS::S3::Bucket), when O(all_supported=false).
    type: list
    elements: str
    default: []
  recording:
    description:
      - V(true) starts the recorder and V(false) stops it. When not set, whether it records is left as it is (a new
        recorder does not record).
    type: bool
  delivery_channel_name:
    description:
      - The name of the delivery channel the region has or will have (with M(community.aws.config_delivery_channel)).
      - When set and O(state=present), the module fails before any change if the region already has a delivery
        channel under another name. Not set, delivery channels are not looked at.
    type: str
  state:
    description:
      - V(present) creates or updates the recorder; V(absent) stops and deletes it.
    type: str
    choices: ["present", "absent"]
    default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - trailguard.cloudtrail.propagation
"""

EXAMPLES = r"""
- name: Record every supported resource, global ones too (in this one region); fail if another channel is in the way
  trailguard.cloudtrail.config_recorder:
    role_arn: arn:aws:iam::111111111111:role/TrailguardConfigRecorder
    include_global_resource_types: true
    delivery_channel_name: default

- name: Deliver to the central bucket
  community.aws.config_delivery_channel:
    name: default
    s3_bucket: acme-cloudtrail

- name: Start recording
  trailguard.cloudtrail.config_recorder:
    role_arn: arn:aws:iam::111111111111:role/TrailguardConfigRecorder
    include_global_resource_types: true
    recording: true

- name: Record S3 buckets only
  trailguard.cloudtrail.config_recorder:
    role_arn: arn:aws:iam::111111111111:role/TrailguardConfigRecorder
    all_supported: false
    resource_types:
      - AWS::S3::Bucket

- name: Stop and delete the recorder
  trailguard.cloudtrail.config_recorder:
    state: absent
"""

RETURN = r"""
configuration_recorder:
  description:
    - The recorder after the change (in check mode, the state the change would produce); empty when there is none.
  returned: always
  type: dict
  contains:
    name:
      description: The recorder's name.
      type: str
      sample: default
    role_arn:
      description: The role AWS Config assumes.
      type: str
      sample: arn:aws:iam::111111111111:role/TrailguardConfigRecorder
    all_supported:
      description: Whether every supported resource type is recorded.
      type: bool
    include_global_resource_types:
      description: Whether global resource types are recorded.
      type: bool
    resource_types:
      description: The resource types recorded when not all are, sorted.
      type: list
      elements: str
    recording:
      description: Whether the recorder records.
      type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import AnsibleConfigError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import delete_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import delivery_channel_names
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import describe_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import describe_recorder_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import normalize_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import one_per_region_error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import put_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import recorder_names
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import start_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import stop_recorder
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import DEFAULT_PROPAGATION_TIMEOUT
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import PROPAGATION_TIMEOUT_SPEC
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import check_propagation_timeout
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_arn
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error

SETTINGS = ("role_arn", "all_supported", "include_global_resource_types", "resource_types")


def validate(params):
    """The first problem with the module's options, or None."""
    if params["state"] != "present":
        return None
    role = params["role_arn"]
    return first_error(
        check_arn(role, "role_arn", service="iam"),
        (
            None
            if ":role/" in role
            else f"role_arn must be an IAM role ARN, arn:aws:iam::<account>:role/<name>; got {role!r}"
        ),
        (
            "resource_types must be empty when all_supported is true (every supported type is recorded)"
            if params["all_supported"] and params["resource_types"]
            else None
        ),
        (
            "resource_types must list at least one resource type, such as AWS::S3::Bucket, when all_supported is false"
            if not params["all_supported"] and not params["resource_types"]
            else None
        ),
        (
            "include_global_resource_types needs all_supported: true (AWS Config only records global types that way)"
            if params["include_global_resource_types"] and not params["all_supported"]
            else None
        ),
    )


def describe(client, name):
    recorder = describe_recorder(client, name)
    return normalize_recorder(recorder, describe_recorder_status(client, name) if recorder else None)


def other_recorder_or_channel(client, name, channel_name):
    """Why the recorder (or the named delivery channel) cannot be put in this region, or None."""
    region = client.meta.region_name
    return one_per_region_error("configuration recorder", "name", name, recorder_names(client), region) or (
        one_per_region_error(
            "delivery channel", "delivery_channel_name", channel_name, delivery_channel_names(client), region
        )
        if channel_name
        else None
    )


def to_boto3(desired):
    return {
        "name": desired["name"],
        "roleARN": desired["role_arn"],
        "recordingGroup": {
            "allSupported": desired["all_supported"],
            "includeGlobalResourceTypes": desired["include_global_resource_types"],
            "resourceTypes": desired["resource_types"],
        },
    }


def ensure_present(client, current, desired, recording, check_mode, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT):
    """Create or update the recorder, then start or stop it; return (changed, new_state)."""
    changed = False
    state = dict(current) if current else dict(desired, recording=False)
    if not current or any(current[key] != desired[key] for key in SETTINGS):
        if not check_mode:
            # A role made just before may not be usable by AWS Config yet (InvalidRoleException): wait for it.
            put_recorder(client, to_boto3(desired), propagation_timeout=propagation_timeout)
        state.update({key: desired[key] for key in SETTINGS})
        changed = True
    if recording is not None and state["recording"] != recording:
        if not check_mode:
            (start_recorder if recording else stop_recorder)(client, desired["name"])
        state["recording"] = recording
        changed = True
    return changed, state


def ensure_absent(client, current, check_mode):
    """Stop and delete the recorder; return (changed, new_state)."""
    if not current:
        return False, None
    if not check_mode:
        if current["recording"]:
            stop_recorder(client, current["name"])
        delete_recorder(client, current["name"])
    return True, None


def main():
    argument_spec = dict(
        name=dict(type="str", default="default"),
        role_arn=dict(type="str"),
        all_supported=dict(type="bool", default=True),
        include_global_resource_types=dict(type="bool", default=False),
        resource_types=dict(type="list", elements="str", default=[]),
        recording=dict(type="bool"),
        delivery_channel_name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        propagation_timeout=dict(PROPAGATION_TIMEOUT_SPEC),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["role_arn"])],
        supports_check_mode=True,
    )
    params = module.params
    error = validate(params) or check_propagation_timeout(params["propagation_timeout"])
    if error:
        module.fail_json(msg=error)
    desired = {key: params[key] for key in SETTINGS}
    desired["name"] = params["name"]
    desired["resource_types"] = sorted(set(params["resource_types"]))

    client = module.client("config", retry_decorator=AWSRetry.jittered_backoff())
    try:
        before = describe(client, params["name"])
        conflict = params["state"] == "present" and other_recorder_or_channel(
            client, params["name"], params["delivery_channel_name"]
        )
        if conflict:
            module.fail_json(msg=conflict)
        if params["state"] == "present":
            changed, after = ensure_present(
                client, before, desired, params["recording"], module.check_mode, params["propagation_timeout"]
            )
        else:
            changed, after = ensure_absent(client, before, module.check_mode)
    except AnsibleConfigError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, configuration_recorder=after or {})
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before or {}, after=after or {})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
