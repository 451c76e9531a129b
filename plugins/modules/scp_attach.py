#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: scp_attach
version_added: 1.0.0
short_description: manage AWS Organizations service control policies and their attachments
description:
  - Creates, updates and deletes an AWS Organizations policy, a service control policy (SCP) by default or a
    resource control policy (RCP), and attaches it to roots, organizational units (OUs) and accounts.
  - O(policies) manages several policies with the same targets and settings in one run, which lists the
    organization's policies, reads its root, resolves the targets and reads where C(FullAWSAccess) is attached once.
  - A policy is found by its name among the policies of O(policy_type).
  - B(Attachments are only ever added by default.) A target that is not listed in O(targets) is detached only with
    O(purge_targets=true), so a guardrail is never removed by surprise.
  - The AWS-managed C(FullAWSAccess) policy is never detached, unless O(detach_full_aws_access=true) asks for it
    (for allow-list strategies).
  - Enables the policy type on the organization's root when it is not enabled yet.
  - Every target is resolved (and must exist) before any change is made.
  - AWS-managed policies such as C(FullAWSAccess) cannot be created, changed or deleted with this module.
author:
  - Trailguard maintainers (@trailguard)
options:
  name:
    description:
      - The name of the policy, 1 to 128 characters.
      - One of O(name) and O(policies) is required.
    type: str
  description:
    description:
      - The description of the policy, at most 512 characters.
      - When not set, a new policy gets an empty description and an existing one keeps its description.
    type: str
  content:
    description:
      - The policy document, as a JSON string or a dictionary.
      - Whitespace is removed before it is sent. The result must be at most 5120 characters long, the AWS quota for
        SCPs and RCPs.
      - Required to create the policy. When not set, an existing policy keeps its content.
      - Compared with the current content as a policy (statement order and single values versus lists do not
        count as changes).
    type: json
  policies:
    description:
      - Several policies, each with its own name, description and content, that share every other option
        (O(policy_type), O(targets), O(purge_targets), O(detach_full_aws_access), O(state), O(tags) and
        O(purge_tags)).
      - Mutually exclusive with O(name), O(description) and O(content). At least one policy; the names must be
        unique.
      - Every policy is checked, and every target resolved, before the first change. AWS may still refuse a policy
        (for example a target that already has five SCPs); the policies before it keep their changes, the refused
        one may be partly changed (the task then reports changed), the error names it, and a re-run converges.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The name of the policy, as O(name).
        type: str
        required: true
      description:
        description:
          - The description of the policy, as O(description).
        type: str
      content:
        description:
          - The policy document, as O(content).
        type: json
  policy_type:
    description:
      - The type of the policy.
    type: str
    choices: ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
    default: SERVICE_CONTROL_POLICY
  targets:
    description:
      - Where the policy is attached. Each entry is one of
      - V(root), or the root's ID (V(r-...)), for the whole organization;
      - an OU ID (V(ou-...));
      - an OU path of OU names from the root, such as V(/Workloads) or V(/Workloads/Prod);
      - a 12-digit ID of an account in the organization.
      - Targets that are attached but not listed stay attached unless O(purge_targets=true).
      - When not set, attachments are not changed.
    type: list
    elements: str
  purge_targets:
    description:
      - Detach the policy from targets that are not in O(targets).
      - B(Defaults to V(false)) so that a guardrail is never detached by surprise. Nothing is detached when
        O(targets) is not set.
    type: bool
    default: false
  detach_full_aws_access:
    description:
      - Detach the AWS-managed C(FullAWSAccess) SCP from every target of this policy, after this policy is attached.
        Use it only for an allow-list strategy, where this policy lists what is allowed.
      - C(FullAWSAccess) is never detached when this is V(false), and it is never detached from a target that
        this policy is not attached to.
      - Only valid with O(policy_type=SERVICE_CONTROL_POLICY); AWS does not allow detaching C(RCPFullAWSAccess).
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the policy and attaches it.
      - V(absent) detaches the policy from all its targets and deletes it.
    type: str
    choices: ["present", "absent"]
    default: present
notes:
  - Every root, OU and account must keep at least one SCP attached. Detaching this policy from a target from which
    C(FullAWSAccess) was detached fails until another SCP is attached there.
  - SCPs do not restrict the management account.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Protect CloudTrail in every account of the Workloads OU and one more account
  trailguard.cloudtrail.scp_attach:
    name: protect-cloudtrail
    description: Deny stopping, deleting or changing the organization trail
    content:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyCloudTrailTampering
          Effect: Deny
          Action:
            - cloudtrail:StopLogging
            - cloudtrail:DeleteTrail
            - cloudtrail:UpdateTrail
          Resource: "*"
    targets:
      - /Workloads
      - "123456789012"
    tags:
      owner: security

- name: Attach it to exactly these targets (detach it from any other)
  trailguard.cloudtrail.scp_attach:
    name: protect-cloudtrail
    targets:
      - root
    purge_targets: true

- name: Allow-list strategy on the Sandbox OU (FullAWSAccess is detached there)
  trailguard.cloudtrail.scp_attach:
    name: sandbox-allow-list
    content: "{{ lookup('ansible.builtin.file', 'sandbox-allow-list.json') }}"
    targets:
      - /Sandbox
    detach_full_aws_access: true

- name: Two guardrails on the whole organization, in one run
  trailguard.cloudtrail.scp_attach:
    policies:
      - name: protect-cloudtrail
        description: Deny stopping, deleting or changing the organization trail
        content: "{{ lookup('ansible.builtin.file', 'protect-cloudtrail.json') }}"
      - name: protect-log-archive
        description: Deny changing the log bucket and its key
        content: "{{ lookup('ansible.builtin.file', 'protect-log-archive.json') }}"
    targets:
      - root

- name: Detach and delete the policy
  trailguard.cloudtrail.scp_attach:
    name: protect-cloudtrail
    state: absent
"""

RETURN = r"""
policies:
  description:
    - Each policy after the change, in the order of O(policies), or the one policy of O(name). Each entry has the
      keys of RV(policy).
    - Empty when O(state=absent).
    - On a failure, the policies handled before the one AWS refused.
  returned: always
  type: list
  elements: dict
  sample: [{"policy_id": "p-abcd1234", "name": "protect-cloudtrail", "type": "SERVICE_CONTROL_POLICY"}]
policy:
  description:
    - The policy after the change; V(null) when O(state=absent).
    - In check mode, the state the change would produce (a new policy has no ID or ARN yet).
  returned: when O(name) is set
  type: dict
  contains:
    policy_id:
      description: The ID of the policy.
      returned: success
      type: str
      sample: p-abcd1234
    arn:
      description: The ARN of the policy.
      returned: success
      type: str
      sample: arn:aws:organizations::123456789012:policy/o-abcd123456/service_control_policy/p-abcd1234
    name:
      description: The name of the policy.
      returned: success
      type: str
      sample: protect-cloudtrail
    description:
      description: The description of the policy.
      returned: success
      type: str
      sample: Deny stopping, deleting or changing the organization trail
    type:
      description: The type of the policy.
      returned: success
      type: str
      sample: SERVICE_CONTROL_POLICY
    aws_managed:
      description: Whether AWS manages the policy; always V(false) for a policy this module manages.
      returned: success
      type: bool
      sample: false
    content:
      description: The policy document.
      returned: success
      type: dict
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "cloudtrail:StopLogging",
               "Resource": "*"}]}
    targets:
      description: Where the policy is attached, sorted by target ID.
      returned: success
      type: list
      elements: dict
      contains:
        target_id:
          description: The ID of the root, OU or account.
          returned: success
          type: str
          sample: ou-ab12-cdef3456
        type:
          description: V(ROOT), V(ORGANIZATIONAL_UNIT) or V(ACCOUNT).
          returned: success
          type: str
          sample: ORGANIZATIONAL_UNIT
        name:
          description: The name of the root, OU or account.
          returned: success
          type: str
          sample: Workloads
    tags:
      description: The tags of the policy.
      returned: success
      type: dict
      sample: {"owner": "security"}
full_aws_access_detached:
  description: The target IDs that C(FullAWSAccess) was (or in check mode would be) detached from by this run.
  returned: always
  type: list
  elements: str
  sample: ["ou-ab12-cdef3456"]
"""

import json
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import attach_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import create_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import delete_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organizational_unit
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import detach_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import enable_policy_type
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_policies
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_roots
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_tags_for_resource
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_targets_for_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import organizations_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import resolve_ou_path
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import tag_resource
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import untag_resource
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import update_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import SCP_TARGET_HELP
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import classify_scp_target

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
FULL_AWS_ACCESS = "FullAWSAccess"
# Names of the AWS-managed policies that every organization has.
AWS_MANAGED_POLICY_NAMES = (FULL_AWS_ACCESS, "RCPFullAWSAccess")
# The AWS quota for the size of an SCP or RCP document, in characters.
MAX_CONTENT_LENGTH = 5120


def minify_content(content, option="content"):
    """(minified JSON document, None), or (None, an error naming `option`)."""
    try:
        document = json.loads(content)
    except ValueError as e:
        return None, f"{option} is not valid JSON: {e}"
    if not isinstance(document, dict):
        return None, f"{option} must be a JSON object (a policy document), got a JSON {type(document).__name__}"
    minified = json.dumps(document, separators=(",", ":"))
    if len(minified) > MAX_CONTENT_LENGTH:
        return None, (
            f"{option} is {len(minified)} characters long without whitespace; "
            f"the AWS limit for a policy is {MAX_CONTENT_LENGTH}"
        )
    return minified, None


def policy_specs(params):
    """[(option prefix, {name, description, content})]: each entry of `policies`, or the one policy of `name`."""
    if params["policies"] is None:
        return [("", {key: params[key] for key in ("name", "description", "content")})]
    return [(f"policies[{index}].", dict(spec)) for index, spec in enumerate(params["policies"])]


def validate_spec(prefix, spec):
    """The first error in one policy's name and description, or None."""
    name, description = spec["name"], spec["description"]
    if not 1 <= len(name) <= 128:
        return f"{prefix}name must be 1 to 128 characters long, got {len(name)}"
    if name in AWS_MANAGED_POLICY_NAMES:
        return (
            f"{prefix}name: {name} is an AWS-managed policy; it cannot be created, changed or deleted. "
            "Choose another name"
        )
    if description is not None and len(description) > 512:
        return f"{prefix}description must be at most 512 characters long, got {len(description)}"
    return None


def validate_options(params):
    """The first error that needs no AWS call, or None."""
    if params["policies"] == []:
        return "policies must list at least one policy"
    names = set()
    for prefix, spec in policy_specs(params):
        error = validate_spec(prefix, spec)
        if error:
            return error
        if spec["name"] in names:
            return f"{prefix}name: {spec['name']} is listed twice in policies; each policy must be listed once"
        names.add(spec["name"])
    if params["detach_full_aws_access"] and params["policy_type"] != SERVICE_CONTROL_POLICY:
        return (
            "detach_full_aws_access is only valid with policy_type=SERVICE_CONTROL_POLICY; "
            "AWS does not allow detaching RCPFullAWSAccess"
        )
    for index, target in enumerate(params["targets"] or []):
        if classify_scp_target(target) is None:
            return f"targets[{index}]: {target!r} is not a valid target; use {SCP_TARGET_HELP}"
    return None


def minified_specs(params):
    """([(option prefix, spec)] with each content minified, None), or (None, the first error naming its option)."""
    specs = []
    for prefix, spec in policy_specs(params):
        if spec["content"] is not None:
            # In a list, the policy's name too: the preflight shows this error for the guardrails role's two SCPs.
            option = f"{prefix}content ({spec['name']})" if prefix else "content"
            spec["content"], error = minify_content(spec["content"], option)
            if error:
                return None, error
        specs.append((prefix, spec))
    return specs, None


def _target(target_id, target_type, name):
    return {"target_id": target_id, "type": target_type, "name": name}


def resolve_targets(client, root, targets):
    """Resolve every entry of `targets` to {target_id, type, name}, or raise naming the entry."""
    accounts = None
    resolved = {}
    for index, target in enumerate(targets):
        option = f"targets[{index}]"
        kind = classify_scp_target(target)
        if kind == "root":
            if target not in ("root", root["Id"]):
                raise AnsibleOrganizationsError(
                    message=f"{option}: {target} is not the root of this organization; its root is {root['Id']} "
                    "(or use 'root')"
                )
            found = _target(root["Id"], "ROOT", root["Name"])
        elif kind == "ou":
            ou = describe_organizational_unit(client, target)
            if ou is None:
                raise AnsibleOrganizationsError(message=f"{option}: OU {target} does not exist in this organization")
            found = _target(ou["Id"], "ORGANIZATIONAL_UNIT", ou["Name"])
        elif kind == "path":
            ou = resolve_ou_path(client, root["Id"], target, option=option)
            found = _target(ou["Id"], "ORGANIZATIONAL_UNIT", ou["Name"])
        else:
            if accounts is None:
                accounts = {account["Id"]: account for account in list_accounts(client)}
            if target not in accounts:
                raise AnsibleOrganizationsError(
                    message=f"{option}: account {target} is not a member of this organization"
                )
            found = _target(target, "ACCOUNT", accounts[target]["Name"])
        resolved[found["target_id"]] = found
    return list(resolved.values())


def describe_policy_state(client, policy_id):
    policy = describe_policy(client, policy_id)
    summary = policy["PolicySummary"]
    targets = [
        _target(target["TargetId"], target["Type"], target["Name"])
        for target in list_targets_for_policy(client, policy_id)
    ]
    return {
        "policy_id": summary["Id"],
        "arn": summary["Arn"],
        "name": summary["Name"],
        "description": summary.get("Description") or "",
        "type": summary["Type"],
        "aws_managed": summary["AwsManaged"],
        "content": json.loads(policy["Content"]),
        "targets": sorted(targets, key=lambda target: target["target_id"]),
        "tags": list_tags_for_resource(client, policy_id),
    }


def ensure_policy_type(client, root, policy_type, check_mode):
    """Enable `policy_type` on the root if it is not; return changed."""
    if any(entry["Type"] == policy_type and entry["Status"] == "ENABLED" for entry in root.get("PolicyTypes", [])):
        return False
    if not check_mode:
        enable_policy_type(client, root["Id"], policy_type)
    return True


def ensure_policy(client, current, name, description, content, policy_type, tags, check_mode):
    """Create the policy, or update its description and content; return (changed, new state)."""
    if current is None:
        new = {
            "policy_id": None,
            "arn": None,
            "name": name,
            "description": description or "",
            "type": policy_type,
            "aws_managed": False,
            "content": json.loads(content),
            "targets": [],
            "tags": tags or {},
        }
        if not check_mode:
            summary = create_policy(client, name, description or "", content, policy_type, tags)["PolicySummary"]
            new["policy_id"], new["arn"] = summary["Id"], summary["Arn"]
        return True, new

    new = deepcopy(current)
    changes = {}
    if content is not None and compare_policies(current["content"], json.loads(content)):
        changes["content"] = content
        new["content"] = json.loads(content)
    if description is not None and description != current["description"]:
        changes["description"] = description
        new["description"] = description
    if not changes:
        return False, new
    if not check_mode:
        update_policy(client, current["policy_id"], **changes)
    return True, new


def ensure_tags(client, current, tags, purge_tags, check_mode):
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current["tags"], tags, purge_tags)
    if not to_set and not to_unset:
        return False, current
    new = deepcopy(current)
    for key in to_unset:
        new["tags"].pop(key, None)
    new["tags"].update(to_set)
    if not check_mode:
        untag_resource(client, current["policy_id"], to_unset)
        tag_resource(client, current["policy_id"], to_set)
    return True, new


def ensure_targets(client, current, targets, purge_targets, check_mode):
    """Attach to `targets` and, with purge, detach from the rest; return (changed, new state)."""
    if targets is None:
        return False, current
    attached = {target["target_id"]: target for target in current["targets"]}
    wanted = {target["target_id"]: target for target in targets}
    to_attach = [target_id for target_id in wanted if target_id not in attached]
    to_detach = [target_id for target_id in attached if target_id not in wanted] if purge_targets else []
    if not to_attach and not to_detach:
        return False, current
    if not check_mode:
        for target_id in to_attach:
            attach_policy(client, current["policy_id"], target_id)
        for target_id in to_detach:
            detach_policy(client, current["policy_id"], target_id)
    new = deepcopy(current)
    kept = {target_id: target for target_id, target in attached.items() if target_id not in to_detach}
    kept.update(wanted)
    new["targets"] = sorted(kept.values(), key=lambda target: target["target_id"])
    return True, new


def full_aws_access_attachments(client, summaries, type_enabled, targets, check_mode):
    """(FullAWSAccess's ID, the set of target IDs it is attached to), or (None, set()) if the organization has none.

    Read after the policy type is enabled: with SCPs disabled no policy is attached, and once they are enabled every
    root, OU and account has FullAWSAccess attached (AWS Organizations User Guide, "Disabling a policy type",
    https://docs.aws.amazon.com/organizations/latest/userguide/disable-policy-type.html). So when this run enables
    them (`type_enabled`), check mode counts it attached to every target, and a real run lists the policies again.
    """
    if type_enabled and check_mode:
        full_aws_access = summaries.get(FULL_AWS_ACCESS) or {"Id": FULL_AWS_ACCESS}
        return full_aws_access["Id"], {target["target_id"] for target in targets or []}
    if type_enabled:
        summaries = {policy["Name"]: policy for policy in list_policies(client, SERVICE_CONTROL_POLICY)}
    full_aws_access = summaries.get(FULL_AWS_ACCESS)
    if full_aws_access is None:
        return None, set()
    return full_aws_access["Id"], {
        target["TargetId"] for target in list_targets_for_policy(client, full_aws_access["Id"])
    }


def ensure_full_aws_access_detached(client, full_aws_access, policy, check_mode):
    """Detach FullAWSAccess from every target of `policy`; return the target IDs it was detached from.

    `full_aws_access` is (its ID, the target IDs it is attached to), less those this run detached already.
    """
    policy_id, attached = full_aws_access
    if policy_id is None:
        return []
    detached = [target["target_id"] for target in policy["targets"] if target["target_id"] in attached]
    if not check_mode:
        for target_id in detached:
            detach_policy(client, policy_id, target_id)
    return detached


def ensure_present(client, current, spec, params, targets, full_aws_access, check_mode):
    """Make one policy match `spec` and the shared `params`; return (changed, new state, FullAWSAccess detachments).

    `full_aws_access` is (FullAWSAccess's ID, the target IDs it is still attached to), used only with
    detach_full_aws_access.
    """
    policy_changed, new = ensure_policy(
        client,
        current,
        spec["name"],
        spec["description"],
        spec["content"],
        params["policy_type"],
        params["tags"],
        check_mode,
    )
    tags_changed = False
    if current is not None:
        tags_changed, new = ensure_tags(client, new, params["tags"], params["purge_tags"], check_mode)
    targets_changed, new = ensure_targets(client, new, targets, params["purge_targets"], check_mode)
    # After attaching: a target must never be left without any SCP.
    detached = []
    if params["detach_full_aws_access"]:
        detached = ensure_full_aws_access_detached(client, full_aws_access, new, check_mode)
    changed = policy_changed or tags_changed or targets_changed or bool(detached)
    return changed, new, detached


def ensure_absent(client, current, check_mode):
    """Detach the policy from all its targets and delete it; return changed."""
    if current is None:
        return False
    if not check_mode:
        for target in current["targets"]:
            detach_policy(client, current["policy_id"], target["target_id"])
        delete_policy(client, current["policy_id"])
    return True


def current_policies(client, specs, summaries):
    """{name: current state or None} of every policy in `specs`; `summaries` is {name: summary} of the listing."""
    current = {}
    for prefix, spec in specs:
        summary = summaries.get(spec["name"])
        if summary and summary["AwsManaged"]:
            raise AnsibleOrganizationsError(
                message=f"{prefix}name: {spec['name']} is an AWS-managed policy; "
                "it cannot be created, changed or deleted"
            )
        current[spec["name"]] = describe_policy_state(client, summary["Id"]) if summary else None
    return current


def main():
    argument_spec = dict(
        name=dict(type="str"),
        description=dict(type="str"),
        content=dict(type="json"),
        policies=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str"),
                content=dict(type="json"),
            ),
        ),
        policy_type=dict(
            type="str",
            choices=["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"],
            default=SERVICE_CONTROL_POLICY,
        ),
        targets=dict(type="list", elements="str"),
        purge_targets=dict(type="bool", default=False),
        detach_full_aws_access=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["name", "policies"]],
        mutually_exclusive=[["name", "policies"], ["description", "policies"], ["content", "policies"]],
    )
    params = dict(module.params)

    specs, error = None, validate_options(params)
    if not error:
        specs, error = minified_specs(params)
    if error:
        module.fail_json(msg=error)

    client = module.client("organizations", retry_decorator=organizations_retry)
    changed, detached, after, working_on = False, set(), {}, None
    try:
        summaries = {policy["Name"]: policy for policy in list_policies(client, params["policy_type"])}
        before = current_policies(client, specs, summaries)
        if params["state"] == "absent":
            for prefix, spec in specs:
                working_on = (prefix, spec["name"])
                changed |= ensure_absent(client, before[spec["name"]], module.check_mode)
                after[spec["name"]] = None
        else:
            # Every policy can be made, and every target exists, before the first write.
            for prefix, spec in specs:
                if before[spec["name"]] is None and spec["content"] is None:
                    module.fail_json(msg=f"{prefix}content is required to create policy {spec['name']}")
            root = list_roots(client)[0]
            targets = resolve_targets(client, root, params["targets"]) if params["targets"] is not None else None
            changed = ensure_policy_type(client, root, params["policy_type"], module.check_mode)
            full_aws_access_id, full_aws_access_on = None, set()
            if params["detach_full_aws_access"]:
                full_aws_access_id, full_aws_access_on = full_aws_access_attachments(
                    client, summaries, changed, targets, module.check_mode
                )
            for prefix, spec in specs:
                working_on = (prefix, spec["name"])
                full_aws_access = (full_aws_access_id, full_aws_access_on - detached)
                policy_changed, new, policy_detached = ensure_present(
                    client, before[spec["name"]], spec, params, targets, full_aws_access, module.check_mode
                )
                if policy_changed and not module.check_mode:
                    new = describe_policy_state(client, new["policy_id"])
                changed |= policy_changed
                detached.update(policy_detached)
                after[spec["name"]] = new
    except AnsibleOrganizationsError as e:
        # Which policy AWS refused, and what the run had done: the refused policy may be partly changed already.
        done = dict(
            changed=changed or (working_on is not None and not module.check_mode),
            policies=[policy for policy in after.values() if policy is not None],
            full_aws_access_detached=sorted(detached),
        )
        message = e.message
        if working_on and working_on[0]:
            message = f"{working_on[0]}name: {working_on[1]}: {message}"
        if e.exception:
            module.fail_json_aws(e.exception, msg=message, **done)
        module.fail_json(msg=message, **done)

    names = [spec["name"] for _prefix, spec in specs]
    result = dict(
        changed=changed,
        policies=[after[name] for name in names if after[name] is not None],
        full_aws_access_detached=sorted(detached),
    )
    if params["policies"] is None:
        result["policy"] = after[names[0]]
        if module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": before[names[0]], "after": after[names[0]]}
    elif module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
