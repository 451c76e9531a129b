# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the AWS Organizations API (and the CloudTrail delegated-administrator
calls that belong with it), in the style of amazon.aws's iam.py.

Every wrapper retries throttling and concurrent-modification errors and turns
any other botocore error into AnsibleOrganizationsError("Failed to <verb noun>"),
so a module needs exactly one `except AnsibleOrganizationsError`. Getters
return None (lists: []) and deleters return False when the thing is missing.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.propagation import propagation_retry

# Organizations serialises writes per organization, so parallel runs (or AWS's
# own automation) can briefly collide; both codes are safe to retry.
organizations_retry = AWSRetry.jittered_backoff(
    catch_extra_error_codes=["ConcurrentModificationException", "TooManyRequestsException"]
)


class AnsibleOrganizationsError(AnsibleAWSError):
    pass


class OrganizationsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleOrganizationsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "AccountNotFoundException",
                "ChildNotFoundException",
                "OrganizationalUnitNotFoundException",
                "ParentNotFoundException",
                "PolicyNotFoundException",
                "RootNotFoundException",
                "TargetNotFoundException",
                # Deregistering an account that is not a delegated admin: already gone.
                "AccountNotRegisteredException",
            ]
        )


# ---------------------------------------------------------------- organization, roots, OUs, accounts


@OrganizationsErrorHandler.common_error_handler("describe the organization")
@organizations_retry
def describe_organization(client):
    """The organization the caller belongs to, or None when it belongs to none."""
    try:
        return client.describe_organization()["Organization"]
    except is_boto3_error_code("AWSOrganizationsNotInUseException"):
        return None


@OrganizationsErrorHandler.list_error_handler("list roots", [])
@organizations_retry
def list_roots(client):
    return client.get_paginator("list_roots").paginate().build_full_result()["Roots"]


@OrganizationsErrorHandler.list_error_handler("list organizational units", [])
@organizations_retry
def list_organizational_units_for_parent(client, parent_id):
    paginator = client.get_paginator("list_organizational_units_for_parent")
    return paginator.paginate(ParentId=parent_id).build_full_result()["OrganizationalUnits"]


@OrganizationsErrorHandler.list_error_handler("describe organizational unit")
@organizations_retry
def describe_organizational_unit(client, ou_id):
    return client.describe_organizational_unit(OrganizationalUnitId=ou_id)["OrganizationalUnit"]


@OrganizationsErrorHandler.list_error_handler("list accounts", [])
@organizations_retry
def list_accounts(client):
    return client.get_paginator("list_accounts").paginate().build_full_result()["Accounts"]


@OrganizationsErrorHandler.list_error_handler("list accounts for parent", [])
@organizations_retry
def list_accounts_for_parent(client, parent_id):
    paginator = client.get_paginator("list_accounts_for_parent")
    return paginator.paginate(ParentId=parent_id).build_full_result()["Accounts"]


@OrganizationsErrorHandler.list_error_handler("describe account")
@organizations_retry
def describe_account(client, account_id):
    return client.describe_account(AccountId=account_id)["Account"]


def resolve_ou_path(client, root_id, path, option="targets"):
    """Walk `path` ("/Workloads/Prod") from the root by OU name; return the OU.

    Raises AnsibleOrganizationsError naming `option` when a segment is missing.
    """
    names = [name for name in path.split("/") if name]
    if not path.startswith("/") or not names:
        raise AnsibleOrganizationsError(
            message=f"{option}: {path!r} is not an OU path; use one like /Workloads or /Workloads/Prod"
        )
    parent_id, walked, ou = root_id, "", None
    for name in names:
        children = list_organizational_units_for_parent(client, parent_id)
        ou = next((child for child in children if child["Name"] == name), None)
        if ou is None:
            existing = ", ".join(sorted(child["Name"] for child in children)) or "none"
            raise AnsibleOrganizationsError(
                message=(
                    f"{option}: OU path {path!r} does not exist: there is no OU named {name!r} under "
                    f"{walked or '/'} (OUs there: {existing})"
                )
            )
        parent_id, walked = ou["Id"], f"{walked}/{name}"
    return ou


def walk_organization(client):
    """The tree under the organization's root: (root ID, {OU path: OU ID}, [(account, OU path, ancestor IDs)]).

    Two listings per OU and the root, none per account (ListParents would cost one call per account). The
    ancestors are nearest first, ending with the root; the root ID is None when there is no root.
    """
    roots = list_roots(client)
    if not roots:
        return None, {}, []
    root_id = roots[0]["Id"]
    ous, accounts = {}, []
    queue = [(root_id, "/", [root_id])]
    while queue:
        parent_id, path, ancestors = queue.pop(0)
        accounts += [(account, path, ancestors) for account in list_accounts_for_parent(client, parent_id)]
        for ou in list_organizational_units_for_parent(client, parent_id):
            ou_path = f"{path.rstrip('/')}/{ou['Name']}"
            ous[ou_path] = ou["Id"]
            queue.append((ou["Id"], ou_path, [ou["Id"]] + ancestors))
    return root_id, ous, accounts


def account_state(account):
    """ACTIVE, SUSPENDED, ...: `State` replaces the deprecated `Status` (the same values for active and suspended
    accounts), which is read only when `State` is missing."""
    return account.get("State") or account.get("Status", "")


# ---------------------------------------------------------------- caller checks (pure)


def caller_is_management(organization, caller_account_id):
    """True when `caller_account_id` is the management account of `organization`."""
    return bool(organization) and organization.get("MasterAccountId") == caller_account_id


def management_caller_error(organization, caller_account_id, action):
    """A message when the caller cannot do `action` as the management account, else None."""
    if not organization:
        return (
            f"Account {caller_account_id} is not in an AWS Organization, so it cannot {action}. "
            "Run this from the management account of an organization."
        )
    if not caller_is_management(organization, caller_account_id):
        return (
            f"Only the management account of organization {organization['Id']} can {action}: the management "
            f"account is {organization['MasterAccountId']}, but the caller is account {caller_account_id}. "
            "Use credentials of the management account."
        )
    return None


def all_features_error(organization, action):
    """A message when `organization` is not in all-features mode, else None."""
    if organization and organization.get("FeatureSet") != "ALL":
        return (
            f"Organization {organization['Id']} has feature set {organization.get('FeatureSet')!r}, but {action} "
            "needs all features enabled. Enable all features (organizations:EnableAllFeatures, or AWS Organizations "
            "console > Settings) and have every member account accept the handshake, then run again."
        )
    return None


# ---------------------------------------------------------------- trusted access and delegated administrators


@OrganizationsErrorHandler.common_error_handler("list AWS service access for the organization")
@organizations_retry
def list_aws_service_access_for_organization(client):
    paginator = client.get_paginator("list_aws_service_access_for_organization")
    return paginator.paginate().build_full_result()["EnabledServicePrincipals"]


@OrganizationsErrorHandler.common_error_handler("enable AWS service access")
@organizations_retry
def enable_aws_service_access(client, service_principal):
    client.enable_aws_service_access(ServicePrincipal=service_principal)
    return True


@OrganizationsErrorHandler.common_error_handler("disable AWS service access")
@organizations_retry
def disable_aws_service_access(client, service_principal):
    client.disable_aws_service_access(ServicePrincipal=service_principal)
    return True


@OrganizationsErrorHandler.list_error_handler("list delegated administrators", [])
@organizations_retry
def list_delegated_administrators(client, service_principal=None):
    kwargs = {"ServicePrincipal": service_principal} if service_principal else {}
    paginator = client.get_paginator("list_delegated_administrators")
    return paginator.paginate(**kwargs).build_full_result()["DelegatedAdministrators"]


@OrganizationsErrorHandler.common_error_handler("register delegated administrator")
@organizations_retry
def register_delegated_administrator(client, account_id, service_principal):
    client.register_delegated_administrator(AccountId=account_id, ServicePrincipal=service_principal)
    return True


@OrganizationsErrorHandler.deletion_error_handler("deregister delegated administrator")
@organizations_retry
def deregister_delegated_administrator(client, account_id, service_principal):
    client.deregister_delegated_administrator(AccountId=account_id, ServicePrincipal=service_principal)
    return True


def trusted_access_refusal(code, _arguments):
    """Why CloudTrail refuses a delegated administrator when waiting for trusted access did not help, or None."""
    if code != "CloudTrailAccessNotEnabledException":
        return None
    return (
        "Trusted access for cloudtrail.amazonaws.com is not enabled in the organization "
        "(organizations:EnableAWSServiceAccess, which the module does first)."
    )


# CloudTrail's own calls are the documented way to (de)register its delegated
# administrator: they also create the service-linked role CloudTrail needs.
# Right after trusted access is enabled, CloudTrail may not see it yet.
@propagation_retry(trusted_access_refusal)
@OrganizationsErrorHandler.common_error_handler("register CloudTrail delegated administrator")
@organizations_retry
def register_cloudtrail_delegated_admin(cloudtrail_client, account_id):
    cloudtrail_client.register_organization_delegated_admin(MemberAccountId=account_id)
    return True


@OrganizationsErrorHandler.deletion_error_handler("deregister CloudTrail delegated administrator")
@organizations_retry
def deregister_cloudtrail_delegated_admin(cloudtrail_client, account_id):
    cloudtrail_client.deregister_organization_delegated_admin(DelegatedAdminAccountId=account_id)
    return True


# ---------------------------------------------------------------- policies


@OrganizationsErrorHandler.list_error_handler("list policies", [])
@organizations_retry
def list_policies(client, policy_type):
    paginator = client.get_paginator("list_policies")
    return paginator.paginate(Filter=policy_type).build_full_result()["Policies"]


@OrganizationsErrorHandler.list_error_handler("describe policy")
@organizations_retry
def describe_policy(client, policy_id):
    return client.describe_policy(PolicyId=policy_id)["Policy"]


@OrganizationsErrorHandler.common_error_handler("create policy")
@organizations_retry
def create_policy(client, name, description, content, policy_type, tags=None):
    kwargs = {"Name": name, "Description": description, "Content": content, "Type": policy_type}
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_policy(**kwargs)["Policy"]


@OrganizationsErrorHandler.common_error_handler("update policy")
@organizations_retry
def update_policy(client, policy_id, description=None, content=None):
    kwargs = {"PolicyId": policy_id}
    if description is not None:
        kwargs["Description"] = description
    if content is not None:
        kwargs["Content"] = content
    return client.update_policy(**kwargs)["Policy"]


@OrganizationsErrorHandler.deletion_error_handler("delete policy")
@organizations_retry
def delete_policy(client, policy_id):
    client.delete_policy(PolicyId=policy_id)
    return True


@OrganizationsErrorHandler.list_error_handler("list targets for policy", [])
@organizations_retry
def list_targets_for_policy(client, policy_id):
    paginator = client.get_paginator("list_targets_for_policy")
    return paginator.paginate(PolicyId=policy_id).build_full_result()["Targets"]


@OrganizationsErrorHandler.common_error_handler("attach policy")
@organizations_retry
def attach_policy(client, policy_id, target_id):
    client.attach_policy(PolicyId=policy_id, TargetId=target_id)
    return True


@OrganizationsErrorHandler.deletion_error_handler("detach policy")
@organizations_retry
def detach_policy(client, policy_id, target_id):
    client.detach_policy(PolicyId=policy_id, TargetId=target_id)
    return True


@OrganizationsErrorHandler.common_error_handler("enable policy type")
@organizations_retry
def enable_policy_type(client, root_id, policy_type):
    """Enable `policy_type` on the root; False when it already was."""
    try:
        client.enable_policy_type(RootId=root_id, PolicyType=policy_type)
    except is_boto3_error_code("PolicyTypeAlreadyEnabledException"):
        return False
    return True


# ---------------------------------------------------------------- tags (accounts, OUs, roots, policies)


@OrganizationsErrorHandler.list_error_handler("list tags", {})
@organizations_retry
def list_tags_for_resource(client, resource_id):
    """The resource's tags as a dict."""
    paginator = client.get_paginator("list_tags_for_resource")
    return boto3_tag_list_to_ansible_dict(paginator.paginate(ResourceId=resource_id).build_full_result()["Tags"])


@OrganizationsErrorHandler.common_error_handler("tag resource")
@organizations_retry
def tag_resource(client, resource_id, tags):
    if not tags:
        return False
    client.tag_resource(ResourceId=resource_id, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@OrganizationsErrorHandler.common_error_handler("untag resource")
@organizations_retry
def untag_resource(client, resource_id, tag_keys):
    if not tag_keys:
        return False
    client.untag_resource(ResourceId=resource_id, TagKeys=list(tag_keys))
    return True
