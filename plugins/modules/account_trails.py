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
    role once, lists the account's trails with one C(ListTrails) call (CloudTrail lists every trail of the
    account, each with its home region), and reads each trail that belongs to the account and is not an
    organization trail in the trail's home region. Once the organization trail exists, such a trail that logs
    management events delivers a second copy of them, which AWS bills.
  - Reports each trail's name, home region, bucket, whether it is logging and whether it logs management events.
    A home region that cannot be read for an account (an opt-in region that is not enabled, a region-deny SCP)
    is reported on that region's trails; the account's other trails are still read and acted on.
  - Optionally, per account or for all, stops the trails' logging (O(action=stop)) or deletes the trails
    (O(action=delete)). That happens only once the organization trail O(organization_trail_arn) is verified
    delivering - an organization trail that is logging, whose latest delivery of log files to its bucket
    (C(LatestDeliveryTime)) is at most O(max_delivery_age) minutes old, and that reports no delivery error
    (C(LatestDeliveryError), C(LatestCloudWatchLogsDeliveryError)).
  - A new organization trail delivers its first log files some minutes after it starts logging, so the run that
    creates it reports the legacy trails as V(waiting) and changes nothing; a later run stops or deletes them.
    When the organization trail does not exist, is not an organization trail, is not logging or reports a
    delivery error, the module fails before any change.
  - It never touches the organization trail, any other organization trail, or any bucket (a deleted trail's logs
    stay where they are). If a stop or delete fails, the others are still done, the result lists each trail's
    outcome, and the module fails naming the ones that failed.
  - The accounts are worked on in a bounded thread pool (O(max_workers)), so the cost of a run hardly grows
    with the number of accounts and there is one Ansible task for the whole organization.
  - In check mode nothing is stopped or deleted; the result lists what would be. When the organization trail
    does not exist or is not logging yet (a first run under C(--check)), the legacy trails are reported as
    V(waiting), as the real run that creates the trail would.
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
        must be verified delivering (see the description).
    type: str
    required: true
  max_delivery_age:
    description:
      - How old, in minutes, the organization trail's latest delivery of log files may be for it to count as
        delivering. CloudTrail delivers log files about every 5 minutes while it logs.
    type: int
    default: 60
  regions:
    description:
      - The home regions whose trails are reported and acted on; a trail whose home region is not listed is
        left out. An empty list means every region.
      - The search costs the same either way (one C(ListTrails) per account lists the trails of every region).
    type: list
    elements: str
    default: []
notes:
  - C(ListTrails) is asked in the module's O(region); the roles need C(cloudtrail:ListTrails),
    C(cloudtrail:GetTrail), C(cloudtrail:GetTrailStatus) and C(cloudtrail:GetEventSelectors), and for the
    actions C(cloudtrail:StopLogging) or C(cloudtrail:DeleteTrail).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - trailguard.cloudtrail.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Report the own trails of every account, whatever their home region
  trailguard.cloudtrail.account_trails:
    organization_trail_arn: arn:aws:cloudtrail:us-east-1:111111111111:trail/acme-org-trail
    accounts:
      - account_id: "111111111111"
      - account_id: "222222222222"
      - account_id: "333333333333"
  register: legacy

- name: Delete them in one account, stop them in the others, once the organization trail delivers
  trailguard.cloudtrail.account_trails:
    organization_trail_arn: arn:aws:cloudtrail:us-east-1:111111111111:trail/acme-org-trail
    action: stop
    max_delivery_age: 30
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
      description: Why the account's trails could not be listed (for example the role could not be assumed).
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
          returned: when the trail could be read
        is_multi_region_trail:
          description: Whether the trail logs every region.
          type: bool
          returned: when the trail could be read
        is_logging:
          description: Whether the trail was logging.
          type: bool
          returned: when the trail could be read
        logs_management_events:
          description: Whether its selectors include management events.
          type: bool
          returned: when the trail could be read
        note:
          description: The duplicate-cost note, when the trail logs management events while logging.
          type: str
        result:
          description: >-
            What this run did with the trail: V(reported), V(stopped), V(deleted), V(already stopped); V(waiting)
            when a stop or delete waits for the organization trail to be verified delivering; V(not read) when its
            home region could not be read; V(failed) when the stop or delete failed; in check mode V(would stop)
            and V(would delete).
          type: str
        error:
          description: Why the trail could not be read in its home region, or why its stop or delete failed.
          type: str
          returned: with the results V(not read) and V(failed)
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
organization_trail:
  description:
    - What was verified of the organization trail. Only read when a stop or delete was due.
  returned: when a stop or delete was due
  type: dict
  contains:
    arn:
      description: The organization trail's ARN.
      type: str
    delivering:
      description: Whether it is verified delivering, so that the legacy trails were stopped or deleted.
      type: bool
    reason:
      description: Why it is not verified delivering yet, for example that it has not delivered its first log files.
      type: str
      returned: when O(organization_trail_arn) is not verified delivering
    latest_delivery_time:
      description: Its latest delivery of log files to its bucket (UTC), if any.
      type: str
      sample: "2026-11-22T09:00:00Z"
legacy_trail_count:
  description: How many legacy trails the accounts had before this run.
  returned: always
  type: int
  sample: 1
regions:
  description: The home regions the report was limited to (O(regions)); empty for every region.
  returned: always
  type: list
  elements: str
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AccountSessions
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AnsibleAccountsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import client_maker
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import error_text
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import scan_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import search_account_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import cloudtrail_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import delete_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import stop_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import ACCOUNT_ID_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import parse_arn

DUPLICATE_COST_NOTE = (
    "logs management events that the organization trail already delivers; AWS bills this second copy "
    "(paid copies of management events, USD 2.00 per 100,000 events at the time of writing)"
)
CHANGES = ("stopped", "deleted", "would stop", "would delete")


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
    if params["max_delivery_age"] < 1:
        return f"max_delivery_age ({params['max_delivery_age']}) must be a number of minutes, at least 1"
    return None


def planned_result(trail, action, check_mode, delivering=True):
    """What the run does with one trail: report it, or stop or delete it (in check mode: would).

    `delivering`: whether the organization trail is verified delivering; until then a stop or delete waits.
    """
    if trail.get("error"):
        return "not read"
    if action == "report":
        return "reported"
    if action == "stop" and not trail["is_logging"]:
        return "already stopped"
    if not delivering:
        return "waiting"
    done = {"stop": "stopped", "delete": "deleted"}[action]
    return f"would {action}" if check_mode else done


def _utc(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def organization_trail_problem(trail, status, now, max_age_minutes):
    """None when the organization trail is verified delivering; else (kind, why).

    kind "setup": it does not exist, is not an organization trail or is not logging (what the trail role does);
    kind "error": CloudTrail reports that it cannot deliver;
    kind "wait": it is logging but has not delivered log files within max_age_minutes (a new trail's first
    delivery comes some minutes after it starts logging).
    """
    if not trail:
        return "setup", "it does not exist"
    if not trail.get("IsOrganizationTrail"):
        return "setup", "it is not an organization trail"
    if not status.get("IsLogging"):
        return "setup", "it is not logging"
    errors = [
        f"{key} {status[key]!r}"
        for key in ("LatestDeliveryError", "LatestCloudWatchLogsDeliveryError")
        if status.get(key)
    ]
    if errors:
        return "error", (
            f"CloudTrail reports {' and '.join(errors)}: it cannot deliver to its bucket or log group "
            "(check the bucket policy, the KMS key policy and the CloudWatch Logs role)"
        )
    delivered = status.get("LatestDeliveryTime")
    if not delivered:
        started = status.get("StartLoggingTime")
        since = f" since {_utc(started)}" if started else ""
        return "wait", (
            f"waiting for the first delivery: it has been logging{since} and has not delivered log files to its "
            "bucket yet (CloudTrail delivers them about every 5 minutes once it logs)"
        )
    if now - delivered > datetime.timedelta(minutes=max_age_minutes):
        return "wait", (
            f"its latest delivery of log files was at {_utc(delivered)}, more than {max_age_minutes} minutes ago "
            "(max_delivery_age)"
        )
    return None


# ---------------------------------------------------------------- per account


def ensure_account_trails(client_for, trails, action, check_mode, delivering):
    """Stop or delete the account's legacy trails as asked; returns (changed, trails with their result).

    A failed stop or delete is that trail's result ("failed", with the error); the other trails are still done.
    """
    changed = False
    results = []
    for trail in trails:
        result = planned_result(trail, action, check_mode, delivering)
        entry = dict(trail, result=result)
        try:
            if result == "stopped":
                stop_logging(client_for(trail["home_region"]), trail["arn"])
            elif result == "deleted":
                delete_trail(client_for(trail["home_region"]), trail["arn"])
        except AnsibleAWSError as e:
            entry.update(result="failed", error=error_text(e))
        changed = changed or entry["result"] in CHANGES
        results.append(entry)
    return changed, results


# ---------------------------------------------------------------- the organization


def verify_organization_trail(client_for_management, organization_trail_arn, now, max_age_minutes, check_mode):
    """What is known of the organization trail before any stop or delete; fails when it is not set up or
    cannot deliver.

    In check mode a trail that is not set up yet (a first run) is predicted to wait: the real run creates or
    starts it first, and then waits for its first delivery.
    """
    client = client_for_management(organization_trail_arn.split(":")[3])
    trail = get_trail(client, organization_trail_arn)
    status = get_trail_status(client, organization_trail_arn) if trail else {}
    problem = organization_trail_problem(trail, status, now, max_age_minutes)
    kind, reason = problem or (None, None)
    if kind == "error" or (kind == "setup" and not check_mode):
        raise OrganizationTrailNotVerified(
            message=(
                f"Refusing to stop or delete legacy trails: the organization trail {organization_trail_arn} "
                f"must be verified delivering first, and {reason}. Nothing was changed."
            )
        )
    delivered = status.get("LatestDeliveryTime")
    info = {
        "arn": organization_trail_arn,
        "delivering": problem is None,
        "latest_delivery_time": _utc(delivered) if delivered else None,
    }
    if problem:
        info["reason"] = (
            reason
            if kind == "wait"
            else f"{reason}; this run creates or starts it, and then waits for its first delivery"
        )
    return info


def account_trails(params, sessions, management_id, client_for_management, region, now, check_mode):
    """The whole run: read every account, verify the organization trail if anything is to change, then change."""
    accounts = [
        dict(account, account_id=str(account["account_id"]), action=account.get("action") or params["action"])
        for account in params["accounts"]
    ]
    trail_arn = params["organization_trail_arn"]

    def client_factory(account):
        return lambda client_region: sessions.client(account, "cloudtrail", client_region)

    def read(account):
        client_for = client_factory(account)
        return {
            "trails": search_account_trails(client_for, account["account_id"], trail_arn, region, params["regions"])
        }

    found = scan_accounts(accounts, read, params["max_workers"])
    due = any(
        planned_result(trail, account["action"], check_mode) in CHANGES
        for account, result in zip(accounts, found)
        for trail in result.get("trails", [])
    )
    organization_trail = None
    if due:
        organization_trail = verify_organization_trail(
            client_for_management, trail_arn, now, params["max_delivery_age"], check_mode
        )
    delivering = bool(organization_trail and organization_trail["delivering"])

    def act(pair):
        account, result = pair
        if "error" in result:
            return dict(result, changed=False)
        changed, trails = ensure_account_trails(
            client_factory(account), result["trails"], account["action"], check_mode, delivering
        )
        return {"trails": trails, "changed": changed}

    done = scan_accounts(list(zip(accounts, found)), act, params["max_workers"])
    results, actions, changed = [], [], False
    for account, result in zip(accounts, done):
        entry = {
            "account_id": account["account_id"],
            "name": account.get("name") or account["account_id"],
            "action": account["action"],
            "trails": [
                dict(
                    trail,
                    note=DUPLICATE_COST_NOTE if trail.get("logs_management_events") and trail.get("is_logging") else "",
                )
                for trail in result.get("trails", [])
            ],
        }
        if "error" in result:
            entry["error"] = result["error"]
        changed = changed or result.get("changed", False)
        for trail in entry["trails"]:
            if trail["result"] in CHANGES:
                actions.append(
                    {"account_id": entry["account_id"], "trail_arn": trail["arn"], "action": account["action"]}
                )
        results.append(entry)
    outcome = {
        "accounts": results,
        "actions": actions,
        "legacy_trail_count": sum(len(entry["trails"]) for entry in results),
        "regions": params["regions"],
        "management_account_id": management_id,
    }
    if organization_trail:
        outcome["organization_trail"] = organization_trail
    return changed, outcome


def failed_actions(result):
    """One line per stop or delete that failed."""
    return [
        f"{entry['name']} ({entry['account_id']}): {entry['action']} {trail['arn']}: {trail['error']}"
        for entry in result["accounts"]
        for trail in entry["trails"]
        if trail["result"] == "failed"
    ]


def diff_of(result):
    """Before and after: each account's legacy trails and whether they log."""

    def state(trail, after):
        if after and trail["result"] in ("deleted", "would delete"):
            return None
        if "is_logging" not in trail:
            return "not read"
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
        max_delivery_age=dict(type="int", default=60),
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
        management = {"account_id": caller["Account"]}
        changed, result = account_trails(
            module.params,
            sessions,
            caller["Account"],
            lambda region: sessions.client(management, "cloudtrail", region),
            module.region,
            datetime.datetime.now(datetime.timezone.utc),
            module.check_mode,
        )
    except (AnsibleAccountsError, AnsibleCloudTrailError, AnsibleSTSError) as e:
        module.fail_json_aws_error(e)

    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff_of(result)
    failures = failed_actions(result)
    if failures:
        module.fail_json(
            msg=f"{len(failures)} legacy trail stop(s) or delete(s) failed; the others were done: "
            + "; ".join(failures),
            changed=changed,
            **result,
        )
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
