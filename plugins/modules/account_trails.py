#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: account_trails
version_added: 1.0.0
short_description: find, stop or delete the account-level (legacy) trails of many accounts in one task
description:
  - Runs from the organization's management account. For every account in O(accounts) it assumes the account's
    role once and lists, in every region of O(regions), the trails that belong to the account and are not
    organization trails. Once the organization trail exists, such a trail that logs management events delivers
    a second copy of them, which AWS bills.
  - Reports each trail's name, home region, bucket, whether it is logging and whether it logs management events.
  - Optionally, per account or for all, stops the trails' logging (O(action=stop)) or deletes the trails
    (O(action=delete)). Stopping or deleting happens only after the organization trail O(organization_trail_arn)
    is verified to be an organization trail that is logging; otherwise the module fails before any change. It
    never touches the organization trail, any other organization trail, or any bucket (a deleted trail's logs
    stay where they are).
  - The accounts are worked on in a bounded thread pool (O(max_workers)), so the cost of a run hardly grows
    with the number of accounts and there is one Ansible task for the whole organization.
  - In check mode nothing is stopped or deleted; the result lists what would be, and when the organization trail
    is not logging yet (a first run under C(--check), before the trail exists) the actions are still predicted,
    because the real run creates the trail first.
author:
  - Trailguard maintainers (@trailguard)
options:
  accounts:
    description:
      - The accounts to work on. The management account itself, if listed, is read with the caller's own
        credentials.
    type: list
    elements: dict
    required: true
    suboptions:
      account_id:
        description: The 12-digit account ID.
        type: str
        required: true
      name:
        description: A name for the account in the results, for example its inventory host name.
        type: str
      role_name:
        description: The role to assume in this account; defaults to O(assume_role_name).
        type: str
      role_arn:
        description: The full ARN of the role to assume in this account; overrides O(accounts[].role_name).
        type: str
      action:
        description: What to do with this account's legacy trails; defaults to O(action).
        type: str
        choices: [report, stop, delete]
  action:
    description:
      - What to do with the legacy trails of every account that does not set its own
        O(accounts[].action).
      - V(report) changes nothing. V(stop) stops their logging (the trail and its settings stay, so it can be
        started again). V(delete) deletes the trails; their buckets and logs are kept.
    type: str
    choices: [report, stop, delete]
    default: report
  organization_trail_arn:
    description:
      - The ARN of the organization trail. It is never reported or touched, and before any stop or delete it
        must be an organization trail that is logging.
    type: str
    required: true
  regions:
    description:
      - The regions to look for trails in. An empty list means every region enabled for the management account
        (EC2 DescribeRegions), at one ListTrails call per account and region.
    type: list
    elements: str
    default: []
  assume_role_name:
    description: The role assumed in every account that sets neither O(accounts[].role_name) nor O(accounts[].role_arn).
    type: str
    default: OrganizationAccountAccessRole
  max_workers:
    description: How many accounts are worked on at once.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Report every member account's own trails in two regions
  trailguard.cloudtrail.account_trails:
    organization_trail_arn: arn:aws:cloudtrail:us-east-1:111111111111:trail/acme-org-trail
    regions: [us-east-1, eu-west-1]
    accounts:
      - account_id: "222222222222"
      - account_id: "333333333333"
  register: legacy

- name: Delete them in one account, stop them in the others
  trailguard.cloudtrail.account_trails:
    organization_trail_arn: arn:aws:cloudtrail:us-east-1:111111111111:trail/acme-org-trail
    action: stop
    accounts:
      - account_id: "222222222222"
        action: delete
      - account_id: "333333333333"
"""

RETURN = r"""
accounts:
  description: One entry per account in O(accounts), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: The account ID.
      type: str
      sample: "222222222222"
    name:
      description: The account's name from O(accounts[].name), or its ID.
      type: str
    action:
      description: The action asked for this account.
      type: str
      sample: report
    error:
      description: Why the account could not be read (for example the role could not be assumed), if it could not.
      type: str
      returned: on error
    trails:
      description: The account's legacy trails, as they were before this run.
      type: list
      elements: dict
      contains:
        name:
          description: The trail's name.
          type: str
        arn:
          description: The trail's ARN.
          type: str
        home_region:
          description: The region the trail was created in.
          type: str
        s3_bucket_name:
          description: The bucket the trail delivers to (never touched).
          type: str
        is_multi_region_trail:
          description: Whether the trail logs every region.
          type: bool
        is_logging:
          description: Whether the trail was logging.
          type: bool
        logs_management_events:
          description: Whether its selectors include management events.
          type: bool
        note:
          description: The duplicate-cost note, when the trail logs management events while logging.
          type: str
        result:
          description: >-
            What this run did with the trail: V(reported), V(stopped), V(deleted), V(already stopped), or in
            check mode V(would stop) and V(would delete).
          type: str
actions:
  description: Every stop or delete this run made (in check mode, would make), one line each.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: The account.
      type: str
    trail_arn:
      description: The trail.
      type: str
    action:
      description: V(stop) or V(delete).
      type: str
legacy_trail_count:
  description: How many legacy trails the accounts had before this run.
  returned: always
  type: int
  sample: 1
regions:
  description: The regions that were searched.
  returned: always
  type: list
  elements: str
"""


from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AccountSessions
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AnsibleAccountsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import client_maker
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import describe_regions
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import own_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import scan_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import cloudtrail_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import delete_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import list_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import stop_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import ACCOUNT_ID_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import parse_arn

DUPLICATE_COST_NOTE = (
    "logs management events that the organization trail already delivers; AWS bills this second copy "
    "(paid copies of management events, USD 2.00 per 100,000 events at the time of writing)"
)


class OrganizationTrailNotVerified(AnsibleCloudTrailError):
    pass


# ---------------------------------------------------------------- pure helpers


def validate(params):
    """The first problem with the parameters, or None; checked before any call."""
    arn = parse_arn(params["organization_trail_arn"])
    if not arn or arn["service"] != "cloudtrail" or not arn["resource"].startswith("trail/"):
        return (
            f"organization_trail_arn ({params['organization_trail_arn']}) must be a trail ARN such as "
            "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
        )
    for index, account in enumerate(params["accounts"]):
        if not ACCOUNT_ID_RE.match(str(account["account_id"])):
            return f"accounts[{index}].account_id ({account['account_id']}) must be a 12-digit AWS account ID"
    if params["max_workers"] < 1:
        return f"max_workers ({params['max_workers']}) must be at least 1"
    return None


def logs_management_events(selectors):
    """Whether a trail's selectors (GetEventSelectors' answer) include any management events.

    A trail with no selectors at all logs every management event (CloudTrail's default).
    """
    advanced = selectors.get("AdvancedEventSelectors") or []
    classic = selectors.get("EventSelectors") or []
    if not advanced and not classic:
        return True
    if advanced:
        return any(
            "Management" in field.get("Equals", [])
            for selector in advanced
            for field in selector.get("FieldSelectors", [])
            if field.get("Field") == "eventCategory"
        )
    return any(selector.get("IncludeManagementEvents", True) for selector in classic)


def planned_result(trail, action, check_mode):
    """What the run does with one trail: report it, or stop or delete it (in check mode: would)."""
    if action == "report":
        return "reported"
    if action == "stop" and not trail["is_logging"]:
        return "already stopped"
    done = {"stop": "stopped", "delete": "deleted"}[action]
    return f"would {action}" if check_mode else done


def organization_trail_problem(trail, status):
    """None when the organization trail exists, is an organization trail and is logging; else why not."""
    if not trail:
        return "it does not exist"
    if not trail.get("IsOrganizationTrail"):
        return "it is not an organization trail"
    if not status.get("IsLogging"):
        return "it is not logging"
    return None


# ---------------------------------------------------------------- per account


def read_account_trails(client_for, account_id, regions, organization_trail_arn):
    """The account's legacy trails with their bucket, status and selectors, read in each trail's home region."""
    listed = []
    for region in regions:
        listed += list_trails(client_for(region))
    trails = []
    for item in own_trails(listed, account_id, organization_trail_arn):
        client = client_for(item["home_region"])
        trail = get_trail(client, item["arn"])
        if not trail or trail.get("IsOrganizationTrail"):
            continue
        is_logging = bool(get_trail_status(client, item["arn"]).get("IsLogging"))
        management = logs_management_events(get_event_selectors(client, item["arn"]))
        trails.append(
            dict(
                item,
                s3_bucket_name=trail.get("S3BucketName"),
                is_multi_region_trail=bool(trail.get("IsMultiRegionTrail")),
                is_logging=is_logging,
                logs_management_events=management,
                note=DUPLICATE_COST_NOTE if management and is_logging else "",
            )
        )
    return trails


def ensure_account_trails(client_for, trails, action, check_mode):
    """Stop or delete the account's legacy trails as asked; returns (changed, trails with their result)."""
    changed = False
    results = []
    for trail in trails:
        result = planned_result(trail, action, check_mode)
        if result in ("stopped", "deleted", "would stop", "would delete"):
            changed = True
        if result == "stopped":
            stop_logging(client_for(trail["home_region"]), trail["arn"])
        elif result == "deleted":
            delete_trail(client_for(trail["home_region"]), trail["arn"])
        results.append(dict(trail, result=result))
    return changed, results


# ---------------------------------------------------------------- the organization


def verify_organization_trail(client_for_management, organization_trail_arn, check_mode):
    """Fail before any change unless the organization trail is logging (in check mode, only predict)."""
    region = organization_trail_arn.split(":")[3]
    client = client_for_management(region)
    trail = get_trail(client, organization_trail_arn)
    status = get_trail_status(client, organization_trail_arn) if trail else {}
    problem = organization_trail_problem(trail, status)
    if problem and not check_mode:
        raise OrganizationTrailNotVerified(
            message=(
                f"Refusing to stop or delete legacy trails: the organization trail {organization_trail_arn} "
                f"must be verified logging first, and {problem}. Nothing was changed."
            )
        )
    return problem


def account_trails(params, sessions, management_id, client_for_management, enabled_regions, check_mode):
    """The whole run: read every account, verify the organization trail if anything is to change, then change."""
    accounts = [
        dict(account, account_id=str(account["account_id"]), action=account.get("action") or params["action"])
        for account in params["accounts"]
    ]
    regions = params["regions"] or enabled_regions()
    trail_arn = params["organization_trail_arn"]

    def client_factory(account):
        return lambda region: sessions.client(account, "cloudtrail", region)

    def read(account):
        return {"trails": read_account_trails(client_factory(account), account["account_id"], regions, trail_arn)}

    found = scan_accounts(accounts, read, params["max_workers"])
    planned = [
        account
        for account, result in zip(accounts, found)
        if account["action"] != "report" and any(
            planned_result(trail, account["action"], check_mode) != "already stopped"
            for trail in result.get("trails", [])
        )
    ]
    if planned:
        verify_organization_trail(client_for_management, trail_arn, check_mode)

    def act(pair):
        account, result = pair
        if "error" in result:
            return dict(result, changed=False)
        changed, trails = ensure_account_trails(client_factory(account), result["trails"], account["action"], check_mode)
        return {"trails": trails, "changed": changed}

    done = scan_accounts(list(zip(accounts, found)), act, params["max_workers"])
    results, actions, changed = [], [], False
    for account, result in zip(accounts, done):
        entry = {
            "account_id": account["account_id"],
            "name": account.get("name") or account["account_id"],
            "action": account["action"],
            "trails": result.get("trails", []),
        }
        if "error" in result:
            entry["error"] = result["error"]
        changed = changed or result.get("changed", False)
        for trail in entry["trails"]:
            if trail["result"] in ("stopped", "deleted", "would stop", "would delete"):
                actions.append({"account_id": entry["account_id"], "trail_arn": trail["arn"], "action": account["action"]})
        results.append(entry)
    return changed, {
        "accounts": results,
        "actions": actions,
        "legacy_trail_count": sum(len(entry["trails"]) for entry in results),
        "regions": regions,
        "management_account_id": management_id,
    }


def diff_of(result):
    """Before and after: each account's legacy trails and whether they log."""

    def state(trail, after):
        if after and trail["result"] in ("deleted", "would delete"):
            return None
        logging = trail["is_logging"] and not (after and trail["result"] in ("stopped", "would stop"))
        return "logging" if logging else "stopped"

    before, after = {}, {}
    for entry in result["accounts"]:
        before[entry["account_id"]] = {trail["arn"]: state(trail, False) for trail in entry["trails"]}
        after[entry["account_id"]] = {
            trail["arn"]: state(trail, True) for trail in entry["trails"] if state(trail, True) is not None
        }
    return {"before": before, "after": after}


def main():
    argument_spec = dict(
        accounts=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                account_id=dict(type="str", required=True),
                name=dict(type="str"),
                role_name=dict(type="str"),
                role_arn=dict(type="str"),
                action=dict(type="str", choices=["report", "stop", "delete"]),
            ),
        ),
        action=dict(type="str", choices=["report", "stop", "delete"], default="report"),
        organization_trail_arn=dict(type="str", required=True),
        regions=dict(type="list", elements="str", default=[]),
        assume_role_name=dict(type="str", default="OrganizationAccountAccessRole"),
        max_workers=dict(type="int", default=10),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)

    # One boto3 session for every account's clients: see accounts.client_maker.
    make_client = client_maker(module, cloudtrail_retry)

    sts_client = make_client("sts")
    try:
        caller = get_caller_identity(sts_client)
        sessions = AccountSessions(
            make_client,
            sts_client,
            caller["Account"],
            partition=caller["Arn"].split(":")[1],
            role_name=module.params["assume_role_name"],
        )
        changed, result = account_trails(
            module.params,
            sessions,
            caller["Account"],
            lambda region: make_client("cloudtrail", region),
            lambda: describe_regions(make_client("ec2")),
            module.check_mode,
        )
    except (AnsibleAccountsError, AnsibleCloudTrailError) as e:
        module.fail_json_aws_error(e)

    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff_of(result)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
