#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: posture_info
version_added: 1.0.0
short_description: check an organization's CloudTrail set-up against what Trailguard promises
description:
  - Reads, from the management account, everything the Trailguard roles set up and reports each promise as a check
    with a status, a detail and the CIS AWS Foundations and AWS Foundational Security Best Practices (FSBP)
    controls it serves.
  - "The organization trail: organization, multi-region, logging, log file validation, the Trailguard KMS key,
    delivery to the log bucket and to CloudWatch Logs, management events (read and write) and, when configured,
    S3 data events."
  - "The log bucket, in the log-archive account: the Trailguard policy statements with their confused-deputy
    conditions (C(aws:SourceArn) is the trail), a statement that denies requests without TLS, SSE-KMS with the trail
    key, versioning, Block Public Access, the lifecycle rule, server access logging and Object Lock. True S3 MFA
    Delete can only be turned on by the account's root user, so it is reported as V(manual), never as a failure.
    Who the policy's MFA statement exempts - V(warn) (amber) when it is the broad role the playbook assumes by
    default (O(log_archive_account.role_name), else O(assume_role_name)), which every principal of the management
    account allowed to assume it can use, rather than a dedicated deploy role (C(trailguard_deploy_role_name))."
  - "The trail key, in the log-archive account: enabled, rotation, and the Trailguard policy statements."
  - The guardrail SCPs and their targets, and the expected CloudWatch alarms (each fed by a metric filter on the
    trail's log group).
  - The EventBridge tamper rules of O(tamper_rules), in the management and log-archive accounts - each present,
    enabled and delivering to the alarm topic or to the management account's default event bus (two calls a rule).
  - "For every account in O(accounts): covered by the organization trail (an ACTIVE member, and the trail is
    usable), no legacy account-level trails, and both SCPs attached to the account or one of its OUs or the root."
  - The legacy trails are found as M(trailguard.cloudtrail.account_trails) finds them, with the same search (one
    C(ListTrails) per account, then each trail read in its home region), so the report and the playbook see the
    same trails. A home region that cannot be read for an account is named in that account's check.
  - The accounts are read in parallel, O(max_workers) at a time, with one C(sts:AssumeRole) per account. An error in
    one account (a role that cannot be assumed, for example) fails that account's legacy-trail check, not the module.
  - "Cost: a fixed number of calls for the organization, the trail, the bucket, the key, the SCPs and the alarms;
    two Organizations listings per OU; and per account one AssumeRole and one ListTrails, plus three reads per
    legacy trail."
  - Read only. Statuses are V(pass), V(fail), V(warn), V(manual), V(not_configured) and V(not_applicable); only
    V(fail) is red, V(warn) is amber.
author:
  - Trailguard maintainers (@trailguard)
options:
  trail:
    description:
      - The organization trail, in the management account.
    type: dict
    required: true
    suboptions:
      name:
        description:
          - The trail's name or ARN.
        type: str
        required: true
      cloudwatch_logs:
        description:
          - Whether the trail must deliver to CloudWatch Logs.
        type: bool
        default: true
      log_group_name:
        description:
          - The log group the trail must deliver to. When not set, any log group passes.
        type: str
      s3_data_events:
        description:
          - Whether the trail must log S3 object-level data events. When V(false), the check is V(not_configured)
            unless they are logged anyway.
        type: bool
        default: false
  log_archive_account:
    description:
      - The account that holds the log bucket and the trail key.
    type: dict
    required: true
    suboptions:
      account_id:
        description:
          - The 12-digit account ID.
        type: str
        required: true
      role_name:
        description:
          - The role assumed in the account. Defaults to O(assume_role_name).
        type: str
      role_arn:
        description:
          - The ARN of the role assumed in the account; overrides O(log_archive_account.role_name).
        type: str
  bucket:
    description:
      - The central log bucket, in the log-archive account.
    type: dict
    required: true
    suboptions:
      name:
        description:
          - The bucket's name.
        type: str
        required: true
      access_log_bucket_name:
        description:
          - The bucket its server access logs must go to. When not set, any target passes.
        type: str
      policy_sids:
        description:
          - The Sids of the statements the bucket policy must have. The posture playbook passes all those the
            audit_bucket role writes (its C(promises) entry point, fact C(audit_bucket_promised_policy_sids)); the
            default is the two that let CloudTrail deliver.
          - Every statement that allows C(cloudtrail.amazonaws.com) must also limit it to the trail with
            C(aws:SourceArn), whatever its Sid.
        type: list
        elements: str
        default: [TrailguardCloudTrailAclCheck, TrailguardCloudTrailWrite]
      deny_insecure_transport:
        description:
          - Whether the policy must deny requests without TLS. When V(false), the check is V(not_configured) unless
            it does anyway.
        type: bool
        default: true
      glacier_transition_days:
        description:
          - The days after which the lifecycle rule must move logs to Glacier. When not set, any number passes.
        type: int
      expiration_days:
        description:
          - The days after which the lifecycle rule must expire logs. When not set, any number passes.
        type: int
      object_lock_enabled:
        description:
          - Whether Object Lock must be on. When V(false), the check is V(not_configured) unless it is on anyway.
        type: bool
        default: false
      object_lock_mode:
        description:
          - The default retention mode Object Lock must have, when O(bucket.object_lock_enabled=true).
        type: str
        choices: [GOVERNANCE, COMPLIANCE]
      object_lock_days:
        description:
          - The default retention in days Object Lock must have, when O(bucket.object_lock_enabled=true).
        type: int
  kms_key:
    description:
      - The trail's KMS key, in the log-archive account.
    type: dict
    required: true
    suboptions:
      id:
        description:
          - The key's alias (V(alias/...)), ID or ARN.
        type: str
        required: true
      policy_sids:
        description:
          - The Sids of the statements the key policy must have. The posture playbook passes all those the kms_key
            role writes (its C(promises) entry point, fact C(kms_key_promised_policy_sids)); the default is the
            administration statement and the two that let CloudTrail use the key.
          - Every statement that allows C(cloudtrail.amazonaws.com) must also limit it to the trail with
            C(aws:SourceArn), whatever its Sid.
        type: list
        elements: str
        default: [TrailguardKeyAdministration, TrailguardCloudTrailEncryptLogs, TrailguardCloudTrailDescribeKey]
  scps:
    description:
      - The guardrail service control policies and where each must be attached.
      - When empty, the SCP checks are V(not_configured).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The SCP's name.
        type: str
        required: true
      targets:
        description:
          - Where it must be attached, as for the guardrails role - V(root), a root ID, an OU ID, an OU path such
            as V(/Workloads), or an account ID.
        type: list
        elements: str
        required: true
  alarm_names:
    description:
      - The CloudWatch alarms that must exist in the management account, each watching a metric that a metric filter
        on the trail's log group emits.
      - When empty, monitoring counts as not configured and the check is V(not_configured).
    type: list
    elements: str
    default: []
  tamper_rules:
    description:
      - The EventBridge tamper rules that must exist on the default event bus, be enabled and deliver to their target;
        one check each, in the C(alarms) group.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The rule's name.
        type: str
        required: true
      account:
        description: The account the rule is in.
        type: str
        choices: [management, log_archive]
        default: management
      region:
        description: The rule's region; by default the module's.
        type: str
      target:
        description:
          - What the rule must deliver to - V(alarm_topic), the SNS topic O(alarm_topic_name) of the management account,
            or V(management_event_bus), the management account's default event bus; both in the module's region.
        type: str
        choices: [alarm_topic, management_event_bus]
        default: alarm_topic
  alarm_topic_name:
    description:
      - The name of the alarm topic in the management account, which the O(tamper_rules) that target V(alarm_topic)
        must notify.
    type: str
  athena_table:
    description:
      - The Athena table over the organization's logs, in the log-archive account (the athena role's). Its account
        projection (C(projection.account.values)) must list every active account of the organization.
      - Not set, Athena counts as not configured and the check is V(not_configured).
    type: dict
    suboptions:
      database:
        description: The Glue database.
        type: str
        required: true
      name:
        description: The table.
        type: str
        required: true
  accounts:
    description:
      - The accounts to check one by one, usually every host of the inventory.
      - When empty, the management and log-archive accounts.
    type: list
    elements: dict
    default: []
    suboptions:
      account_id:
        description:
          - The 12-digit account ID.
        type: str
        required: true
      name:
        description:
          - The name to show, for example the inventory host name. Defaults to the account's name in the organization.
        type: str
      role_name:
        description:
          - The role assumed in the account. Defaults to O(assume_role_name).
        type: str
      role_arn:
        description:
          - The ARN of the role assumed in the account; overrides O(accounts[].role_name).
        type: str
  legacy_trail_regions:
    description:
      - The home regions whose legacy trails are reported; a trail whose home region is not listed is left out,
        as O(trailguard.cloudtrail.account_trails#module:regions) does for M(trailguard.cloudtrail.account_trails).
      - Empty means every region. C(ListTrails) lists every trail of an account, each with its home region, so
        the search costs one call per account either way.
    type: list
    elements: str
    default: []
notes:
  - Run it with the management account's credentials. The roles in the other accounts need read access to
    CloudTrail, S3 and KMS (the default C(OrganizationAccountAccessRole) has it).
  - "The CIS ids are given per benchmark version range: CIS renumbered its logging and monitoring sections in v3.0
    and again in v6.0."
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes.info_module
  - trailguard.cloudtrail.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the organization's CloudTrail set-up
  trailguard.cloudtrail.posture_info:
    region: us-east-1
    trail:
      name: acme-organization-trail
      log_group_name: /aws/cloudtrail/acme-organization-trail
    log_archive_account:
      account_id: "222222222222"
    bucket:
      name: acme-cloudtrail
      access_log_bucket_name: acme-cloudtrail-access-logs
      glacier_transition_days: 14
      expiration_days: 180
    kms_key:
      id: alias/acme-cloudtrail
    scps:
      - name: trailguard-deny-cloudtrail-tampering
        targets: [root]
      - name: trailguard-protect-log-archive
        targets: [root]
    accounts:
      - account_id: "111111111111"
        name: management
      - account_id: "222222222222"
        name: log-archive
      - account_id: "333333333333"
        name: workloads-prod
  register: posture

- name: Fail on any red check
  ansible.builtin.assert:
    that:
      - posture.report.summary.fail == 0
    fail_msg: "{{ posture.report.summary_lines | join('\n') }}"
"""

RETURN = r"""
report:
  description: The posture report.
  returned: always
  type: dict
  contains:
    generated_at:
      description: When the report was made (UTC).
      type: str
      sample: "2026-11-22T09:00:00Z"
    organization:
      description: The organization's ID and its management and log-archive account IDs.
      type: dict
      sample:
        id: o-exampleorgid
        management_account_id: "111111111111"
        log_archive_account_id: "222222222222"
    summary:
      description:
        - The number of checks per status (C(pass), C(fail), C(warn), C(manual), C(not_configured),
          C(not_applicable)) and in all (C(checks)); C(status), C(fail) when any check failed, else C(pass);
          C(accounts), C(accounts_covered)
          (by the organization trail) and C(accounts_failing); and C(accounts_not_in_inventory), the organization's
          ACTIVE accounts that O(accounts) does not list.
      type: dict
      sample: {"status": "pass", "checks": 47, "pass": 40, "fail": 0, "warn": 1, "manual": 1, "not_configured": 4,
               "not_applicable": 1, "accounts": 5, "accounts_covered": 5, "accounts_failing": 0,
               "accounts_not_in_inventory": []}
    summary_lines:
      description: A short text summary, then one line per failing, warning and manual check (at most 20).
      type: list
      elements: str
      sample:
        - "Trailguard posture: PASS - 47 checks: 0 fail, 1 warn, 1 manual, 40 pass, 4 not configured, 1 not applicable"
    columns:
      description: The matrix's columns, C(id) and C(title); an C(account.*) column is a per-account check, the others
        are the trail, bucket, key, SCP and alarm checks shown in the row of the account that owns the resource.
      type: list
      elements: dict
    accounts:
      description: The matrix's rows, one per account, in the order of O(accounts).
      type: list
      elements: dict
      contains:
        account_id:
          description: The account ID.
          type: str
        name:
          description: The name shown.
          type: str
        role:
          description: C(management), C(log_archive) or C(member).
          type: str
        ou_path:
          description: The account's OU path, such as C(/Workloads/Prod); empty when it is not in the organization.
          type: str
        account_status:
          description: The account's status in the organization, or C(NOT_IN_ORGANIZATION).
          type: str
        status:
          description: The worst status of the row's cells.
          type: str
        cells:
          description: One per column, in the order of RV(report.columns); null where the account has nothing to check
            (for example the bucket column of a member account). Each has C(column), C(status), C(label), C(detail)
            (one line per check) and C(checks) (C(id), C(title), C(status), C(detail)).
          type: list
          elements: dict
    checks:
      description: Every check.
      type: list
      elements: dict
      contains:
        id:
          description: The check's ID, such as C(trail.multi_region), C(bucket.mfa_delete) or
            C(scps.trailguard-protect-log-archive).
          type: str
        group:
          description: C(trail), C(bucket), C(kms_key), C(scps), C(alarms), C(athena) or C(account).
          type: str
        title:
          description: What is checked.
          type: str
        status:
          description: C(pass), C(fail), C(warn), C(manual), C(not_configured) or C(not_applicable).
          type: str
        detail:
          description: What was found, and for a failure what is wrong.
          type: str
        controls:
          description: The CIS AWS Foundations and FSBP controls the check serves; empty when there is none.
          type: list
          elements: str
          sample: ["CIS 3.2 (v1.4-v5.0)", "CIS 4.2 (v6.0-v7.0)", "FSBP CloudTrail.4"]
        account_id:
          description: The account the check is about.
          type: str
        resource:
          description: The ARN or name of the resource checked.
          type: str
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AccountSessions
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import AnsibleAccountsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import client_maker
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import scan_accounts
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import search_account_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import AnsibleEventBridgeError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import AnsibleKMSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import management_caller_error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import AnsiblePostureError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_alarms
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_athena_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_bucket
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_key
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_organization_tree
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_scp_targets
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_tamper_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture import read_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import account_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import alarm_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import athena_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import bucket_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import build_report
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import exemption_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import key_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import organization_trail_problem
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import scp_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import tamper_rule_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import trail_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import get_caller_identity
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_account_id
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_arn
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_bucket_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_scp_target
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_trail_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error

ROLE_OPTIONS = dict(
    account_id=dict(type="str", required=True),
    role_name=dict(type="str"),
    role_arn=dict(type="str"),
)


def _check_account(account, name):
    return first_error(
        check_account_id(account["account_id"], f"{name}.account_id"),
        check_arn(account.get("role_arn"), f"{name}.role_arn", service="iam"),
    )


def without_empty_roles(params):
    """Empty role names and ARNs (an inventory without them) count as not set."""
    for account in [params["log_archive_account"]] + params["accounts"]:
        for key in ("role_name", "role_arn"):
            account[key] = account.get(key) or None
    return params


def validate(params):
    """The first problem with the options, or None; before any AWS call."""
    errors = [
        check_trail_name(params["trail"]["name"], "trail.name"),
        _check_account(params["log_archive_account"], "log_archive_account"),
        check_bucket_name(params["bucket"]["name"], "bucket.name"),
        check_bucket_name(params["bucket"]["access_log_bucket_name"], "bucket.access_log_bucket_name"),
    ]
    errors += [_check_account(account, f"accounts[{index}]") for index, account in enumerate(params["accounts"])]
    for index, scp in enumerate(params["scps"]):
        if not scp["targets"]:
            errors.append(f"scps[{index}].targets must list at least one target")
        errors += [check_scp_target(target, f"scps[{index}].targets[{n}]") for n, target in enumerate(scp["targets"])]
    ids = [account["account_id"] for account in params["accounts"]]
    duplicates = sorted({account_id for account_id in ids if ids.count(account_id) > 1})
    if duplicates:
        errors.append(f"accounts must list each account once; listed more than once: {', '.join(duplicates)}")
    if params["max_workers"] < 1:
        errors.append(f"max_workers must be at least 1, got {params['max_workers']}")
    for option in ("glacier_transition_days", "expiration_days", "object_lock_days"):
        if (params["bucket"][option] or 0) < 0:
            errors.append(f"bucket.{option} must be a number of days, 0 or more, got {params['bucket'][option]}")
    tamper_rules = params.get("tamper_rules") or []
    if any(rule["target"] == "alarm_topic" for rule in tamper_rules) and not params.get("alarm_topic_name"):
        errors.append("alarm_topic_name must name the alarm topic that tamper_rules with target alarm_topic notify")
    return first_error(*errors)


def expected_tamper_rules(params, management_id, partition, region):
    """The tamper_rules option with each rule's account ID, a label of where it is, and its target's ARN."""
    targets = {
        "alarm_topic": f"arn:{partition}:sns:{region}:{management_id}:{params.get('alarm_topic_name')}",
        "management_event_bus": f"arn:{partition}:events:{region}:{management_id}:event-bus/default",
    }
    accounts = {"management": management_id, "log_archive": params["log_archive_account"]["account_id"]}
    return [
        {
            "name": rule["name"],
            "account": rule["account"],
            "account_id": accounts[rule["account"]],
            "region": rule["region"] or region,
            "where": f"{rule['account'].replace('_', '-')} account, {rule['region'] or region}",
            "target_arn": targets[rule["target"]],
        }
        for rule in params.get("tamper_rules") or []
    ]


def log_group_name(log_group_arn):
    """The log group's name in a CloudTrail CloudWatchLogsLogGroupArn (which ends in :*)."""
    if not log_group_arn or ":log-group:" not in log_group_arn:
        return None
    name = log_group_arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def with_roles(accounts, management_id, log_archive):
    """The accounts to check, each with its role; the management and log-archive accounts when none are given."""
    if not accounts:
        accounts = [{"account_id": management_id}, dict(log_archive)]
    result = []
    for account in accounts:
        account = dict(account)
        if account["account_id"] == management_id:
            account["role"] = "management"
        elif account["account_id"] == log_archive["account_id"]:
            account["role"] = "log_archive"
            account["role_name"] = account.get("role_name") or log_archive.get("role_name")
            account["role_arn"] = account.get("role_arn") or log_archive.get("role_arn")
        else:
            account["role"] = "member"
        result.append(account)
    return result


def posture(params, clients, sessions, caller, region, now):
    """Read everything and check it; returns the report. `clients` are the management account's."""
    organization = describe_organization(clients["organizations"])
    error = management_caller_error(organization, caller["Account"], "read the organization's posture")
    if error:
        raise AnsiblePostureError(message=error)
    management_id = organization["MasterAccountId"]
    partition = caller["Arn"].split(":")[1]
    tree = read_organization_tree(clients["organizations"])

    log_archive = params["log_archive_account"]
    key_state = read_key(sessions.client(log_archive, "kms"), params["kms_key"]["id"])
    bucket_state = read_bucket(sessions.client(log_archive, "s3"), params["bucket"]["name"])
    trail_state = read_trail(clients["cloudtrail"], params["trail"]["name"])
    trail = trail_state.get("trail") or {}
    trail_arn = trail.get("TrailARN") or (
        params["trail"]["name"]
        if params["trail"]["name"].startswith("arn:")
        else f"arn:{partition}:cloudtrail:{region}:{management_id}:trail/{params['trail']['name']}"
    )

    metadata = key_state.get("metadata") or {}
    key_ids = [metadata["Arn"], metadata["KeyId"], params["kms_key"]["id"]] if metadata else []
    expected_trail = dict(params["trail"], bucket_name=params["bucket"]["name"], kms_key_arn=metadata.get("Arn"))
    checks = trail_checks(trail_state, expected_trail, management_id)
    checks += bucket_checks(
        bucket_state, params["bucket"], log_archive["account_id"], key_ids, trail_arn, organization["Id"], partition
    )
    # The role the report assumes there is the broad one the playbook assumes by default.
    broad_role_arn = log_archive.get("role_arn") or (
        f"arn:{partition}:iam::{log_archive['account_id']}:role/"
        f"{log_archive.get('role_name') or params['assume_role_name']}"
    )
    checks += exemption_checks(
        bucket_state, broad_role_arn, log_archive["account_id"], params["bucket"]["name"], partition
    )
    checks += key_checks(key_state, params["kms_key"], log_archive["account_id"], trail_arn)
    athena = params.get("athena_table")
    table = (
        read_athena_table(sessions.client(log_archive, "glue"), athena["database"], athena["name"]) if athena else {}
    )
    checks += athena_checks(table, athena, tree, log_archive["account_id"])

    targets_by_name = read_scp_targets(clients["organizations"], [scp["name"] for scp in params["scps"]])
    checks += scp_checks(params["scps"], targets_by_name, tree, management_id)
    log_group_arn = trail.get("CloudWatchLogsLogGroupArn")
    alarms = read_alarms(clients["cloudwatch"], clients["logs"], params["alarm_names"], log_group_name(log_group_arn))
    checks += alarm_checks(params["alarm_names"], alarms, log_group_arn, management_id)
    tamper_rules = expected_tamper_rules(params, management_id, partition, region)
    rule_accounts = {"management": {"account_id": management_id}, "log_archive": log_archive}
    checks += tamper_rule_checks(
        tamper_rules,
        [
            read_tamper_rule(sessions.client(rule_accounts[rule["account"]], "events", rule["region"]), rule["name"])
            for rule in tamper_rules
        ],
    )

    accounts = with_roles(params["accounts"], management_id, log_archive)

    def scan(account):
        def client_for(scan_region):
            return sessions.client(account, "cloudtrail", scan_region)

        trails = search_account_trails(
            client_for, account["account_id"], trail_arn, region, params["legacy_trail_regions"]
        )
        return {"trails": trails}

    problem = organization_trail_problem(checks)
    per_account = {
        account["account_id"]: account_checks(
            account, tree, organization, problem, result, params["scps"], targets_by_name
        )
        for account, result in zip(accounts, scan_accounts(accounts, scan, params["max_workers"]))
    }
    return build_report(organization, accounts, checks, per_account, tree, now)


def main():
    argument_spec = dict(
        trail=dict(
            type="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                cloudwatch_logs=dict(type="bool", default=True),
                log_group_name=dict(type="str"),
                s3_data_events=dict(type="bool", default=False),
            ),
        ),
        log_archive_account=dict(type="dict", required=True, options=ROLE_OPTIONS),
        bucket=dict(
            type="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                access_log_bucket_name=dict(type="str"),
                policy_sids=dict(
                    type="list", elements="str", default=["TrailguardCloudTrailAclCheck", "TrailguardCloudTrailWrite"]
                ),
                deny_insecure_transport=dict(type="bool", default=True),
                glacier_transition_days=dict(type="int"),
                expiration_days=dict(type="int"),
                object_lock_enabled=dict(type="bool", default=False),
                object_lock_mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"]),
                object_lock_days=dict(type="int"),
            ),
        ),
        kms_key=dict(
            type="dict",
            required=True,
            no_log=False,
            options=dict(
                id=dict(type="str", required=True),
                policy_sids=dict(
                    type="list",
                    elements="str",
                    default=[
                        "TrailguardKeyAdministration",
                        "TrailguardCloudTrailEncryptLogs",
                        "TrailguardCloudTrailDescribeKey",
                    ],
                ),
            ),
        ),
        scps=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                targets=dict(type="list", elements="str", required=True),
            ),
        ),
        alarm_names=dict(type="list", elements="str", default=[]),
        tamper_rules=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                account=dict(type="str", choices=["management", "log_archive"], default="management"),
                region=dict(type="str"),
                target=dict(type="str", choices=["alarm_topic", "management_event_bus"], default="alarm_topic"),
            ),
        ),
        alarm_topic_name=dict(type="str"),
        athena_table=dict(
            type="dict",
            options=dict(database=dict(type="str", required=True), name=dict(type="str", required=True)),
        ),
        accounts=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(ROLE_OPTIONS, name=dict(type="str")),
        ),
        assume_role_name=dict(type="str", default="OrganizationAccountAccessRole"),
        legacy_trail_regions=dict(type="list", elements="str", default=[]),
        max_workers=dict(type="int", default=10),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    error = validate(without_empty_roles(module.params))
    if error:
        module.fail_json(msg=error)

    # One boto3 session for every account's clients: see accounts.client_maker.
    make_client = client_maker(module, AWSRetry.jittered_backoff())

    clients = {service: make_client(service) for service in ("organizations", "cloudtrail", "cloudwatch", "logs")}
    sts_client = make_client("sts")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        caller = get_caller_identity(sts_client)
        sessions = AccountSessions(
            make_client,
            sts_client,
            caller["Account"],
            partition=caller["Arn"].split(":")[1],
            role_name=module.params["assume_role_name"],
        )
        report = posture(module.params, clients, sessions, caller, module.region, now)
    except (
        AnsibleAccountsError,
        AnsibleCloudTrailError,
        AnsibleCloudWatchError,
        AnsibleEventBridgeError,
        AnsibleKMSError,
        AnsibleOrganizationsError,
        AnsiblePostureError,
        AnsibleS3Error,
        AnsibleSTSError,
    ) as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, report=report)


if __name__ == "__main__":
    main()
