#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: event_rules
version_added: 1.0.0
short_description: manage a set of EventBridge rules and their targets on one event bus
description:
  - Manages a set of Amazon EventBridge rules with event patterns, and the targets of each, on one event bus (the
    account's default bus unless O(event_bus_name) says otherwise). One task does the whole set.
  - Reads the rules with one paginated C(ListRules) by O(name_prefix), and the targets of each existing rule it
    manages or deletes with C(ListTargetsByRule). Writes only what differs - C(PutRule) for a rule whose description,
    event pattern or state differ, C(PutTargets) for targets that are new or differ, C(RemoveTargets) for targets
    that are no longer listed.
  - B(Every rule name starts with O(name_prefix), which marks what this module owns.) Rules whose names do not
    start with it are never read, changed or deleted.
  - Owned rules are deleted (their targets first) only when asked - those named in O(remove), and with O(purge=true)
    every owned rule that is not in O(rules). A rule that an AWS service manages (C(ManagedBy)) is never purged.
  - Event patterns and target inputs are compared as data, not as strings.
  - Targets can be in other accounts, such as an event bus that another account's policy opens to this one; give
    such a target the role EventBridge assumes to deliver to it (O(rules[].targets[].role_arn)).
  - With O(policy_statements) it also manages the statements of the event bus's resource policy that it owns (those
    whose Sid starts with O(policy_sid_prefix)), such as the statement that lets another account forward events to
    this bus. The policy's other statements are kept; the policy is read with one C(DescribeEventBus) and compared as
    data, not as text.
author:
  - Trailguard maintainers (@trailguard)
options:
  event_bus_name:
    description:
      - The name or ARN of the event bus the rules are on.
    type: str
    default: default
  name_prefix:
    description:
      - The start of every rule name this module owns, 1 to 64 letters, digits, V(.), V(-) and V(_). The names in
        O(rules) and O(remove) must start with it.
      - Choose it so that no rule made by other means starts with it, above all with O(purge=true).
    type: str
    required: true
  rules:
    description:
      - The rules that must exist.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The rule's name, 1 to 64 letters, digits, V(.), V(-) and V(_). It must start with O(name_prefix) and be
            unique in O(rules).
        type: str
        required: true
      description:
        description:
          - The rule's description, at most 512 characters.
        type: str
        default: ""
      event_pattern:
        description:
          - The event pattern, as a dictionary or a JSON string of an object.
        type: json
        required: true
      state:
        description:
          - Whether the rule matches events. V(ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS) also matches read-only
            management events delivered by CloudTrail.
        type: str
        choices: ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]
        default: ENABLED
      targets:
        description:
          - The rule's targets, exactly; a target of the rule that is not listed is removed. At most five, the
            EventBridge quota.
        type: list
        elements: dict
        default: []
        suboptions:
          id:
            description:
              - The target's ID, unique in the rule, 1 to 64 letters, digits, V(.), V(-) and V(_).
            type: str
            required: true
          arn:
            description:
              - The target's ARN, for example an SNS topic, an SQS queue or an event bus in another account
                (V(arn:aws:events:<region>:<account>:event-bus/<name>)).
            type: str
            required: true
          role_arn:
            description:
              - The IAM role EventBridge assumes to deliver to the target. Needed for an event bus in another
                account that grants access to an organization rather than to this account.
            type: str
          input:
            description:
              - A fixed JSON input sent instead of the event, as a dictionary or a JSON string.
              - Only one of O(rules[].targets[].input), O(rules[].targets[].input_path) and
                O(rules[].targets[].input_transformer).
            type: json
          input_path:
            description:
              - A JSONPath of the part of the event that is sent, such as V($.detail).
            type: str
          input_transformer:
            description:
              - Sends a text built from values of the event.
            type: dict
            suboptions:
              input_paths_map:
                description:
                  - Names for JSONPaths of the event, to use in O(rules[].targets[].input_transformer.input_template).
                type: dict
                default: {}
              input_template:
                description:
                  - The text sent, with V(<name>) placeholders.
                type: str
                required: true
          dead_letter_arn:
            description:
              - An SQS queue that receives the events that could not be delivered.
            type: str
          retry_policy:
            description:
              - How long and how often EventBridge retries a failed delivery.
              - Not set leaves the target's retry policy as it is (AWS's default is 185 attempts over 24 hours).
            type: dict
            suboptions:
              maximum_retry_attempts:
                description: At most this many retries.
                type: int
              maximum_event_age_in_seconds:
                description: Retries stop when the event is this old.
                type: int
  remove:
    description:
      - Names of owned rules to delete with their targets, each starting with O(name_prefix) and not in O(rules). A
        name that does not exist is no change.
    type: list
    elements: str
    default: []
  purge:
    description:
      - Also delete every owned rule on the bus that is not in O(rules).
      - B(Defaults to V(false)), so that only the rules in O(remove) are ever deleted.
    type: bool
    default: false
  policy_statements:
    description:
      - The statements of the event bus's resource policy that this module owns, each a policy statement with a
        C(Sid) that starts with O(policy_sid_prefix) (1 to 64 letters, digits, V(-) and V(_)).
      - They replace the owned statements of the policy; statements whose Sid does not start with
        O(policy_sid_prefix) are kept as they are. V([]) removes the owned statements.
      - Not set leaves the policy alone, unread.
    type: list
    elements: dict
  policy_sid_prefix:
    description:
      - The start of the Sid of every event bus policy statement this module owns.
    type: str
    default: Trailguard
notes:
  - In check mode an event bus that does not exist yet has no rules, so every rule is reported as created. Outside
    check mode a missing event bus is an error, raised before anything is changed.
  - Target settings the module does not set (ECS, Batch, Kinesis, SQS FIFO, HTTP parameters ...) are not compared;
    a target that is put is put without them. Rule tags are not managed.
  - Permissions - C(events:ListRules) (on every resource, as it has no resource type), and C(events:ListTargetsByRule),
    C(events:PutRule), C(events:PutTargets), C(events:RemoveTargets) and C(events:DeleteRule) on the rules;
    C(iam:PassRole) for a target's role; and with O(policy_statements), C(events:DescribeEventBus),
    C(events:PutPermission) and C(events:RemovePermission) on the event bus.
  - The bus policy is written with C(PutPermission) and its C(Policy) parameter (the whole policy, with the owned
    statements and the others kept), after each owned statement that is no longer wanted is removed with
    C(RemovePermission).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Alert on trail tampering in this account, to an SNS topic
  trailguard.cloudtrail.event_rules:
    name_prefix: acme-
    rules:
      - name: acme-cloudtrail-tampering
        description: A trail was stopped, deleted or updated.
        event_pattern:
          source: [aws.cloudtrail]
          detail-type: [AWS API Call via CloudTrail]
          detail:
            eventSource: [cloudtrail.amazonaws.com]
            eventName: [StopLogging, DeleteTrail, UpdateTrail]
        targets:
          - id: alarm-topic
            arn: arn:aws:sns:us-east-1:111111111111:acme-security-alarms

- name: Forward tampering events to the security account's event bus
  trailguard.cloudtrail.event_rules:
    name_prefix: acme-forward-
    rules:
      - name: acme-forward-key-tampering
        event_pattern:
          source: [aws.kms]
          detail-type: [AWS API Call via CloudTrail]
          detail:
            eventName: [DisableKey, ScheduleKeyDeletion]
        targets:
          - id: security-bus
            arn: arn:aws:events:us-east-1:222222222222:event-bus/default
            role_arn: arn:aws:iam::111111111111:role/acme-forward-events

- name: Rules that match events forwarded from the log-archive account, and the bus policy that lets it forward them
  trailguard.cloudtrail.event_rules:
    name_prefix: acme-
    rules:
      - name: acme-log-bucket-tampering
        event_pattern:
          source: [aws.s3]
          account: ["111111111111", "222222222222"]
          detail:
            eventName: [PutBucketPolicy, DeleteBucketPolicy]
            requestParameters:
              bucketName: [acme-cloudtrail]
        targets:
          - id: alarm-topic
            arn: arn:aws:sns:us-east-1:111111111111:acme-security-alarms
    policy_statements:
      - Sid: TrailguardTamperAlertsFromLogArchive
        Effect: Allow
        Principal:
          AWS: arn:aws:iam::222222222222:root
        Action: events:PutEvents
        Resource: arn:aws:events:us-east-1:111111111111:event-bus/default

- name: Keep exactly these rules under the prefix, deleting any other acme-forward-* rule
  trailguard.cloudtrail.event_rules:
    name_prefix: acme-forward-
    rules: "{{ acme_forward_rules }}"
    purge: true
"""

RETURN = r"""
rules:
  description: The rules of O(rules), in their order, after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The rule's name.
      type: str
      sample: acme-cloudtrail-tampering
    arn:
      description: The rule's ARN; null in check mode for a rule that does not exist yet.
      type: str
      sample: arn:aws:events:us-east-1:111111111111:rule/acme-cloudtrail-tampering
    description:
      description: The rule's description.
      type: str
      sample: A trail was stopped, deleted or updated.
    event_pattern:
      description: The event pattern.
      type: dict
      sample: {"source": ["aws.cloudtrail"]}
    state:
      description: V(ENABLED), V(DISABLED) or V(ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS).
      type: str
      sample: ENABLED
    targets:
      description:
        - The rule's targets, sorted by ID, each with the keys C(id) and C(arn), and those of C(role_arn), C(input),
          C(input_path), C(input_transformer), C(dead_letter_arn) and C(retry_policy) that are set.
      type: list
      elements: dict
      sample: [{"id": "alarm-topic", "arn": "arn:aws:sns:us-east-1:111111111111:acme-security-alarms"}]
removed:
  description: The owned rules deleted (in check mode, that would be deleted), sorted.
  returned: always
  type: list
  elements: str
  sample: ["acme-log-bucket-tampering"]
policy:
  description: The event bus's resource policy after the change (in check mode, as it would be); null when it has none.
  returned: when O(policy_statements) is set
  type: dict
  sample: {"Version": "2012-10-17", "Statement": [{"Sid": "TrailguardTamperAlertsFromLogArchive", "Effect": "Allow"}]}
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import AnsibleEventBridgeError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import delete_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import describe_event_bus
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import events_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import list_rules
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import list_targets_by_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import put_event_bus_policy
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import put_rule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import put_targets
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import remove_permission
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.events import remove_targets
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule

# Rule names, target IDs and bus names (EventBridge API Reference, PutRule, PutTargets).
NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
BUS_RE = re.compile(r"^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus/)?[/.\-_A-Za-z0-9]{1,256}$")
MAX_DESCRIPTION_LENGTH = 512
# "Targets per rule: 5", not adjustable (Amazon EventBridge quotas).
MAX_TARGETS = 5
INPUT_OPTIONS = ("input", "input_path", "input_transformer")
# Event bus policy statement IDs (EventBridge API Reference, PutPermission: StatementId).
SID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
POLICY_VERSION = "2012-10-17"
# The key of the bus policy in the diff: a rule name cannot contain a space.
POLICY_DIFF_KEY = "event bus policy"


# ---------------------------------------------------------------- validation (pure)


def parse_json(text):
    """(value, None), or (None, the parse error)."""
    try:
        return json.loads(text), None
    except ValueError as e:
        return None, str(e)


def validate_target(where, target):
    if not NAME_RE.match(target["id"]):
        return f"{where}: id must be 1 to 64 letters, digits, '.', '-' and '_'"
    if not target["arn"].startswith("arn:"):
        return f"{where}: arn must be an ARN, got {target['arn']!r}"
    given = [option for option in INPUT_OPTIONS if target[option] is not None]
    if len(given) > 1:
        return f"{where}: {' and '.join(given)} are mutually exclusive; give at most one"
    if target["input"] is not None and parse_json(target["input"])[1]:
        return f"{where}: input is not valid JSON: {parse_json(target['input'])[1]}"
    return None


def validate_rule(index, rule, prefix):
    """The first problem of `rule` (rules[index]), or None."""
    where = f"rules[{index}] ({rule['name']})"
    if not NAME_RE.match(rule["name"]):
        return f"{where}: name must be 1 to 64 letters, digits, '.', '-' and '_'"
    if not rule["name"].startswith(prefix):
        return f"{where}: name must start with name_prefix ({prefix}), which marks what this module owns"
    if len(rule["description"]) > MAX_DESCRIPTION_LENGTH:
        return f"{where}: description is longer than {MAX_DESCRIPTION_LENGTH} characters"
    pattern, error = parse_json(rule["event_pattern"])
    if error:
        return f"{where}: event_pattern is not valid JSON: {error}"
    if not isinstance(pattern, dict) or not pattern:
        return f"{where}: event_pattern must be a non-empty JSON object"
    if len(rule["targets"]) > MAX_TARGETS:
        return f"{where}: a rule has at most {MAX_TARGETS} targets (EventBridge quota), got {len(rule['targets'])}"
    ids = set()
    for position, target in enumerate(rule["targets"]):
        error = validate_target(f"{where}.targets[{position}]", target)
        if error:
            return error
        if target["id"] in ids:
            return f"{where}.targets[{position}]: the id {target['id']} is in the rule's targets twice"
        ids.add(target["id"])
    return None


def validate_policy_statements(statements, sid_prefix):
    """The first problem of policy_statements, or None."""
    if not SID_RE.match(sid_prefix):
        return "policy_sid_prefix must be 1 to 64 letters, digits, '-' and '_'"
    seen = set()
    for index, item in enumerate(statements or []):
        sid = item.get("Sid")
        where = f"policy_statements[{index}]"
        if not isinstance(sid, str) or not SID_RE.match(sid):
            return f"{where}: Sid must be 1 to 64 letters, digits, '-' and '_', got {sid!r}"
        if not sid.startswith(sid_prefix):
            return f"{where} ({sid}): Sid must start with policy_sid_prefix ({sid_prefix}), which marks what this module owns"
        if sid in seen:
            return f"{where} ({sid}): the Sid is in policy_statements twice"
        seen.add(sid)
        missing = [key for key in ("Effect", "Principal", "Action", "Resource") if key not in item]
        if missing:
            return f"{where} ({sid}): a statement needs {', '.join(missing)}"
    return None


def validate_params(params):
    """The first problem of the options that needs no AWS call, or None."""
    prefix = params["name_prefix"]
    if not NAME_RE.match(prefix):
        return "name_prefix must be 1 to 64 letters, digits, '.', '-' and '_'"
    if not BUS_RE.match(params["event_bus_name"]):
        return f"event_bus_name must be an event bus name or ARN, got {params['event_bus_name']!r}"
    seen = set()
    for index, rule in enumerate(params["rules"]):
        error = validate_rule(index, rule, prefix)
        if error:
            return error
        if rule["name"] in seen:
            return f"rules[{index}] ({rule['name']}): the name is in rules twice"
        seen.add(rule["name"])
    for index, name in enumerate(params["remove"]):
        if not name.startswith(prefix):
            return f"remove[{index}] ({name}): only names that start with name_prefix ({prefix}) can be removed"
        if name in seen:
            return f"remove[{index}] ({name}): the name is also in rules"
    return validate_policy_statements(params["policy_statements"], params["policy_sid_prefix"])


# ---------------------------------------------------------------- wanted and current states (pure)


def wanted_target(target):
    state = {"id": target["id"], "arn": target["arn"]}
    if target["role_arn"]:
        state["role_arn"] = target["role_arn"]
    if target["input"] is not None:
        state["input"] = json.loads(target["input"])
    if target["input_path"]:
        state["input_path"] = target["input_path"]
    if target["input_transformer"]:
        state["input_transformer"] = dict(target["input_transformer"])
    if target["dead_letter_arn"]:
        state["dead_letter_arn"] = target["dead_letter_arn"]
    if target["retry_policy"]:
        state["retry_policy"] = {key: value for key, value in target["retry_policy"].items() if value is not None}
    return state


def current_target(target):
    """A ListTargetsByRule entry in the shape of wanted_target()."""
    state = {"id": target["Id"], "arn": target["Arn"]}
    if target.get("RoleArn"):
        state["role_arn"] = target["RoleArn"]
    if target.get("Input") is not None:
        value, error = parse_json(target["Input"])
        state["input"] = target["Input"] if error else value
    if target.get("InputPath"):
        state["input_path"] = target["InputPath"]
    if target.get("InputTransformer"):
        transformer = target["InputTransformer"]
        state["input_transformer"] = {
            "input_paths_map": transformer.get("InputPathsMap", {}),
            "input_template": transformer.get("InputTemplate"),
        }
    if (target.get("DeadLetterConfig") or {}).get("Arn"):
        state["dead_letter_arn"] = target["DeadLetterConfig"]["Arn"]
    if target.get("RetryPolicy"):
        policy = target["RetryPolicy"]
        state["retry_policy"] = {
            key: policy[field]
            for key, field in (
                ("maximum_retry_attempts", "MaximumRetryAttempts"),
                ("maximum_event_age_in_seconds", "MaximumEventAgeInSeconds"),
            )
            if field in policy
        }
    return state


def wanted_rule(rule):
    return {
        "name": rule["name"],
        "description": rule["description"],
        "event_pattern": json.loads(rule["event_pattern"]),
        "state": rule["state"],
        "targets": sorted((wanted_target(target) for target in rule["targets"]), key=lambda target: target["id"]),
    }


def current_rule(rule, targets):
    """A ListRules entry and its targets in the shape of wanted_rule()."""
    pattern, error = parse_json(rule["EventPattern"]) if rule.get("EventPattern") else (None, None)
    return {
        "name": rule["Name"],
        "description": rule.get("Description", ""),
        "event_pattern": rule["EventPattern"] if error else pattern,
        "state": rule.get("State"),
        "targets": sorted((current_target(target) for target in targets), key=lambda target: target["id"]),
    }


def target_parameters(state):
    """A PutTargets entry for a wanted_target() state."""
    target = {"Id": state["id"], "Arn": state["arn"]}
    if "role_arn" in state:
        target["RoleArn"] = state["role_arn"]
    if "input" in state:
        target["Input"] = json.dumps(state["input"], separators=(",", ":"))
    if "input_path" in state:
        target["InputPath"] = state["input_path"]
    if "input_transformer" in state:
        target["InputTransformer"] = {
            "InputPathsMap": state["input_transformer"]["input_paths_map"],
            "InputTemplate": state["input_transformer"]["input_template"],
        }
    if "dead_letter_arn" in state:
        target["DeadLetterConfig"] = {"Arn": state["dead_letter_arn"]}
    if "retry_policy" in state:
        target["RetryPolicy"] = {
            field: state["retry_policy"][key]
            for key, field in (
                ("maximum_retry_attempts", "MaximumRetryAttempts"),
                ("maximum_event_age_in_seconds", "MaximumEventAgeInSeconds"),
            )
            if key in state["retry_policy"]
        }
    return target


def rule_parameters(state, event_bus_name):
    """PutRule's parameters for a wanted_rule() state."""
    return {
        "Name": state["name"],
        "EventBusName": event_bus_name,
        "Description": state["description"],
        "EventPattern": json.dumps(state["event_pattern"], separators=(",", ":")),
        "State": state["state"],
    }


def settled_targets(current, wanted):
    """The wanted targets as they will be: a retry policy that is not set stays as it is."""
    existing = {target["id"]: target for target in current}
    settled = []
    for target in wanted:
        if "retry_policy" not in target and "retry_policy" in existing.get(target["id"], {}):
            target = dict(target, retry_policy=existing[target["id"]]["retry_policy"])
        settled.append(target)
    return settled


# ---------------------------------------------------------------- changes


def ensure_rule(client, event_bus_name, current, wanted, check_mode):
    """Create or update one rule and its targets; return (changed, new state, its ARN or None)."""
    arn = current.get("arn") if current else None
    new = dict(wanted, targets=settled_targets(current["targets"] if current else [], wanted["targets"]))
    fields = ("description", "event_pattern", "state")
    rule_differs = current is None or any(current[field] != wanted[field] for field in fields)
    existing = {target["id"]: target for target in (current["targets"] if current else [])}
    to_put = [target for target in new["targets"] if existing.get(target["id"]) != target]
    wanted_ids = {target["id"] for target in new["targets"]}
    to_remove = sorted(target_id for target_id in existing if target_id not in wanted_ids)
    if not check_mode:
        if rule_differs:
            arn = put_rule(client, rule_parameters(wanted, event_bus_name))
        # Put before removing, so that a rule is never left without its alert target in between.
        if to_put:
            put_targets(client, event_bus_name, wanted["name"], [target_parameters(target) for target in to_put])
        if to_remove:
            remove_targets(client, event_bus_name, wanted["name"], to_remove)
    return bool(rule_differs or to_put or to_remove), new, arn


def ensure_absent(client, event_bus_name, current, check_mode):
    """Delete a rule, its targets first (AWS refuses to delete a rule that has targets)."""
    if not check_mode:
        if current["targets"]:
            remove_targets(client, event_bus_name, current["name"], [target["id"] for target in current["targets"]])
        delete_rule(client, event_bus_name, current["name"])


def unwanted_names(found, wanted, remove, purge):
    """The existing owned rules to delete; a rule an AWS service manages is never purged."""
    if purge:
        names = {rule["Name"] for rule in found if not rule.get("ManagedBy")} - set(wanted)
    else:
        names = set(remove) & {rule["Name"] for rule in found}
    return sorted(names)


def read_current(client, event_bus_name, found, names):
    """The current state of the listed rules among `found` (one ListTargetsByRule each), with their ARNs."""
    current = {}
    for rule in found:
        if rule["Name"] in names:
            state = current_rule(rule, list_targets_by_rule(client, event_bus_name, rule["Name"]))
            current[rule["Name"]] = dict(state, arn=rule.get("Arn"))
    return current


def without_arn(state):
    return {key: value for key, value in state.items() if key != "arn"}


# ---------------------------------------------------------------- the event bus policy


def policy_statements_of(policy):
    statements = (policy or {}).get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def owned(item, sid_prefix):
    return str(item.get("Sid", "")).startswith(sid_prefix)


def wanted_policy(current, statements, sid_prefix):
    """The policy as it must be: `statements`, then every statement of `current` this module does not own; None
    when that is no statement at all."""
    kept = [item for item in policy_statements_of(current) if not owned(item, sid_prefix)]
    merged = list(statements) + kept
    return {"Version": POLICY_VERSION, "Statement": merged} if merged else None


def policies_differ(current, wanted):
    if current is None or wanted is None:
        return current != wanted
    return compare_policies(current, wanted)


def ensure_bus_policy(client, event_bus_name, current, statements, sid_prefix, check_mode):
    """Make the owned statements of the bus policy `statements`; return (changed, the policy after).

    Owned statements no longer wanted are removed one by one (RemovePermission), then the whole policy is put
    (PutPermission's Policy), so that the result is the same whether PutPermission replaces the policy or merges
    statements by Sid.
    """
    wanted = wanted_policy(current, statements, sid_prefix)
    if not policies_differ(current, wanted):
        return False, current
    wanted_sids = {item["Sid"] for item in statements}
    stale = sorted(
        item["Sid"]
        for item in policy_statements_of(current)
        if owned(item, sid_prefix) and item["Sid"] not in wanted_sids
    )
    if not check_mode:
        for sid in stale:
            remove_permission(client, event_bus_name, sid)
        if statements:
            put_event_bus_policy(client, event_bus_name, json.dumps(wanted, separators=(",", ":")))
    return True, wanted


def read_bus_policy(client, event_bus_name):
    """The bus's policy as a dict, or None: it has none, or (check mode) the bus does not exist."""
    bus = describe_event_bus(client, event_bus_name) or {}
    return json.loads(bus["Policy"]) if bus.get("Policy") else None


def main():
    target_spec = dict(
        id=dict(type="str", required=True),
        arn=dict(type="str", required=True),
        role_arn=dict(type="str"),
        input=dict(type="json"),
        input_path=dict(type="str"),
        input_transformer=dict(
            type="dict",
            options=dict(
                input_paths_map=dict(type="dict", default={}),
                input_template=dict(type="str", required=True),
            ),
        ),
        dead_letter_arn=dict(type="str"),
        retry_policy=dict(
            type="dict",
            options=dict(
                maximum_retry_attempts=dict(type="int"),
                maximum_event_age_in_seconds=dict(type="int"),
            ),
        ),
    )
    rule_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        event_pattern=dict(type="json", required=True),
        state=dict(
            type="str",
            choices=["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"],
            default="ENABLED",
        ),
        targets=dict(type="list", elements="dict", options=target_spec, default=[]),
    )
    argument_spec = dict(
        event_bus_name=dict(type="str", default="default"),
        name_prefix=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", options=rule_spec, default=[]),
        remove=dict(type="list", elements="str", default=[]),
        purge=dict(type="bool", default=False),
        policy_statements=dict(type="list", elements="dict"),
        policy_sid_prefix=dict(type="str", default="Trailguard"),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate_params(params)
    if error:
        module.fail_json(msg=error)

    bus = params["event_bus_name"]
    wanted = {rule["name"]: wanted_rule(rule) for rule in params["rules"]}
    client = module.client("events", retry_decorator=events_retry)
    changed, before, after, rules, policy = False, {}, {}, [], None
    manage_policy = params["policy_statements"] is not None
    try:
        # Every read before any write, so that a missing bus changes nothing.
        found = list_rules(client, bus, params["name_prefix"])
        if found is None and not module.check_mode:
            module.fail_json(msg=f"event_bus_name: the event bus {bus} does not exist in this account and region")
        found = found or []
        removed = unwanted_names(found, wanted, params["remove"], params["purge"])
        current = read_current(client, bus, found, set(wanted) | set(removed))
        current_policy = read_bus_policy(client, bus) if manage_policy else None
        for name, state in wanted.items():
            rule_changed, new, arn = ensure_rule(client, bus, current.get(name), state, module.check_mode)
            rules.append(dict(new, arn=arn))
            if rule_changed:
                changed = True
                if name in current:
                    before[name] = without_arn(current[name])
                after[name] = new
        for name in removed:
            ensure_absent(client, bus, current[name], module.check_mode)
            before[name] = without_arn(current[name])
        if manage_policy:
            policy_changed, policy = ensure_bus_policy(
                client,
                bus,
                current_policy,
                params["policy_statements"],
                params["policy_sid_prefix"],
                module.check_mode,
            )
            if policy_changed:
                changed = True
                before[POLICY_DIFF_KEY] = current_policy
                after[POLICY_DIFF_KEY] = policy
    except AnsibleEventBridgeError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed or bool(removed), rules=rules, removed=removed)
    if manage_policy:
        result["policy"] = policy
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
