#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: athena_workgroup
version_added: 1.0.0
short_description: manage an Amazon Athena workgroup and the configuration it enforces
description:
  - Creates or updates an Athena (SQL) workgroup - its description and state, where and how query results are
    written (S3 location, encryption, expected bucket owner), whether the workgroup's settings override the
    client's, CloudWatch metrics, the per-query limit on bytes scanned, requester pays and the engine version.
  - Reads the workgroup once (C(GetWorkGroup)) and writes only what differs, in one C(UpdateWorkGroup) that carries
    only the changed settings.
  - An option that is not set leaves the workgroup's setting as it is (on a new workgroup, Athena's default).
  - With O(state=absent) deletes the workgroup; its saved queries too only with O(recursive_delete=true).
author:
  - Trailguard maintainers (@trailguard)
options:
  name:
    description:
      - The workgroup's name, 1 to 128 letters, digits, V(.), V(_) and V(-).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the workgroup, V(absent) deletes it.
    type: str
    choices: ["present", "absent"]
    default: present
  description:
    description:
      - The workgroup's description, at most 1024 characters.
    type: str
  enabled:
    description:
      - Whether queries can run in the workgroup (C(ENABLED) or C(DISABLED)).
    type: bool
  output_location:
    description:
      - Where query results go, V(s3://bucket/prefix/).
    type: str
  encryption_option:
    description:
      - How query results are encrypted.
    type: str
    choices: ["SSE_S3", "SSE_KMS", "CSE_KMS"]
  kms_key:
    description:
      - The KMS key (ARN or ID) for V(SSE_KMS) and V(CSE_KMS); required with them, refused with V(SSE_S3).
    type: str
  expected_bucket_owner:
    description:
      - The account that must own the results bucket; Athena refuses to write results to a bucket of another
        account.
    type: str
  enforce_workgroup_configuration:
    description:
      - Whether the workgroup's settings (results location, encryption, limits) override what a client asks for.
    type: bool
  publish_cloudwatch_metrics:
    description:
      - Whether Athena publishes query metrics to CloudWatch.
    type: bool
  bytes_scanned_cutoff_per_query:
    description:
      - The most bytes a query may scan before Athena cancels it, at least 10000000 (10 MB). V(0) removes the limit.
    type: int
  requester_pays_enabled:
    description:
      - Whether queries may read Requester Pays buckets (and pay for it).
    type: bool
  engine_version:
    description:
      - The selected engine version, such as V(AUTO) or V(Athena engine version 3).
    type: str
  recursive_delete:
    description:
      - With O(state=absent), also delete the workgroup's saved queries; without it Athena refuses to delete a
        workgroup that has any.
    type: bool
    default: false
notes:
  - Workgroup tags are not managed.
  - Permissions - C(athena:GetWorkGroup), C(athena:CreateWorkGroup), C(athena:UpdateWorkGroup) and
    C(athena:DeleteWorkGroup) on the workgroup.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A workgroup that writes encrypted results to one bucket, whatever the client asks, 10 GB per query at most
  trailguard.cloudtrail.athena_workgroup:
    name: acme-cloudtrail
    description: CloudTrail investigations
    output_location: s3://acme-athena-results/acme-cloudtrail/
    encryption_option: SSE_KMS
    kms_key: arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
    expected_bucket_owner: "222222222222"
    enforce_workgroup_configuration: true
    publish_cloudwatch_metrics: true
    bytes_scanned_cutoff_per_query: 10737418240

- name: Remove the per-query limit
  trailguard.cloudtrail.athena_workgroup:
    name: acme-cloudtrail
    bytes_scanned_cutoff_per_query: 0
"""

RETURN = r"""
workgroup:
  description:
    - The workgroup as it is after the run (in check mode, as it would be), in the shape of the options; empty
      when O(state=absent). A setting Athena has not reported is null.
  returned: always
  type: dict
  contains:
    name:
      description: The workgroup's name.
      type: str
      sample: acme-cloudtrail
    description:
      description: The description.
      type: str
      sample: CloudTrail investigations
    enabled:
      description: Whether queries can run.
      type: bool
      sample: true
    output_location:
      description: Where query results go.
      type: str
      sample: s3://acme-athena-results/acme-cloudtrail/
    encryption_option:
      description: How results are encrypted.
      type: str
      sample: SSE_KMS
    kms_key:
      description: The results' KMS key.
      type: str
      sample: arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
    expected_bucket_owner:
      description: The account that must own the results bucket.
      type: str
      sample: "222222222222"
    enforce_workgroup_configuration:
      description: Whether the workgroup's settings override the client's.
      type: bool
      sample: true
    publish_cloudwatch_metrics:
      description: Whether query metrics go to CloudWatch.
      type: bool
      sample: true
    bytes_scanned_cutoff_per_query:
      description: The per-query limit in bytes; null when there is none.
      type: int
      sample: 10737418240
    requester_pays_enabled:
      description: Whether Requester Pays buckets may be read.
      type: bool
      sample: false
    engine_version:
      description: The selected engine version.
      type: str
      sample: AUTO
"""

import re

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import AnsibleAthenaError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import athena_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import create_work_group
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import delete_work_group
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import get_work_group
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import update_work_group
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule

# Athena API Reference: CreateWorkGroup (Name), WorkGroupConfiguration (BytesScannedCutoffPerQuery).
NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
MIN_BYTES_SCANNED_CUTOFF = 10_000_000
MAX_DESCRIPTION_LENGTH = 1024
SETTINGS = (
    "description",
    "enabled",
    "output_location",
    "encryption_option",
    "kms_key",
    "expected_bucket_owner",
    "enforce_workgroup_configuration",
    "publish_cloudwatch_metrics",
    "bytes_scanned_cutoff_per_query",
    "requester_pays_enabled",
    "engine_version",
)


# ---------------------------------------------------------------- validation (pure)


def validate_params(params):
    """The first problem of the options that needs no AWS call, or None."""
    if not NAME_RE.match(params["name"]):
        return f"name must be 1 to 128 letters, digits, '.', '_' and '-', got {params['name']!r}"
    if params["state"] == "absent":
        if params["name"] == "primary":
            return "the primary workgroup cannot be deleted"
        return None
    if params["description"] is not None and len(params["description"]) > MAX_DESCRIPTION_LENGTH:
        return f"description is longer than {MAX_DESCRIPTION_LENGTH} characters"
    location = params["output_location"]
    if location is not None and not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", location):
        return f"output_location must be s3://<bucket>/<prefix>/, got {location!r}"
    option, key = params["encryption_option"], params["kms_key"]
    if option in ("SSE_KMS", "CSE_KMS") and not key:
        return f"kms_key is required with encryption_option {option}"
    if key and option != "SSE_KMS" and option != "CSE_KMS":
        return "kms_key needs encryption_option SSE_KMS or CSE_KMS"
    cutoff = params["bytes_scanned_cutoff_per_query"]
    if cutoff is not None and cutoff != 0 and cutoff < MIN_BYTES_SCANNED_CUTOFF:
        return (
            f"bytes_scanned_cutoff_per_query must be 0 (no limit) or at least {MIN_BYTES_SCANNED_CUTOFF} "
            f"(10 MB, Athena's minimum), got {cutoff}"
        )
    owner = params["expected_bucket_owner"]
    if owner is not None and not re.match(r"^\d{12}$", owner):
        return f"expected_bucket_owner must be a 12-digit account ID, got {owner!r}"
    return None


# ---------------------------------------------------------------- wanted and current states (pure)


def current_state(work_group):
    """A GetWorkGroup WorkGroup in the shape of the options."""
    configuration = work_group.get("Configuration") or {}
    results = configuration.get("ResultConfiguration") or {}
    encryption = results.get("EncryptionConfiguration") or {}
    return {
        "name": work_group["Name"],
        "description": work_group.get("Description") or "",
        "enabled": work_group.get("State", "ENABLED") == "ENABLED",
        "output_location": results.get("OutputLocation"),
        "encryption_option": encryption.get("EncryptionOption"),
        "kms_key": encryption.get("KmsKey"),
        "expected_bucket_owner": results.get("ExpectedBucketOwner"),
        "enforce_workgroup_configuration": configuration.get("EnforceWorkGroupConfiguration"),
        "publish_cloudwatch_metrics": configuration.get("PublishCloudWatchMetricsEnabled"),
        "bytes_scanned_cutoff_per_query": configuration.get("BytesScannedCutoffPerQuery"),
        "requester_pays_enabled": configuration.get("RequesterPaysEnabled"),
        "engine_version": (configuration.get("EngineVersion") or {}).get("SelectedEngineVersion"),
    }


def wanted_state(params, current):
    """The workgroup as it will be: each option that is set, the current value of each that is not."""
    base = current or {"name": params["name"], "description": "", "enabled": True}
    state = {setting: base.get(setting) for setting in SETTINGS}
    state["name"] = params["name"]
    for setting in SETTINGS:
        if params[setting] is not None:
            state[setting] = params[setting]
    if params["encryption_option"] == "SSE_S3":
        state["kms_key"] = None
    if state["bytes_scanned_cutoff_per_query"] == 0:
        state["bytes_scanned_cutoff_per_query"] = None
    return state


def _encryption(state):
    encryption = {"EncryptionOption": state["encryption_option"]}
    if state["kms_key"]:
        encryption["KmsKey"] = state["kms_key"]
    return encryption


def create_configuration(state):
    """CreateWorkGroup's Configuration: the settings that are set."""
    results = {}
    if state["output_location"]:
        results["OutputLocation"] = state["output_location"]
    if state["encryption_option"]:
        results["EncryptionConfiguration"] = _encryption(state)
    if state["expected_bucket_owner"]:
        results["ExpectedBucketOwner"] = state["expected_bucket_owner"]
    configuration = {"ResultConfiguration": results} if results else {}
    for setting, field in (
        ("enforce_workgroup_configuration", "EnforceWorkGroupConfiguration"),
        ("publish_cloudwatch_metrics", "PublishCloudWatchMetricsEnabled"),
        ("bytes_scanned_cutoff_per_query", "BytesScannedCutoffPerQuery"),
        ("requester_pays_enabled", "RequesterPaysEnabled"),
    ):
        if state[setting] is not None:
            configuration[field] = state[setting]
    if state["engine_version"]:
        configuration["EngineVersion"] = {"SelectedEngineVersion": state["engine_version"]}
    return configuration


def update_parameters(current, wanted):
    """UpdateWorkGroup's parameters for the settings that differ (Description, State, ConfigurationUpdates)."""
    changes, updates, results = {}, {}, {}
    differs = {setting for setting in SETTINGS if current[setting] != wanted[setting]}
    if "description" in differs:
        changes["Description"] = wanted["description"]
    if "enabled" in differs:
        changes["State"] = "ENABLED" if wanted["enabled"] else "DISABLED"
    if "output_location" in differs:
        results["OutputLocation"] = wanted["output_location"]
    if differs & {"encryption_option", "kms_key"}:
        results["EncryptionConfiguration"] = _encryption(wanted)
    if "expected_bucket_owner" in differs:
        results["ExpectedBucketOwner"] = wanted["expected_bucket_owner"]
    if results:
        updates["ResultConfigurationUpdates"] = results
    for setting, field in (
        ("enforce_workgroup_configuration", "EnforceWorkGroupConfiguration"),
        ("publish_cloudwatch_metrics", "PublishCloudWatchMetricsEnabled"),
        ("requester_pays_enabled", "RequesterPaysEnabled"),
    ):
        if setting in differs:
            updates[field] = wanted[setting]
    if "bytes_scanned_cutoff_per_query" in differs:
        if wanted["bytes_scanned_cutoff_per_query"] is None:
            updates["RemoveBytesScannedCutoffPerQuery"] = True
        else:
            updates["BytesScannedCutoffPerQuery"] = wanted["bytes_scanned_cutoff_per_query"]
    if "engine_version" in differs:
        updates["EngineVersion"] = {"SelectedEngineVersion": wanted["engine_version"]}
    if updates:
        changes["ConfigurationUpdates"] = updates
    return changes


# ---------------------------------------------------------------- changes


def ensure_present(client, params, found, check_mode):
    """Create or update the workgroup; return (changed, before or None, after)."""
    current = current_state(found) if found else None
    wanted = wanted_state(params, current)
    if current is None:
        if not check_mode:
            create_work_group(client, wanted["name"], wanted["description"], create_configuration(wanted))
            if not wanted["enabled"]:
                update_work_group(client, wanted["name"], State="DISABLED")
        return True, None, wanted
    changes = update_parameters(current, wanted)
    if changes and not check_mode:
        update_work_group(client, wanted["name"], **changes)
    return bool(changes), current, wanted


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        enabled=dict(type="bool"),
        output_location=dict(type="str"),
        encryption_option=dict(type="str", choices=["SSE_S3", "SSE_KMS", "CSE_KMS"]),
        kms_key=dict(type="str", no_log=False),
        expected_bucket_owner=dict(type="str"),
        enforce_workgroup_configuration=dict(type="bool"),
        publish_cloudwatch_metrics=dict(type="bool"),
        bytes_scanned_cutoff_per_query=dict(type="int"),
        requester_pays_enabled=dict(type="bool"),
        engine_version=dict(type="str"),
        recursive_delete=dict(type="bool", default=False),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate_params(params)
    if error:
        module.fail_json(msg=error)

    client = module.client("athena", retry_decorator=athena_retry)
    try:
        found = get_work_group(client, params["name"])
        if params["state"] == "absent":
            result = dict(changed=bool(found), workgroup={})
            if found:
                if not module.check_mode:
                    delete_work_group(client, params["name"], params["recursive_delete"])
                if module._diff:  # pylint: disable=protected-access
                    result["diff"] = dict(before=current_state(found), after={})
            module.exit_json(**result)
        changed, before, after = ensure_present(client, params, found, module.check_mode)
    except AnsibleAthenaError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, workgroup=after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before or {}, after=after if changed else before)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
