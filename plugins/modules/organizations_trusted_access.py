#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: organizations_trusted_access
version_added: 1.0.0
short_description: enable AWS service trusted access and delegated administrators in an organization
description:
  - Enables or disables trusted access (AWS service access) in an AWS Organization for one or more service
    principals, such as V(cloudtrail.amazonaws.com).
  - Optionally registers or deregisters delegated administrator accounts for those service principals.
  - For V(cloudtrail.amazonaws.com) the delegated administrator is registered and deregistered with CloudTrail's own
    API (C(RegisterOrganizationDelegatedAdmin)), which AWS documents as the way to do it for CloudTrail and which
    also creates CloudTrail's service-linked role. Other service principals use the Organizations
    C(RegisterDelegatedAdministrator) API. Delegated administrators are always read with the Organizations
    C(ListDelegatedAdministrators) API.
  - Must run as the organization's management account, and the organization must have all features enabled. Both
    are checked before any change is made.
author:
  - Trailguard maintainers (@trailguard)
options:
  service_principals:
    description:
      - The service principals to enable or disable trusted access for, for example V(cloudtrail.amazonaws.com).
      - Any service principal that AWS Organizations supports for trusted access can be given.
    type: list
    elements: str
    required: true
    aliases: ["service_principal"]
  state:
    description:
      - V(present) enables trusted access for every principal in O(service_principals) and registers
        O(delegated_administrators) for each of them.
      - V(absent) first deregisters the listed O(delegated_administrators) (all of them with
        O(purge_delegated_administrators=true)) and then disables trusted access.
    type: str
    choices: ["present", "absent"]
    default: present
  delegated_administrators:
    description:
      - 12-digit IDs of member accounts to register as delegated administrators for every principal in
        O(service_principals) (with O(state=present)) or to deregister (with O(state=absent)).
      - With O(state=present) each account must be an C(ACTIVE) member of the organization, and none may be the
        management account.
      - When not set, delegated administrators are left as they are.
    type: list
    elements: str
  purge_delegated_administrators:
    description:
      - With O(state=present), deregister delegated administrators of the listed principals that are not in
        O(delegated_administrators). Nothing is deregistered when O(delegated_administrators) is not set.
      - With O(state=absent), deregister every delegated administrator of the listed principals, not only those in
        O(delegated_administrators).
      - Defaults to V(false) so that a delegated administrator is never removed by surprise.
    type: bool
    default: false
notes:
  - AWS limits how many delegated administrators a service allows (for CloudTrail, three). To replace one
    where only one is allowed, use O(purge_delegated_administrators=true); the old one is deregistered first.
  - Right after trusted access for V(cloudtrail.amazonaws.com) is enabled, CloudTrail may refuse to register its
    delegated administrator with C(CloudTrailAccessNotEnabledException) until the change has reached it; the module
    retries that for O(propagation_timeout) seconds.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - trailguard.cloudtrail.propagation
"""

EXAMPLES = r"""
- name: Enable trusted access for CloudTrail
  trailguard.cloudtrail.organizations_trusted_access:
    service_principals:
      - cloudtrail.amazonaws.com

- name: Enable trusted access for CloudTrail and make the audit account its delegated administrator
  trailguard.cloudtrail.organizations_trusted_access:
    service_principal: cloudtrail.amazonaws.com
    delegated_administrators:
      - "210987654321"

- name: Make the audit account the only delegated administrator of CloudTrail and Config
  trailguard.cloudtrail.organizations_trusted_access:
    service_principals:
      - cloudtrail.amazonaws.com
      - config.amazonaws.com
    delegated_administrators:
      - "210987654321"
    purge_delegated_administrators: true

- name: Remove every delegated administrator of CloudTrail and disable its trusted access
  trailguard.cloudtrail.organizations_trusted_access:
    service_principals:
      - cloudtrail.amazonaws.com
    purge_delegated_administrators: true
    state: absent
"""

RETURN = r"""
enabled_service_principals:
  description:
    - The principals of O(service_principals) that have trusted access enabled, in the order given.
    - In check mode, the state the change would produce.
  returned: always
  type: list
  elements: dict
  contains:
    service_principal:
      description: The service principal.
      returned: always
      type: str
      sample: cloudtrail.amazonaws.com
    date_enabled:
      description:
        - When trusted access was enabled, in ISO 8601 format.
        - V(null) in check mode for a principal that would be newly enabled.
      returned: always
      type: str
      sample: "2026-11-22T10:15:30+00:00"
delegated_administrators:
  description:
    - For each principal of O(service_principals), the account IDs of its delegated administrators, sorted.
    - In check mode, the state the change would produce.
  returned: always
  type: dict
  sample: {"cloudtrail.amazonaws.com": ["210987654321"]}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import CLOUDTRAIL_SERVICE_PRINCIPAL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import all_features_error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import (
    deregister_cloudtrail_delegated_admin,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import (
    deregister_delegated_administrator,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import disable_aws_service_access
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import enable_aws_service_access
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import (
    list_aws_service_access_for_organization,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_delegated_administrators
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import management_caller_error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import organizations_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import (
    register_cloudtrail_delegated_admin,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import (
    register_delegated_administrator,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import DEFAULT_PROPAGATION_TIMEOUT
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import PROPAGATION_TIMEOUT_SPEC
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import check_propagation_timeout
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_account_id
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error

# The ServicePrincipal pattern of the Organizations API.
SERVICE_PRINCIPAL_RE = re.compile(r"^[\w+=,.@-]{1,128}$")


def validate_options(service_principals, delegated_administrators):
    """Errors that need no AWS call: the first one, or None."""
    if not service_principals:
        return "service_principals must list at least one service principal, for example cloudtrail.amazonaws.com"
    errors = [
        f"service_principals[{index}] must be a service principal like cloudtrail.amazonaws.com, got {principal!r}"
        for index, principal in enumerate(service_principals)
        if not SERVICE_PRINCIPAL_RE.match(principal)
    ]
    errors += [
        check_account_id(account_id, f"delegated_administrators[{index}]")
        for index, account_id in enumerate(delegated_administrators or [])
    ]
    return first_error(*errors)


def validate_delegated_administrators(organization, accounts, delegated_administrators, state):
    """A delegated admin must be a member account, and ACTIVE to be registered."""
    members = {account["Id"]: account for account in accounts}
    for index, account_id in enumerate(delegated_administrators or []):
        name = f"delegated_administrators[{index}]"
        if account_id == organization["MasterAccountId"]:
            return (
                f"{name}: {account_id} is the management account of organization {organization['Id']}; "
                "a delegated administrator must be a member account"
            )
        if state == "absent":
            continue
        account = members.get(account_id)
        if account is None:
            return f"{name}: account {account_id} is not a member of organization {organization['Id']}"
        status = account.get("State") or account.get("Status")
        if status != "ACTIVE":
            return (
                f"{name}: account {account_id} is {status}; only ACTIVE member accounts can be delegated administrators"
            )
    return None


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def describe_trusted_access(client, service_principals):
    enabled = {entry["ServicePrincipal"]: entry for entry in list_aws_service_access_for_organization(client)}
    return {
        "enabled_service_principals": [
            {"service_principal": principal, "date_enabled": _iso(enabled[principal].get("DateEnabled"))}
            for principal in service_principals
            if principal in enabled
        ],
        "delegated_administrators": {
            principal: sorted(admin["Id"] for admin in list_delegated_administrators(client, principal))
            for principal in service_principals
        },
    }


def register(client, cloudtrail_client, service_principal, account_id, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT):
    if service_principal == CLOUDTRAIL_SERVICE_PRINCIPAL:
        return register_cloudtrail_delegated_admin(
            cloudtrail_client, account_id, propagation_timeout=propagation_timeout
        )
    return register_delegated_administrator(client, account_id, service_principal)


def deregister(client, cloudtrail_client, service_principal, account_id):
    if service_principal == CLOUDTRAIL_SERVICE_PRINCIPAL:
        return deregister_cloudtrail_delegated_admin(cloudtrail_client, account_id)
    return deregister_delegated_administrator(client, account_id, service_principal)


def _with_enabled(state, service_principals, enabled):
    """`state` with its enabled list rebuilt, in the requested order, from `enabled` ({principal: date})."""
    state["enabled_service_principals"] = [
        {"service_principal": principal, "date_enabled": enabled[principal]}
        for principal in service_principals
        if principal in enabled
    ]
    return state


def ensure_present(
    client,
    cloudtrail_client,
    current,
    service_principals,
    delegated_administrators,
    purge,
    check_mode,
    propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT,
):
    """Enable access, then (de)register delegated admins; return (changed, new state)."""
    new = deepcopy(current)
    enabled = {entry["service_principal"]: entry["date_enabled"] for entry in current["enabled_service_principals"]}
    changed = False
    for principal in service_principals:
        if principal not in enabled:
            changed = True
            enabled[principal] = None
            if not check_mode:
                enable_aws_service_access(client, principal)
        if delegated_administrators is None:
            continue
        registered = set(current["delegated_administrators"][principal])
        wanted = set(delegated_administrators)
        # Deregister first: some services allow a single delegated admin.
        for account_id in sorted(registered - wanted) if purge else []:
            changed = True
            if not check_mode:
                deregister(client, cloudtrail_client, principal, account_id)
        for account_id in sorted(wanted - registered):
            changed = True
            if not check_mode:
                register(client, cloudtrail_client, principal, account_id, propagation_timeout)
        new["delegated_administrators"][principal] = sorted(wanted if purge else wanted | registered)
    return changed, _with_enabled(new, service_principals, enabled)


def ensure_absent(client, cloudtrail_client, current, service_principals, delegated_administrators, purge, check_mode):
    """Deregister delegated admins, then disable access; return (changed, new state)."""
    new = deepcopy(current)
    enabled = {entry["service_principal"]: entry["date_enabled"] for entry in current["enabled_service_principals"]}
    changed = False
    for principal in service_principals:
        registered = set(current["delegated_administrators"][principal])
        leaving = registered if purge else registered & set(delegated_administrators or [])
        for account_id in sorted(leaving):
            changed = True
            if not check_mode:
                deregister(client, cloudtrail_client, principal, account_id)
        new["delegated_administrators"][principal] = sorted(registered - leaving)
        if principal in enabled:
            changed = True
            del enabled[principal]
            if not check_mode:
                disable_aws_service_access(client, principal)
    return changed, _with_enabled(new, service_principals, enabled)


def main():
    argument_spec = dict(
        service_principals=dict(type="list", elements="str", required=True, aliases=["service_principal"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        delegated_administrators=dict(type="list", elements="str"),
        purge_delegated_administrators=dict(type="bool", default=False),
        propagation_timeout=dict(PROPAGATION_TIMEOUT_SPEC),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    # Keep the order given, drop repeats.
    service_principals = list(dict.fromkeys(module.params["service_principals"]))
    delegated_administrators = module.params["delegated_administrators"]
    if delegated_administrators is not None:
        delegated_administrators = [str(account_id) for account_id in delegated_administrators]
    state = module.params["state"]
    purge = module.params["purge_delegated_administrators"]

    error = validate_options(service_principals, delegated_administrators) or check_propagation_timeout(
        module.params["propagation_timeout"]
    )
    if error:
        module.fail_json(msg=error)

    client = module.client("organizations", retry_decorator=organizations_retry)
    cloudtrail_client = module.client("cloudtrail", retry_decorator=AWSRetry.jittered_backoff())
    sts_client = module.client("sts", retry_decorator=AWSRetry.jittered_backoff())
    try:
        organization = describe_organization(client)
        caller = get_caller_identity(sts_client)["Account"]
        action = "manage trusted access and delegated administrators"
        error = first_error(
            management_caller_error(organization, caller, action),
            all_features_error(organization, "trusted access"),
        )
        if not error and delegated_administrators:
            accounts = list_accounts(client) if state == "present" else []
            error = validate_delegated_administrators(organization, accounts, delegated_administrators, state)
        if error:
            module.fail_json(msg=error)

        before = describe_trusted_access(client, service_principals)
        arguments = (client, cloudtrail_client, before, service_principals, delegated_administrators, purge)
        if state == "present":
            changed, after = ensure_present(
                *arguments, module.check_mode, propagation_timeout=module.params["propagation_timeout"]
            )
        else:
            changed, after = ensure_absent(*arguments, module.check_mode)
        if changed and not module.check_mode:
            after = describe_trusted_access(client, service_principals)
    except (AnsibleOrganizationsError, AnsibleSTSError) as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, **after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
