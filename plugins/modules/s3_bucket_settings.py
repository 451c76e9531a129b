#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_settings
version_added: 1.0.0
short_description: create a set of S3 buckets and manage their settings, with check mode and diff
description:
  - Creates each bucket of O(buckets) that does not exist, in the region the module runs in, and sets the settings
    given for it - Object Lock, versioning, the public access block, object ownership, default encryption, lifecycle
    rules, server access logging, tags and the bucket policy. One task does the whole set.
  - B(Every read comes before any write.) Each bucket's settings are read once (a setting that is not given is
    neither read nor changed), and every check - a bucket owned by another account, Object Lock asked of a bucket
    created without it, a default-encryption key that S3 could not use, a log target in another region - fails
    before anything is changed, in any bucket.
  - Then the buckets are changed in the order of O(buckets), writing only the settings that differ. In each bucket
    the policy is written last, so that a policy which denies later changes (such as lifecycle changes without MFA)
    does not stop the run that first sets it.
  - B(Nothing is deleted.) A bucket is never deleted or emptied; the lifecycle rules and policy statements that
    other tools own are kept (see O(buckets[].lifecycle_rule_id_prefix) and O(buckets[].policy_sid_prefix)).
  - This module exists because M(amazon.aws.s3_bucket) and M(community.aws.s3_lifecycle) have no check mode, the
    latter keeps the old copy of a rule whose filter changed, and neither can replace a set of rules or policy
    statements while keeping everyone else's.
author:
  - Trailguard maintainers (@trailguard)
options:
  buckets:
    description:
      - The buckets, in the order they are changed. A bucket that another bucket logs to must come before it.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The bucket's name, unique in O(buckets). A bucket that does not exist is created in the region the module
            runs in (V(us-east-1) takes no location constraint).
        type: str
        required: true
      object_lock_enabled:
        description:
          - V(true) creates a new bucket with Object Lock, and requires an existing one to have it. S3 can turn Object
            Lock on only when a bucket is created, so an existing bucket without it is an error, and the module never
            recreates a bucket.
          - V(false) does not turn Object Lock on. A bucket that has it keeps it; S3 cannot turn it off.
        type: bool
        default: false
      object_lock_default_retention:
        description:
          - The default retention of new object versions. Requires O(buckets[].object_lock_enabled=true).
          - Not set leaves the default retention as it is.
        type: dict
        suboptions:
          mode:
            description: V(GOVERNANCE) (users with a permission can shorten it) or V(COMPLIANCE) (no one can).
            type: str
            choices: ["GOVERNANCE", "COMPLIANCE"]
            required: true
          days:
            description: The retention, in days.
            type: int
            required: true
      versioning:
        description:
          - V(true) enables versioning, V(false) suspends it where it is enabled. Not set leaves it as it is.
        type: bool
      public_access_block:
        description:
          - The bucket's whole public access block; a flag not given is V(false). Not set leaves it as it is.
        type: dict
        suboptions:
          block_public_acls:
            description: Reject requests that add a public ACL.
            type: bool
            default: false
          ignore_public_acls:
            description: Ignore public ACLs.
            type: bool
            default: false
          block_public_policy:
            description: Reject a bucket policy that grants public access.
            type: bool
            default: false
          restrict_public_buckets:
            description: Only AWS services and the bucket owner's account may use a bucket whose policy is public.
            type: bool
            default: false
      object_ownership:
        description:
          - The bucket's object ownership. V(BucketOwnerEnforced) disables ACLs. Not set leaves it as it is.
        type: str
        choices: ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
      encryption:
        description:
          - The bucket's default encryption. Not set leaves it as it is.
        type: dict
        suboptions:
          sse_algorithm:
            description: V(AES256) (SSE-S3), V(aws:kms) (SSE-KMS) or V(aws:kms:dsse) (DSSE-KMS).
            type: str
            choices: ["AES256", "aws:kms", "aws:kms:dsse"]
            required: true
          kms_key_id:
            description:
              - The KMS key of V(aws:kms) and V(aws:kms:dsse); S3's own key for the service when not set.
              - S3 does not check the key when default encryption is set, and every later upload would fail with a
                key it cannot use. So a key given by its ARN must be in the bucket's region, and the module reads it
                (C(DescribeKey)) and refuses one that is not enabled or not found (in check mode, a key that is not
                found may be one an earlier task would create, so it is not refused). A key of another account whose
                policy does not let this account describe it is not checked.
            type: str
          bucket_key_enabled:
            description: Use an S3 Bucket Key, which cuts the KMS requests (and their cost) of SSE-KMS.
            type: bool
            default: false
      lifecycle_rules:
        description:
          - The lifecycle rules this module owns on the bucket, in the shape of the C(Rules) of S3's
            C(PutBucketLifecycleConfiguration) (C(ID), C(Status), C(Filter), C(Expiration), C(Transitions) ...).
          - Every rule's C(ID) must start with O(buckets[].lifecycle_rule_id_prefix). The bucket's rules whose IDs
            start with it are replaced by these as a set (an owned rule not listed is removed); every other rule is
            kept as it is, and so is the configuration's default minimum object size for transitions.
          - Compared with the rules S3 returns, an empty prefix and an absent one being the same. Not set leaves the
            lifecycle configuration as it is.
        type: list
        elements: dict
      lifecycle_rule_id_prefix:
        description:
          - The start of the ID of every lifecycle rule this module owns. Required with O(buckets[].lifecycle_rules).
        type: str
      logging:
        description:
          - Server access logging of the bucket, set with C(PutBucketLogging) only, never an ACL call (see
            M(trailguard.cloudtrail.s3_bucket_logging)). The target bucket's policy must let
            V(logging.s3.amazonaws.com) put objects. Not set leaves logging as it is.
        type: dict
        suboptions:
          target_bucket:
            description:
              - The bucket that receives the log objects, in the same region. It must exist, or come earlier in
                O(buckets).
            type: str
            required: true
          target_prefix:
            description: The key prefix of the log objects in the target bucket.
            type: str
            default: ""
      tags:
        description:
          - The bucket's tags. Not set leaves them as they are.
        type: dict
      purge_tags:
        description:
          - Remove the tags that are not in O(buckets[].tags). Only with O(buckets[].tags).
        type: bool
        default: true
      policy:
        description:
          - The bucket policy, as a JSON string or a dictionary. Not set leaves the policy as it is.
          - With O(buckets[].policy_sid_prefix), these are the statements this module owns; see there.
          - Compared with the current policy as a policy (statement order, and one value against a list of one, do
            not count as changes).
        type: json
      policy_sid_prefix:
        description:
          - The start of the C(Sid) of every statement this module owns. Every statement of O(buckets[].policy) must
            have a C(Sid) that starts with it. The bucket's statements whose C(Sid) starts with it are replaced by
            those of O(buckets[].policy) as a set; every other statement is kept as it is.
          - Not set, O(buckets[].policy) replaces the whole policy.
        type: str
notes:
  - In check mode a bucket that does not exist yet has nothing set, so every setting given for it is reported as
    changed, and a log target that the same task would create is taken as existing.
  - Permissions - C(s3:CreateBucket), C(s3:ListBucket), and the C(Get*) and C(Put*) S3 actions of the settings given
    (C(s3:GetBucketLocation) always; C(s3:GetBucketObjectLockConfiguration), C(s3:GetBucketVersioning),
    C(s3:GetBucketPublicAccessBlock), C(s3:GetBucketOwnershipControls), C(s3:GetEncryptionConfiguration),
    C(s3:GetLifecycleConfiguration), C(s3:GetBucketLogging), C(s3:GetBucketTagging), C(s3:GetBucketPolicy) and
    their C(Put*)); C(kms:DescribeKey) on a default-encryption key.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A log bucket with Object Lock, and the bucket that receives its server access logs
  trailguard.cloudtrail.s3_bucket_settings:
    buckets:
      - name: acme-cloudtrail-access-logs
        versioning: true
        public_access_block: &all_blocked
          block_public_acls: true
          ignore_public_acls: true
          block_public_policy: true
          restrict_public_buckets: true
        object_ownership: BucketOwnerEnforced
        # S3 server access logging cannot deliver to a bucket encrypted with SSE-KMS by default.
        encryption:
          sse_algorithm: AES256
        lifecycle_rule_id_prefix: acme-
        lifecycle_rules:
          - ID: acme-access-log-retention
            Status: Enabled
            Filter:
              Prefix: ""
            Expiration:
              Days: 365
        policy_sid_prefix: Acme
        policy:
          Version: "2012-10-17"
          Statement:
            - Sid: AcmeS3ServerAccessLogs
              Effect: Allow
              Principal:
                Service: logging.s3.amazonaws.com
              Action: s3:PutObject
              Resource: arn:aws:s3:::acme-cloudtrail-access-logs/acme-cloudtrail/*
              Condition:
                ArnLike:
                  aws:SourceArn: arn:aws:s3:::acme-cloudtrail
                StringEquals:
                  aws:SourceAccount: "222222222222"
      - name: acme-cloudtrail
        object_lock_enabled: true
        object_lock_default_retention:
          mode: GOVERNANCE
          days: 90
        versioning: true
        public_access_block: *all_blocked
        object_ownership: BucketOwnerEnforced
        encryption:
          sse_algorithm: aws:kms
          kms_key_id: arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
          bucket_key_enabled: true
        logging:
          target_bucket: acme-cloudtrail-access-logs
          target_prefix: acme-cloudtrail/
        tags:
          Project: audit

- name: Only the lifecycle rules named acme-*, keeping every other rule of the bucket
  trailguard.cloudtrail.s3_bucket_settings:
    buckets:
      - name: acme-cloudtrail
        lifecycle_rule_id_prefix: acme-
        lifecycle_rules:
          - ID: acme-retention
            Status: Enabled
            Filter:
              Prefix: ""
            Expiration:
              Days: 180
"""

RETURN = r"""
buckets:
  description: Each bucket of O(buckets), in order, after the change (in check mode, as it would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The bucket's name.
      type: str
      sample: acme-cloudtrail
    region:
      description: The bucket's region (for a bucket created, or in check mode to be created, the module's region).
      type: str
      sample: us-east-1
    created:
      description: Whether the bucket was created by this run (in check mode, would be).
      type: bool
      sample: false
    changed:
      description: The settings that changed (in check mode, would change), in the order they are written.
      type: list
      elements: str
      sample: ["lifecycle_rules", "policy"]
"""

import json

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import s3
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import AnsibleKMSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.kms import describe_encryption_key
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_bucket_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import parse_arn

# The settings in the order they are written; the policy last (see the description).
SETTINGS = (
    "object_lock_default_retention",
    "object_ownership",
    "public_access_block",
    "encryption",
    "versioning",
    "lifecycle_rules",
    "logging",
    "tags",
    "policy",
)
# S3 accepts at most 1,000 lifecycle rules (S3 User Guide, "Setting lifecycle configuration on a bucket").
MAX_LIFECYCLE_RULES = 1000


# ---------------------------------------------------------------- validation (pure)


def validate_bucket(index, bucket, names):
    """The first problem of buckets[index] that needs no AWS call, or None."""
    where = f"buckets[{index}] ({bucket['name']})"
    error = check_bucket_name(bucket["name"], f"buckets[{index}].name")
    if error:
        return error
    if names.count(bucket["name"]) > 1:
        return f"{where}: the bucket is listed more than once"
    if bucket["object_lock_default_retention"] and not bucket["object_lock_enabled"]:
        return f"{where}: object_lock_default_retention needs object_lock_enabled=true"
    retention = bucket["object_lock_default_retention"]
    if retention and retention["days"] < 1:
        return f"{where}: object_lock_default_retention.days must be 1 or more, got {retention['days']}"
    encryption = bucket["encryption"]
    if encryption and encryption["kms_key_id"] and encryption["sse_algorithm"] == "AES256":
        return f"{where}: encryption.kms_key_id is only valid with sse_algorithm aws:kms or aws:kms:dsse"
    if bucket["lifecycle_rules"] is not None:
        error = validate_lifecycle_rules(where, bucket["lifecycle_rules"], bucket["lifecycle_rule_id_prefix"])
        if error:
            return error
    if bucket["policy"] is not None:
        error = validate_policy(where, bucket["policy"], bucket["policy_sid_prefix"])
        if error:
            return error
    return None


def validate_lifecycle_rules(where, rules, prefix):
    if not prefix:
        return (
            f"{where}: lifecycle_rule_id_prefix is required with lifecycle_rules; it marks the rules this module owns"
        )
    if len(rules) > MAX_LIFECYCLE_RULES:
        return f"{where}: lifecycle_rules has {len(rules)} rules; S3 allows at most {MAX_LIFECYCLE_RULES}"
    ids = [str(rule.get("ID", "")) for rule in rules]
    for number, (rule, rule_id) in enumerate(zip(rules, ids)):
        if not rule_id.startswith(prefix):
            return (
                f"{where}: lifecycle_rules[{number}] has ID {rule_id!r}; every rule's ID must start with "
                f"lifecycle_rule_id_prefix ({prefix}), which marks the rules this module owns"
            )
        if ids.count(rule_id) > 1:
            return f"{where}: lifecycle_rules[{number}]: the ID {rule_id} is used more than once"
        if rule.get("Status") not in ("Enabled", "Disabled"):
            return f"{where}: lifecycle_rules[{number}] ({rule_id}): Status must be Enabled or Disabled"
    return None


def validate_policy(where, policy, sid_prefix):
    document = json.loads(policy)
    if not isinstance(document, dict) or "Statement" not in document:
        return f"{where}: policy must be a policy document, an object with a Statement"
    if sid_prefix is not None:
        unowned = [str(statement.get("Sid", "")) for statement in s3.statements_of(document)]
        unowned = [sid for sid in unowned if not sid.startswith(sid_prefix)]
        if unowned or not sid_prefix:
            # A statement outside the prefix would be kept as someone else's by the next run, and added again.
            return (
                f"{where}: every statement of policy needs a Sid that starts with policy_sid_prefix "
                f"({sid_prefix!r}), which marks the statements this module owns; these do not: {unowned}"
            )
    return None


# ---------------------------------------------------------------- desired state (pure)


def wanted_lock_configuration(retention):
    return {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": retention["mode"], "Days": retention["days"]}},
    }


def wanted_encryption_rule(encryption):
    default = {"SSEAlgorithm": encryption["sse_algorithm"]}
    if encryption["kms_key_id"]:
        default["KMSMasterKeyID"] = encryption["kms_key_id"]
    return {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": encryption["bucket_key_enabled"]}


def current_encryption_rule(rule):
    """A default-encryption rule as wanted_encryption_rule() builds it ({} when none is set)."""
    if not rule:
        return {}
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    shown = {"SSEAlgorithm": default.get("SSEAlgorithm")}
    if default.get("KMSMasterKeyID"):
        shown["KMSMasterKeyID"] = default["KMSMasterKeyID"]
    return {"ApplyServerSideEncryptionByDefault": shown, "BucketKeyEnabled": rule.get("BucketKeyEnabled", False)}


def wanted_public_access_block(flags):
    return snake_dict_to_camel_dict(flags, capitalize_first=True)


def current_public_access_block(configuration):
    """All four flags, false where S3 leaves one out."""
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return {name: bool((configuration or {}).get(name, False)) for name in names}


def wanted_lifecycle_rules(current_rules, ours, prefix):
    """Ours, then every current rule outside the prefix, in S3's order."""
    kept = [rule for rule in current_rules if not str(rule.get("ID", "")).startswith(prefix)]
    return list(ours) + kept


def owned_rules(rules, prefix):
    """{ID: normalized rule} of the rules whose ID starts with `prefix`."""
    return {
        rule["ID"]: s3.normalize_lifecycle_rule(rule) for rule in rules if str(rule.get("ID", "")).startswith(prefix)
    }


def wanted_tags(current, tags, purge):
    return dict(tags) if purge else dict(current, **tags)


def wanted_policy(current, policy, sid_prefix):
    ours = json.loads(policy)
    return s3.merge_owned_statements(current, ours, sid_prefix) if sid_prefix is not None else ours


# ---------------------------------------------------------------- reads


def read_bucket(client, bucket):
    """The bucket's current settings, those given only; None when it does not exist."""
    name = bucket["name"]
    region = s3.get_bucket_region(client, name)
    if region is None:
        return None
    current = {"region": region, "object_lock": s3.get_object_lock_configuration(client, name)}
    if bucket["versioning"] is not None:
        current["versioning"] = s3.get_bucket_versioning(client, name).get("Status", "")
    if bucket["public_access_block"] is not None:
        current["public_access_block"] = current_public_access_block(s3.get_public_access_block(client, name))
    if bucket["object_ownership"] is not None:
        current["object_ownership"] = s3.get_bucket_ownership(client, name)
    if bucket["encryption"] is not None:
        current["encryption"] = current_encryption_rule(s3.get_bucket_encryption(client, name))
    if bucket["lifecycle_rules"] is not None:
        current["lifecycle"] = s3.get_bucket_lifecycle(client, name)
    if bucket["logging"] is not None:
        current["logging"] = s3.get_bucket_logging(client, name)
    if bucket["tags"] is not None:
        current["tags"] = s3.get_bucket_tags(client, name)
    if bucket["policy"] is not None:
        current["policy"] = s3.get_bucket_policy(client, name)
    return current


def empty_bucket(region):
    """What check mode takes a bucket still to be created to have: nothing set."""
    return {
        "region": region,
        "object_lock": {},
        "versioning": "",
        "public_access_block": current_public_access_block({}),
        "object_ownership": "",
        "encryption": {},
        "lifecycle": {"Rules": []},
        "logging": {},
        "tags": {},
        "policy": {},
    }


# ---------------------------------------------------------------- checks before any write


def check_bucket(where, bucket, current, region, kms, check_mode=False):
    """The first reason not to change the bucket, or None. `current` is None for a bucket still to be created."""
    if (
        current is not None
        and bucket["object_lock_enabled"]
        and current["object_lock"].get("ObjectLockEnabled") != "Enabled"
    ):
        return (
            f"{where}: object_lock_enabled is true, but the bucket already exists without Object Lock. S3 can turn "
            "Object Lock on only when a bucket is created, and this module never deletes or recreates a bucket"
        )
    encryption = bucket["encryption"]
    if encryption and encryption["kms_key_id"]:
        bucket_region = current["region"] if current else region
        key_id = encryption["kms_key_id"]
        arn = parse_arn(key_id)
        if arn and arn["region"] != bucket_region:
            return (
                f"{where}: encryption.kms_key_id ({key_id}) is in region {arn['region']}, but the bucket is in region "
                f"{bucket_region}: S3 default encryption can only use a key in the bucket's region"
            )
        key = describe_encryption_key(kms, key_id)
        # In check mode the key may be one that the run would create first (its task ran in check mode too).
        if key is None and not check_mode:
            return f"{where}: encryption.kms_key_id ({key_id}): no such KMS key was found in region {bucket_region}"
        if key and key.get("KeyState") != "Enabled":
            return f"{where}: encryption.kms_key_id ({key_id}): the key is {key.get('KeyState')}, not Enabled"
    return None


def check_logging_target(where, bucket, current, region, regions):
    """The log target must exist (or be created by this task) in the bucket's region. `regions`: bucket -> region."""
    target = bucket["logging"]["target_bucket"]
    bucket_region = current["region"] if current else region
    target_region = regions.get(target)
    if target_region is None:
        return f"{where}: logging.target_bucket: the bucket {target} does not exist; create it first (or list it first)"
    if target_region != bucket_region:
        return (
            f"{where}: logging.target_bucket: the bucket {target} is in region {target_region}, but the bucket is in "
            f"region {bucket_region}: S3 delivers server access logs only to a bucket in the same region"
        )
    return None


# ---------------------------------------------------------------- changes


def plan_bucket(bucket, current):
    """[(setting, before, after)] of the settings that differ, in SETTINGS order; `current` as read_bucket()."""
    changes = []
    retention = bucket["object_lock_default_retention"]
    if retention:
        wanted = wanted_lock_configuration(retention)
        if current["object_lock"].get("Rule") != wanted["Rule"]:
            changes.append(("object_lock_default_retention", current["object_lock"].get("Rule", {}), wanted["Rule"]))
    if bucket["object_ownership"] is not None and current["object_ownership"] != bucket["object_ownership"]:
        changes.append(("object_ownership", current["object_ownership"], bucket["object_ownership"]))
    if bucket["public_access_block"] is not None:
        wanted = wanted_public_access_block(bucket["public_access_block"])
        if current["public_access_block"] != wanted:
            changes.append(("public_access_block", current["public_access_block"], wanted))
    if bucket["encryption"] is not None:
        wanted = wanted_encryption_rule(bucket["encryption"])
        if current["encryption"] != wanted:
            changes.append(("encryption", current["encryption"], wanted))
    if bucket["versioning"] is not None:
        wanted = "Enabled" if bucket["versioning"] else "Suspended"
        # A bucket whose versioning was never turned on needs no suspending.
        if current["versioning"] != wanted and (bucket["versioning"] or current["versioning"] == "Enabled"):
            changes.append(("versioning", current["versioning"], wanted))
    if bucket["lifecycle_rules"] is not None:
        prefix = bucket["lifecycle_rule_id_prefix"]
        before = owned_rules(current["lifecycle"]["Rules"], prefix)
        after = owned_rules(bucket["lifecycle_rules"], prefix)
        if before != after:
            changes.append(("lifecycle_rules", before, after))
    if bucket["logging"] is not None:
        wanted = s3.desired_logging(
            current["logging"], bucket["logging"]["target_bucket"], bucket["logging"]["target_prefix"]
        )
        if current["logging"] != wanted:
            changes.append(("logging", current["logging"], wanted))
    if bucket["tags"] is not None:
        wanted = wanted_tags(current["tags"], bucket["tags"], bucket["purge_tags"])
        if current["tags"] != wanted:
            changes.append(("tags", current["tags"], wanted))
    if bucket["policy"] is not None:
        wanted = wanted_policy(current["policy"], bucket["policy"], bucket["policy_sid_prefix"])
        if not current["policy"] or compare_policies(current["policy"], wanted):
            changes.append(("policy", current["policy"], wanted))
    return changes


def write_setting(client, bucket, current, setting, after):
    """Put one setting that plan_bucket() found different."""
    name = bucket["name"]
    if setting == "object_lock_default_retention":
        s3.put_object_lock_configuration(client, name, {"ObjectLockEnabled": "Enabled", "Rule": after})
    elif setting == "object_ownership":
        s3.put_bucket_ownership(client, name, after)
    elif setting == "public_access_block":
        s3.put_public_access_block(client, name, after)
    elif setting == "encryption":
        s3.put_bucket_encryption(client, name, after)
    elif setting == "versioning":
        s3.put_bucket_versioning(client, name, after)
    elif setting == "lifecycle_rules":
        lifecycle = current["lifecycle"]
        rules = wanted_lifecycle_rules(
            lifecycle["Rules"], bucket["lifecycle_rules"], bucket["lifecycle_rule_id_prefix"]
        )
        if rules:
            s3.put_bucket_lifecycle(client, name, rules, lifecycle.get("TransitionDefaultMinimumObjectSize"))
        else:
            s3.delete_bucket_lifecycle(client, name)
    elif setting == "logging":
        s3.put_bucket_logging(client, name, after)
    elif setting == "tags":
        s3.put_bucket_tags(client, name, after)
    elif setting == "policy":
        s3.put_bucket_policy(client, name, after)


def ensure_bucket(client, bucket, current, region, check_mode):
    """Create the bucket if `current` is None, then write what differs; return (created, changes)."""
    created = current is None
    if created:
        current = empty_bucket(region)
        if not check_mode:
            s3.create_bucket(client, bucket["name"], region, bucket["object_lock_enabled"])
            if bucket["object_lock_enabled"]:
                # Made with Object Lock, which S3 turns versioning on for.
                current["object_lock"] = {"ObjectLockEnabled": "Enabled"}
    changes = plan_bucket(bucket, current)
    if not check_mode:
        for setting, _before, after in changes:
            write_setting(client, bucket, current, setting, after)
    return created, changes


def diff_of(results):
    """Before and after of the settings that change, per bucket; nothing for a bucket that does not change."""
    before, after = {}, {}
    for name, created, changes in results:
        if not created and not changes:
            continue
        before[name] = {setting: old for setting, old, _new in changes}
        after[name] = {setting: new for setting, _old, new in changes}
        if created:
            before[name]["bucket"], after[name]["bucket"] = "absent", "present"
    return {"before": before, "after": after}


def main():
    retention_spec = dict(
        mode=dict(type="str", choices=["GOVERNANCE", "COMPLIANCE"], required=True),
        days=dict(type="int", required=True),
    )
    public_access_spec = dict(
        block_public_acls=dict(type="bool", default=False),
        ignore_public_acls=dict(type="bool", default=False),
        block_public_policy=dict(type="bool", default=False),
        restrict_public_buckets=dict(type="bool", default=False),
    )
    encryption_spec = dict(
        sse_algorithm=dict(type="str", choices=["AES256", "aws:kms", "aws:kms:dsse"], required=True),
        kms_key_id=dict(type="str"),
        bucket_key_enabled=dict(type="bool", default=False),
    )
    logging_spec = dict(
        target_bucket=dict(type="str", required=True),
        target_prefix=dict(type="str", default="", no_log=False),
    )
    bucket_spec = dict(
        name=dict(type="str", required=True),
        object_lock_enabled=dict(type="bool", default=False),
        object_lock_default_retention=dict(type="dict", options=retention_spec),
        versioning=dict(type="bool"),
        public_access_block=dict(type="dict", options=public_access_spec),
        object_ownership=dict(type="str", choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]),
        encryption=dict(type="dict", options=encryption_spec),
        lifecycle_rules=dict(type="list", elements="dict"),
        lifecycle_rule_id_prefix=dict(type="str"),
        logging=dict(type="dict", options=logging_spec),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        policy=dict(type="json"),
        policy_sid_prefix=dict(type="str"),
    )
    argument_spec = dict(buckets=dict(type="list", elements="dict", options=bucket_spec, required=True))
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    buckets = module.params["buckets"]
    names = [bucket["name"] for bucket in buckets]
    for index, bucket in enumerate(buckets):
        error = validate_bucket(index, bucket, names)
        if error:
            module.fail_json(msg=error)

    region = module.region
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    try:
        # Every read and every check before any write, in any bucket.
        currents = [read_bucket(client, bucket) for bucket in buckets]
        regions = {name: current["region"] if current else region for name, current in zip(names, currents)}
        kms = None
        for index, (bucket, current) in enumerate(zip(buckets, currents)):
            where = f"buckets[{index}] ({bucket['name']})"
            if bucket["encryption"] and bucket["encryption"]["kms_key_id"] and kms is None:
                kms = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
            error = check_bucket(where, bucket, current, region, kms, module.check_mode)
            if not error and bucket["logging"] is not None:
                target = bucket["logging"]["target_bucket"]
                if target not in regions:
                    regions[target] = s3.get_bucket_region(client, target)
                error = check_logging_target(where, bucket, current, region, regions)
            if error:
                module.fail_json(msg=error)
        results = []
        for bucket, current in zip(buckets, currents):
            created, changes = ensure_bucket(client, bucket, current, region, module.check_mode)
            results.append((bucket["name"], created, changes))
    except (s3.AnsibleS3Error, AnsibleKMSError) as e:
        module.fail_json_aws_error(e)

    result = dict(
        changed=any(created or changes for _name, created, changes in results),
        buckets=[
            dict(name=name, region=regions[name], created=created, changed=[setting for setting, _old, _new in changes])
            for name, created, changes in results
        ],
    )
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff_of(results)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
