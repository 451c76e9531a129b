#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_groups
version_added: 1.0.0
short_description: manage a set of IAM groups - their managed policies, inline policies and members
description:
  - Creates each IAM group of O(groups) that does not exist, and sets the managed policies attached to it, the inline
    policies it holds and its members. One task does the whole set.
  - B(Every read comes before any write.) Each group is read once (C(GetGroup), which lists its members, then its
    attached policies and the inline policies named), and every listed user is looked up (C(GetUser)); a user that does
    not exist fails the task before anything is changed, in any group.
  - Then the groups are changed in the order of O(groups), writing only what differs.
  - B(Nothing is removed unless asked.) A group is never deleted. An attached managed policy not listed is detached
    only with O(groups[].purge_managed_policies=true); a member not listed is removed only with
    O(groups[].purge_users=true); an inline policy is deleted only when named in O(groups[].remove_inline_policies).
author:
  - Trailguard maintainers (@trailguard)
options:
  groups:
    description:
      - The groups, in the order they are changed.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The group's name, 1 to 128 letters, digits and C(+=,.@_-), unique in O(groups) (IAM ignores case).
        type: str
        required: true
      path:
        description:
          - The group's path, V(/) or V(/a/path/). An existing group with another path is moved to this one
            (C(UpdateGroup)).
        type: str
        default: /
      managed_policy_arns:
        description:
          - The ARNs of the managed policies attached to the group. Not set leaves the attachments as they are.
        type: list
        elements: str
      purge_managed_policies:
        description:
          - Detach the managed policies that are not in O(groups[].managed_policy_arns).
        type: bool
        default: false
      inline_policies:
        description:
          - Inline policies the group must hold, by name; each value is a policy document (a dictionary or JSON).
            Compared with the current document as a policy (statement order, and one value against a list of one,
            do not count as changes). The group's other inline policies are kept.
        type: dict
        default: {}
      remove_inline_policies:
        description:
          - Names of inline policies to delete from the group, when it holds them. Not in O(groups[].inline_policies).
        type: list
        elements: str
        default: []
      users:
        description:
          - IAM users that must be members. Each must exist. Not set leaves the membership as it is.
        type: list
        elements: str
      purge_users:
        description:
          - Remove the members that are not in O(groups[].users).
        type: bool
        default: false
notes:
  - In check mode a group that does not exist yet has no policies or members, so everything given for it is reported
    as changed.
  - Permissions - C(iam:GetGroup), C(iam:CreateGroup), C(iam:ListAttachedGroupPolicies), C(iam:AttachGroupPolicy),
    C(iam:DetachGroupPolicy), C(iam:GetGroupPolicy), C(iam:PutGroupPolicy), C(iam:DeleteGroupPolicy),
    C(iam:AddUserToGroup), C(iam:RemoveUserFromGroup) on the groups, and C(iam:GetUser) on the users listed;
    C(iam:UpdateGroup) only to move a group to another path.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: CloudTrail administrators and auditors, exactly these members and managed policies, MFA required
  trailguard.cloudtrail.iam_groups:
    groups:
      - name: CloudTrailAdministrators
        managed_policy_arns:
          - arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess
        purge_managed_policies: true
        inline_policies:
          RequireMFA: "{{ lookup('ansible.builtin.file', 'require-mfa.json') }}"
        users: [alice]
        purge_users: true
      - name: CloudTrailAuditors
        managed_policy_arns:
          - arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess
        purge_managed_policies: true
        inline_policies:
          RequireMFA: "{{ lookup('ansible.builtin.file', 'require-mfa.json') }}"
        users: [bob, carol]
        purge_users: true

- name: No longer require MFA in the auditors' group (the other settings are left as they are)
  trailguard.cloudtrail.iam_groups:
    groups:
      - name: CloudTrailAuditors
        remove_inline_policies: [RequireMFA]
"""

RETURN = r"""
groups:
  description: Each group of O(groups), in order, after the change (in check mode, as it would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The group's name.
      type: str
      sample: CloudTrailAuditors
    arn:
      description: The group's ARN; null in check mode for a group still to be created.
      type: str
      sample: arn:aws:iam::123456789012:group/CloudTrailAuditors
    path:
      description: The group's path.
      type: str
      sample: /
    managed_policy_arns:
      description: The ARNs of the managed policies attached, sorted.
      type: list
      elements: str
      sample: ["arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"]
    users:
      description: The members, sorted.
      type: list
      elements: str
      sample: ["bob", "carol"]
    created:
      description: Whether the group was created by this run (in check mode, would be).
      type: bool
      sample: false
    changed:
      description: What changed (in check mode, would change) - C(path), C(managed_policy_arns), C(inline_policies),
        C(users).
      type: list
      elements: str
      sample: ["users"]
missing_users:
  description: When the task fails because listed users do not exist, those users, sorted.
  returned: on that failure
  type: list
  elements: str
  sample: ["nobody"]
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import AnsibleIAMError
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_group
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_user
from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import iam_groups as iam
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_arn

# ---------------------------------------------------------------- validation (pure)


def validate_group(index, group, names):
    """The first problem of groups[index] that needs no AWS call, or None."""
    where = f"groups[{index}] ({group['name']})"
    error = validate_iam_identifiers("group", name=group["name"], path=group["path"])
    if error:
        return f"{where}: {error}"
    if [name.lower() for name in names].count(group["name"].lower()) > 1:
        return f"{where}: the group is listed more than once (IAM ignores the case of names)"
    for number, arn in enumerate(group["managed_policy_arns"] or []):
        error = check_arn(arn, f"{where}: managed_policy_arns[{number}]", service="iam", require_account=False)
        if error or ":policy/" not in arn:
            return error or f"{where}: managed_policy_arns[{number}] must be a managed policy ARN, got {arn!r}"
    overlap = sorted(set(group["inline_policies"]) & set(group["remove_inline_policies"]))
    if overlap:
        return f"{where}: {overlap} are both in inline_policies and remove_inline_policies"
    for number, user in enumerate(group["users"] or []):
        error = validate_iam_identifiers("user", name=user)
        if error:
            return f"{where}: users[{number}] ({user}): {error}"
    return None


def documents(inline_policies):
    """{name: policy document as a dict}; a document may be given as JSON."""
    return {name: json.loads(doc) if isinstance(doc, str) else doc for name, doc in inline_policies.items()}


# ---------------------------------------------------------------- reads


def read_group(client, group):
    """The group's current state, the parts given only; None when it does not exist."""
    found = get_iam_group(client, group["name"])
    if found is None:
        return None
    current = {
        "arn": found["Group"]["Arn"],
        "path": found["Group"]["Path"],
        "users": sorted(user["UserName"] for user in found.get("Users", [])),
        "inline_policies": {},
    }
    if group["managed_policy_arns"] is not None:
        current["managed_policy_arns"] = sorted(iam.list_attached_group_policy_arns(client, group["name"]) or [])
    for name in list(group["inline_policies"]) + group["remove_inline_policies"]:
        document = iam.get_group_policy(client, group["name"], name)
        if document is not None:
            current["inline_policies"][name] = document
    return current


def missing_users(client, groups):
    """The listed users that do not exist, sorted; each is looked up once."""
    listed = sorted({user for group in groups for user in group["users"] or []})
    return [user for user in listed if get_iam_user(client, user, normalize=False) is None]


# ---------------------------------------------------------------- changes


def plan_group(group, current):
    """{part: (before, after)} of what differs; `current` as read_group(), or empty for a group still to be made."""
    changes = {}
    if current["path"] != group["path"]:
        changes["path"] = (current["path"], group["path"])
    if group["managed_policy_arns"] is not None:
        wanted = set(group["managed_policy_arns"])
        attached = set(current.get("managed_policy_arns", []))
        after = sorted(wanted | (set() if group["purge_managed_policies"] else attached))
        if after != sorted(attached):
            changes["managed_policy_arns"] = (sorted(attached), after)
    wanted_inline = documents(group["inline_policies"])
    before_inline, after_inline = {}, {}
    for name, document in wanted_inline.items():
        existing = current["inline_policies"].get(name)
        if existing is None or compare_policies(existing, document):
            before_inline[name], after_inline[name] = existing, document
    for name in group["remove_inline_policies"]:
        if name in current["inline_policies"]:
            before_inline[name], after_inline[name] = current["inline_policies"][name], None
    if after_inline:
        changes["inline_policies"] = (before_inline, after_inline)
    if group["users"] is not None:
        members = set(current["users"])
        after = sorted(set(group["users"]) | (set() if group["purge_users"] else members))
        if after != sorted(members):
            changes["users"] = (sorted(members), after)
    return changes


def ensure_group(client, group, current, check_mode):
    """Create the group if `current` is None, then write what differs; return (created, changes, state after)."""
    name = group["name"]
    created = current is None
    if created:
        current = {"arn": None, "path": group["path"], "users": [], "inline_policies": {}, "managed_policy_arns": []}
        if not check_mode:
            current["arn"] = iam.create_group(client, name, group["path"])["Arn"]
    changes = plan_group(group, current)
    if not check_mode:
        if "path" in changes:
            iam.update_group_path(client, name, group["path"])
        if "managed_policy_arns" in changes:
            before, after = changes["managed_policy_arns"]
            for arn in sorted(set(after) - set(before)):
                iam.attach_group_policy(client, name, arn)
            for arn in sorted(set(before) - set(after)):
                iam.detach_group_policy(client, name, arn)
        for policy_name, document in changes.get("inline_policies", ({}, {}))[1].items():
            if document is None:
                iam.delete_group_policy(client, name, policy_name)
            else:
                iam.put_group_policy(client, name, policy_name, document)
        if "users" in changes:
            before, after = changes["users"]
            for user in sorted(set(after) - set(before)):
                iam.add_user_to_group(client, name, user)
            for user in sorted(set(before) - set(after)):
                iam.remove_user_from_group(client, name, user)
    state = {
        "name": name,
        "arn": current["arn"],
        "path": group["path"],
        "managed_policy_arns": changes.get("managed_policy_arns", (None, current.get("managed_policy_arns", [])))[1],
        "users": changes.get("users", (None, current["users"]))[1],
        "created": created,
        "changed": list(changes),
    }
    return created, changes, state


def diff_of(results):
    """Before and after of what changes, per group; nothing for a group that does not change."""
    before, after = {}, {}
    for name, created, changes in results:
        if not created and not changes:
            continue
        before[name] = {part: old for part, (old, _new) in changes.items()}
        after[name] = {part: new for part, (_old, new) in changes.items()}
        if created:
            before[name]["group"], after[name]["group"] = "absent", "present"
    return {"before": before, "after": after}


def main():
    group_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        managed_policy_arns=dict(type="list", elements="str"),
        purge_managed_policies=dict(type="bool", default=False),
        inline_policies=dict(type="dict", default={}),
        remove_inline_policies=dict(type="list", elements="str", default=[]),
        users=dict(type="list", elements="str"),
        purge_users=dict(type="bool", default=False),
    )
    argument_spec = dict(groups=dict(type="list", elements="dict", options=group_spec, required=True))
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    groups = module.params["groups"]
    names = [group["name"] for group in groups]
    for index, group in enumerate(groups):
        error = validate_group(index, group, names)
        if error:
            module.fail_json(msg=error)

    client = module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
    try:
        # Every read before any write, so that a missing user changes nothing.
        currents = [read_group(client, group) for group in groups]
        missing = missing_users(client, groups)
        if missing:
            module.fail_json(
                msg=f"users: these users do not exist: {', '.join(missing)}; create them first", missing_users=missing
            )
        results, states = [], []
        for group, current in zip(groups, currents):
            created, changes, state = ensure_group(client, group, current, module.check_mode)
            results.append((group["name"], created, changes))
            states.append(state)
    except AnsibleIAMError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=any(created or changes for _name, created, changes in results), groups=states)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff_of(results)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
