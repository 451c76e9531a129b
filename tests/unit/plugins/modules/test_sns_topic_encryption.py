"""Unit tests for the sns_topic_encryption module.

ensure_key() runs against a MagicMock client, so every write and the absence of writes in check mode
are visible; main() runs against moto's in-process mock.
"""

from unittest.mock import MagicMock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import sns as sns_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import sns_topic_encryption as module

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


# ---------------------------------------------------------------- ensure_key (MagicMock client)


@pytest.mark.parametrize("check_mode", [False, True])
def test_sets_a_new_key(check_mode):
    client = MagicMock()
    changed, after = module.ensure_key(client, {"topic_arn": TOPIC, "kms_master_key_id": ""}, KEY, check_mode)
    assert changed and after == {"topic_arn": TOPIC, "kms_master_key_id": KEY}
    if check_mode:
        client.set_topic_attributes.assert_not_called()
    else:
        client.set_topic_attributes.assert_called_once()
        kwargs = client.set_topic_attributes.call_args.kwargs
        assert (kwargs["TopicArn"], kwargs["AttributeName"], kwargs["AttributeValue"]) == (TOPIC, "KmsMasterKeyId", KEY)


def test_same_key_is_a_no_op():
    client = MagicMock()
    current = {"topic_arn": TOPIC, "kms_master_key_id": KEY}
    assert module.ensure_key(client, current, KEY, False) == (False, current)
    client.set_topic_attributes.assert_not_called()


def test_removing_the_key_sets_it_empty():
    client = MagicMock()
    changed, after = module.ensure_key(client, {"topic_arn": TOPIC, "kms_master_key_id": KEY}, "", False)
    assert changed and after["kms_master_key_id"] == ""
    assert client.set_topic_attributes.call_args.kwargs["AttributeValue"] == ""


def test_a_client_error_becomes_the_collection_error():
    client = MagicMock()
    client.set_topic_attributes.side_effect = ClientError(
        {"Error": {"Code": "AuthorizationError"}}, "SetTopicAttributes"
    )
    with pytest.raises(sns_utils.AnsibleSNSError, match="Failed to set topic attributes"):
        module.ensure_key(client, {"topic_arn": TOPIC, "kms_master_key_id": ""}, KEY, False)


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def sns():
    with mock_aws():
        client = boto3.client("sns", region_name="us-east-1")
        client.create_topic(Name="alarms")
        yield client


def key_of(sns_client):
    return sns_client.get_topic_attributes(TopicArn=TOPIC)["Attributes"].get("KmsMasterKeyId", "")


def test_check_mode_then_apply_then_idempotent(sns, run_module):
    args = {"name": "alarms", "kms_master_key_id": KEY}
    result = run_module(module.main, args, check_mode=True, diff=True)
    assert result["changed"] and result["topic"] == {"topic_arn": TOPIC, "kms_master_key_id": KEY}
    assert result["diff"] == {"before": {"topic_arn": TOPIC, "kms_master_key_id": ""}, "after": result["topic"]}
    assert key_of(sns) == ""

    assert run_module(module.main, args)["changed"]
    assert key_of(sns) == KEY
    assert not run_module(module.main, args, check_mode=True)["changed"]
    assert not run_module(module.main, dict(args, name=TOPIC))["changed"]


def test_absent_removes_the_encryption(sns, run_module):
    run_module(module.main, {"name": TOPIC, "kms_master_key_id": KEY})
    result = run_module(module.main, {"name": TOPIC, "state": "absent"})
    assert result["changed"] and result["topic"]["kms_master_key_id"] == ""
    assert key_of(sns) == ""
    assert not run_module(module.main, {"name": TOPIC, "state": "absent"})["changed"]


def test_missing_topic_fails_outside_check_mode(sns, run_module):
    result = run_module(module.main, {"name": "nope", "kms_master_key_id": KEY})
    assert result["failed"] and "The SNS topic nope does not exist" in result["msg"]


def test_missing_topic_in_check_mode_is_a_change(sns, run_module):
    result = run_module(module.main, {"name": "nope", "kms_master_key_id": KEY}, check_mode=True, diff=True)
    assert result["changed"] and result["topic"] == {"topic_arn": None, "kms_master_key_id": KEY}
    assert result["diff"]["before"] == {}
    arn = TOPIC.replace("alarms", "nope")
    assert (
        run_module(module.main, {"name": arn, "kms_master_key_id": KEY}, check_mode=True)["topic"]["topic_arn"] == arn
    )


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": "alarms"}, "state is present but all of the following are missing: kms_master_key_id"),
        ({"name": "alarms", "kms_master_key_id": "  "}, "kms_master_key_id must be a KMS key ID"),
        (
            {"name": "arn:aws:sqs:us-east-1:123456789012:q", "kms_master_key_id": KEY},
            "name must be a topic name or an SNS topic ARN",
        ),
    ],
)
def test_invalid_options_fail_before_any_call(sns, run_module, args, message):
    result = run_module(module.main, args)
    assert result["failed"] and message in result["msg"]
    assert key_of(sns) == ""
