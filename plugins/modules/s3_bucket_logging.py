#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_logging
version_added: 1.0.0
short_description: manage S3 server access logging of a bucket without touching ACLs
description:
  - Turns S3 server access logging of a bucket on, changes its target bucket or prefix, or turns it off.
  - Uses only the C(GetBucketLogging) and C(PutBucketLogging) APIs, never an ACL call.
  - This module exists because M(community.aws.s3_logging) always adds a C(LogDelivery) group grant to the target
    bucket's ACL first. S3 rejects ACL changes on a bucket whose Object Ownership is C(BucketOwnerEnforced) (ACLs
    disabled, the default for new buckets and what AWS recommends) with C(AccessControlListNotSupported), so that
    module cannot set up logging to such a bucket.
  - Log delivery must instead be allowed by the target bucket's policy, as AWS recommends - a statement that allows
    the service principal V(logging.s3.amazonaws.com) C(s3:PutObject) on the target prefix, limited with
    C(aws:SourceArn) (the source bucket) and C(aws:SourceAccount). The access-log bucket of the
    P(trailguard.cloudtrail.audit_bucket#role) role already has that statement. Without it S3 refuses the
    configuration (C(InvalidTargetBucketForLogging)).
  - The target bucket must be in the same account and region as the source bucket.
author:
  - Trailguard maintainers (@trailguard)
options:
  bucket:
    description:
      - The name of the bucket whose requests are logged. It must exist.
    type: str
    required: true
    aliases: ["name"]
  state:
    description:
      - V(present) turns logging on, to O(target_bucket) under O(target_prefix).
      - V(absent) turns logging off; O(target_bucket) and O(target_prefix) are then ignored. A bucket that does
        not exist has no logging, so nothing is changed.
    type: str
    choices: ["present", "absent"]
    default: present
  target_bucket:
    description:
      - The bucket that receives the log objects. Required with O(state=present).
      - It must exist when a change is needed; the module checks that with C(GetBucketLogging) on it, also in
        check mode. Its policy must allow V(logging.s3.amazonaws.com) to put objects under O(target_prefix).
    type: str
  target_prefix:
    description:
      - The key prefix of the log objects in O(target_bucket), for example V(my-bucket/). Empty puts them at the top
        of the bucket.
    type: str
    default: ""
notes:
  - The key format of the log objects (C(TargetObjectKeyFormat), simple or date-partitioned) is not managed; one
    set by other means is kept when the target changes. Target grants (C(TargetGrants)) are ACL grants and are
    removed whenever the module puts the configuration.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log requests to the CloudTrail bucket in its access-log bucket
  trailguard.cloudtrail.s3_bucket_logging:
    bucket: acme-cloudtrail
    target_bucket: acme-cloudtrail-access-logs
    target_prefix: acme-cloudtrail/

- name: Allow log delivery in the access-log bucket's policy (ACLs stay disabled)
  amazon.aws.s3_bucket:
    name: acme-cloudtrail-access-logs
    object_ownership: BucketOwnerEnforced
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: S3ServerAccessLogs
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

- name: Turn server access logging off
  trailguard.cloudtrail.s3_bucket_logging:
    bucket: acme-cloudtrail
    state: absent
"""

RETURN = r"""
logging_enabled:
  description:
    - The bucket's server access logging configuration (S3's C(LoggingEnabled), in snake_case).
    - An empty dict when logging is off, or with O(state=absent) when the bucket does not exist.
    - In check mode, the configuration the change would produce.
  returned: always
  type: dict
  sample: {"target_bucket": "acme-cloudtrail-access-logs", "target_prefix": "acme-cloudtrail/"}
  contains:
    target_bucket:
      description: The bucket that receives the log objects.
      returned: when logging is on
      type: str
      sample: acme-cloudtrail-access-logs
    target_prefix:
      description: The key prefix of the log objects.
      returned: when logging is on
      type: str
      sample: acme-cloudtrail/
    target_object_key_format:
      description: The key format of the log objects, when one is set (it is not managed by this module).
      returned: when set
      type: dict
      sample: {"partitioned_prefix": {"partition_date_source": "EventTime"}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import desired_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import get_bucket_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import normalize_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import put_bucket_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_bucket_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error


def missing_bucket_error(name, bucket):
    return f"{name}: bucket {bucket!r} does not exist; create it before setting up server access logging"


def ensure_present(client, bucket, current, target_bucket, target_prefix, check_mode):
    """Log `bucket` to `target_bucket` under `target_prefix`; return (changed, LoggingEnabled).

    `current` is the bucket's LoggingEnabled ({} when off), or None when the bucket does not exist.
    """
    if current is None:
        raise AnsibleS3Error(message=missing_bucket_error("bucket", bucket))
    desired = desired_logging(current, target_bucket, target_prefix)
    if current == desired:
        return False, current
    # A read of the target is the clearest way to name a missing target, even in check mode.
    if get_bucket_logging(client, target_bucket) is None:
        raise AnsibleS3Error(message=missing_bucket_error("target_bucket", target_bucket))
    if not check_mode:
        put_bucket_logging(client, bucket, desired)
    return True, desired


def ensure_absent(client, bucket, current, check_mode):
    """Turn logging of `bucket` off; return (changed, LoggingEnabled)."""
    if not current:
        return False, {}
    if not check_mode:
        put_bucket_logging(client, bucket, {})
    return True, {}


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True, aliases=["name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        target_bucket=dict(type="str"),
        target_prefix=dict(type="str", default="", no_log=False),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["target_bucket"])],
        supports_check_mode=True,
    )

    bucket = module.params["bucket"]
    state = module.params["state"]
    target_bucket = module.params["target_bucket"]
    target_prefix = module.params["target_prefix"]

    error = first_error(
        check_bucket_name(bucket, "bucket"),
        check_bucket_name(target_bucket, "target_bucket") if state == "present" else None,
    )
    if error:
        module.fail_json(msg=error)

    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    try:
        current = get_bucket_logging(client, bucket)
        if state == "present":
            changed, after = ensure_present(client, bucket, current, target_bucket, target_prefix, module.check_mode)
        else:
            changed, after = ensure_absent(client, bucket, current, module.check_mode)
    except AnsibleS3Error as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, logging_enabled=normalize_logging(after))
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {
            "before": {"logging_enabled": normalize_logging(current)},
            "after": {"logging_enabled": result["logging_enabled"]},
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
