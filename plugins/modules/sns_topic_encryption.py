#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: sns_topic_encryption
version_added: 1.0.0
short_description: encrypt an SNS topic with a KMS key
description:
  - Sets or removes the KMS key that encrypts an existing Amazon SNS topic at rest (the topic's C(KmsMasterKeyId)
    attribute, server-side encryption).
  - M(community.aws.sns_topic) creates the topic, its policy and subscriptions but cannot set this attribute; run it
    first, then this module.
  - The key's policy must let every service that publishes to the topic use the key (for example CloudWatch and
    EventBridge, see the P(trailguard.cloudtrail.alarm_topic_key_policy#filter) filter), or their messages are lost.
author:
  - Trailguard maintainers (@trailguard)
options:
  name:
    description:
      - The topic's name or ARN. A name is looked up among the topics of the account and region the module runs in.
    type: str
    required: true
    aliases: ["topic_arn"]
  kms_master_key_id:
    description:
      - The KMS key that encrypts the topic - a key ID, key ARN, alias name (V(alias/...)) or alias ARN - kept exactly
        as given.
      - Required when O(state=present).
    type: str
  state:
    description:
      - V(present) encrypts the topic with O(kms_master_key_id); V(absent) removes the topic's encryption.
    type: str
    choices: ["present", "absent"]
    default: present
notes:
  - In check mode a topic that does not exist yet (because the task that creates it ran in check mode too) is
    reported as changed, and nothing is read or written. Outside check mode a missing topic is an error.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the alarm topic
  community.aws.sns_topic:
    name: security-alarms
  register: topic

- name: Encrypt it with a customer-managed key
  trailguard.cloudtrail.sns_topic_encryption:
    name: "{{ topic.sns_arn }}"
    kms_master_key_id: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Encrypt a topic, found by name, with the AWS managed key for SNS
  trailguard.cloudtrail.sns_topic_encryption:
    name: security-alarms
    kms_master_key_id: alias/aws/sns

- name: Remove the topic's encryption
  trailguard.cloudtrail.sns_topic_encryption:
    name: security-alarms
    state: absent
"""

RETURN = r"""
topic:
  description: The topic's encryption, after the change (in check mode, the state the change would produce).
  returned: always
  type: dict
  contains:
    topic_arn:
      description: The topic's ARN; null in check mode when the topic does not exist yet and O(name) is not an ARN.
      type: str
      sample: arn:aws:sns:us-east-1:111111111111:security-alarms
    kms_master_key_id:
      description: The key that encrypts the topic, as it was set; an empty string when the topic is not encrypted.
      type: str
      sample: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sns import AnsibleSNSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sns import find_topic_arn
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sns import get_topic_attributes
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sns import set_topic_attribute

KMS_KEY_ATTRIBUTE = "KmsMasterKeyId"


def describe(client, topic_arn):
    """The topic's encryption as the module returns it."""
    attributes = get_topic_attributes(client, topic_arn) or {}
    return {"topic_arn": topic_arn, "kms_master_key_id": attributes.get(KMS_KEY_ATTRIBUTE, "")}


def ensure_key(client, current, key_id, check_mode):
    """Set the topic's key to `key_id` ("" removes the encryption); return (changed, new_state)."""
    if current["kms_master_key_id"] == key_id:
        return False, current
    if not check_mode:
        set_topic_attribute(client, current["topic_arn"], KMS_KEY_ATTRIBUTE, key_id)
    return True, dict(current, kms_master_key_id=key_id)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["topic_arn"]),
        kms_master_key_id=dict(type="str", no_log=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["kms_master_key_id"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    key_id = module.params["kms_master_key_id"] if module.params["state"] == "present" else ""
    if name.startswith("arn:") and (len(name.split(":")) != 6 or name.split(":")[2] != "sns"):
        module.fail_json(
            msg=f"name must be a topic name or an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>; got {name!r}"
        )
    if module.params["state"] == "present" and not key_id.strip():
        module.fail_json(msg="kms_master_key_id must be a KMS key ID, key ARN, alias name (alias/...) or alias ARN")

    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
    try:
        topic_arn = find_topic_arn(client, name)
        if topic_arn is None:
            if not module.check_mode:
                module.fail_json(
                    msg=f"The SNS topic {name} does not exist; create it first, with community.aws.sns_topic."
                )
            before = None
            changed, after = True, {"topic_arn": name if name.startswith("arn:") else None, "kms_master_key_id": key_id}
        else:
            before = describe(client, topic_arn)
            changed, after = ensure_key(client, before, key_id, module.check_mode)
    except AnsibleSNSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, topic=after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before or {}, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
