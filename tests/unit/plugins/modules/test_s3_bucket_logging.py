"""Unit tests for the s3_bucket_logging module.

The ensure_* functions run against MagicMock clients (so every write, and the
absence of writes in check mode, is visible); main() runs against moto's
in-process mock, patched by conftest so that ACL calls on a BucketOwnerEnforced
bucket fail as they do in AWS.
"""

import json
from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible_collections.community.aws.plugins.modules import s3_logging as community_s3_logging
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.trailguard.cloudtrail.plugins.modules import s3_bucket_logging as module

LOGGING = {"TargetBucket": "access-logs", "TargetPrefix": "source/"}
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@pytest.fixture
def client():
    client = MagicMock(name="s3")
    client.get_bucket_logging.return_value = {}  # the target bucket exists
    return client


# ---------------------------------------------------------------- ensure_present (MagicMock client)


def test_present_turns_logging_on(client):
    changed, new = module.ensure_present(client, "source", {}, "access-logs", "source/", check_mode=False)
    assert changed is True
    assert new == LOGGING
    assert client.method_calls == [
        call.get_bucket_logging(Bucket="access-logs"),
        call.put_bucket_logging(Bucket="source", BucketLoggingStatus={"LoggingEnabled": LOGGING}),
    ]


def test_present_changes_the_prefix(client):
    changed, new = module.ensure_present(client, "source", LOGGING, "access-logs", "other/", check_mode=False)
    assert changed is True
    assert new == {"TargetBucket": "access-logs", "TargetPrefix": "other/"}
    client.put_bucket_logging.assert_called_once_with(Bucket="source", BucketLoggingStatus={"LoggingEnabled": new})


def test_present_check_mode_predicts_without_writing(client):
    changed, new = module.ensure_present(client, "source", {}, "access-logs", "source/", check_mode=True)
    assert changed is True
    assert new == LOGGING
    client.put_bucket_logging.assert_not_called()


def test_present_no_op(client):
    changed, new = module.ensure_present(client, "source", dict(LOGGING), "access-logs", "source/", False)
    assert changed is False
    assert new == LOGGING
    assert client.method_calls == []


def test_present_removes_target_grants_and_keeps_the_key_format(client):
    key_format = {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}}
    grants = [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY_URI}, "Permission": "WRITE"}]
    current = dict(LOGGING, TargetGrants=grants, TargetObjectKeyFormat=key_format)
    changed, new = module.ensure_present(client, "source", current, "access-logs", "source/", False)
    assert changed is True
    assert new == dict(LOGGING, TargetObjectKeyFormat=key_format)
    client.put_bucket_logging.assert_called_once_with(Bucket="source", BucketLoggingStatus={"LoggingEnabled": new})


def test_present_fails_for_a_missing_bucket(client):
    with pytest.raises(AnsibleS3Error) as error:
        module.ensure_present(client, "source", None, "access-logs", "source/", False)
    assert error.value.message == (
        "bucket: bucket 'source' does not exist; create it before setting up server access logging"
    )
    assert client.method_calls == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_present_fails_for_a_missing_target_before_writing(client, check_mode):
    client.get_bucket_logging.side_effect = ClientError(
        {"Error": {"Code": "NoSuchBucket", "Message": "The specified bucket does not exist"}}, "GetBucketLogging"
    )
    with pytest.raises(AnsibleS3Error) as error:
        module.ensure_present(client, "source", {}, "access-logs", "source/", check_mode)
    assert error.value.message.startswith("target_bucket: bucket 'access-logs' does not exist")
    client.put_bucket_logging.assert_not_called()


# ---------------------------------------------------------------- ensure_absent (MagicMock client)


def test_absent_turns_logging_off(client):
    changed, new = module.ensure_absent(client, "source", LOGGING, check_mode=False)
    assert changed is True
    assert new == {}
    assert client.method_calls == [call.put_bucket_logging(Bucket="source", BucketLoggingStatus={})]


def test_absent_check_mode_makes_no_writes(client):
    changed, new = module.ensure_absent(client, "source", LOGGING, check_mode=True)
    assert changed is True
    assert new == {}
    assert client.method_calls == []


@pytest.mark.parametrize("current", [{}, None])
def test_absent_no_op_when_off_or_missing(client, current):
    changed, new = module.ensure_absent(client, "source", current, check_mode=False)
    assert changed is False
    assert new == {}
    assert client.method_calls == []


# ---------------------------------------------------------------- main() against moto


def access_log_policy(target, source, prefix=""):
    """The target's policy: log delivery for `source` (AWS's recommended form, as the audit_bucket role writes it)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "S3ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{target}/{prefix}*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"},
                        "StringEquals": {"aws:SourceAccount": "123456789012"},
                    },
                }
            ],
        }
    )


@pytest.fixture
def s3():
    """A source bucket and an access-log bucket with ACLs disabled whose policy allows log delivery."""
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="source")
        client.create_bucket(Bucket="access-logs", ObjectOwnership="BucketOwnerEnforced")
        client.put_bucket_policy(Bucket="access-logs", Policy=access_log_policy("access-logs", "source"))
        yield client


def logging_of(client, bucket="source"):
    return client.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})


def grants_of(client, bucket="access-logs"):
    return client.get_bucket_acl(Bucket=bucket)["Grants"]


ENABLE = {"bucket": "source", "target_bucket": "access-logs", "target_prefix": "source/"}


def test_main_enable_check_apply_idempotent(s3, run_module):
    grants = grants_of(s3)

    checked = run_module(module.main, ENABLE, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["logging_enabled"] == {"target_bucket": "access-logs", "target_prefix": "source/"}
    assert checked["diff"] == {
        "before": {"logging_enabled": {}},
        "after": {"logging_enabled": checked["logging_enabled"]},
    }
    assert logging_of(s3) == {}, "check mode must not write"

    applied = run_module(module.main, ENABLE, diff=True)
    assert applied["changed"] is True
    assert applied["logging_enabled"] == checked["logging_enabled"]
    assert applied["diff"]["after"] == {"logging_enabled": checked["logging_enabled"]}
    assert logging_of(s3) == LOGGING
    assert grants_of(s3) == grants, "the target's ACL must not be touched"

    for check_mode in (True, False):
        again = run_module(module.main, ENABLE, check_mode=check_mode)
        assert again["changed"] is False
        assert again["logging_enabled"] == checked["logging_enabled"]
        assert "diff" not in again


def test_main_changes_the_prefix(s3, run_module):
    run_module(module.main, ENABLE)
    args = dict(ENABLE, target_prefix="logs/source/")

    result = run_module(module.main, args, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["logging_enabled"]["target_prefix"] == "source/"
    assert result["logging_enabled"]["target_prefix"] == "logs/source/"
    assert logging_of(s3) == {"TargetBucket": "access-logs", "TargetPrefix": "logs/source/"}
    assert run_module(module.main, args)["changed"] is False


def test_main_disable_check_apply_idempotent(s3, run_module):
    run_module(module.main, ENABLE)
    args = {"name": "source", "state": "absent"}

    checked = run_module(module.main, args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["logging_enabled"] == {}
    assert checked["diff"]["before"]["logging_enabled"]["target_bucket"] == "access-logs"
    assert logging_of(s3) == LOGGING, "check mode must not write"

    applied = run_module(module.main, args)
    assert applied["changed"] is True
    assert logging_of(s3) == {}
    assert run_module(module.main, args, check_mode=True)["changed"] is False
    assert run_module(module.main, args)["changed"] is False


def test_main_absent_on_a_missing_bucket_changes_nothing(s3, run_module):
    result = run_module(module.main, {"bucket": "no-such-bucket", "state": "absent"}, diff=True)
    assert result["changed"] is False
    assert result["logging_enabled"] == {}
    assert result["diff"] == {"before": {"logging_enabled": {}}, "after": {"logging_enabled": {}}}


def test_main_fails_for_a_missing_bucket(s3, run_module):
    result = run_module(module.main, dict(ENABLE, bucket="no-such-bucket"))
    assert result["failed"] is True
    assert result["msg"] == (
        "bucket: bucket 'no-such-bucket' does not exist; create it before setting up server access logging"
    )


@pytest.mark.parametrize("check_mode", [True, False])
def test_main_fails_for_a_missing_target_before_any_change(s3, run_module, check_mode):
    result = run_module(module.main, dict(ENABLE, target_bucket="no-such-bucket"), check_mode=check_mode)
    assert result["failed"] is True
    assert result["msg"].startswith("target_bucket: bucket 'no-such-bucket' does not exist")
    assert logging_of(s3) == {}


def test_main_reports_a_target_whose_policy_does_not_allow_delivery(s3, run_module):
    s3.create_bucket(Bucket="no-policy", ObjectOwnership="BucketOwnerEnforced")
    result = run_module(module.main, dict(ENABLE, target_bucket="no-policy"))
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to put bucket logging")
    assert result["error"]["code"] == "InvalidTargetBucketForLogging"
    assert logging_of(s3) == {}
    assert grants_of(s3, "no-policy") == grants_of(s3, "access-logs"), "no ACL grant may be attempted"


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            dict(ENABLE, bucket="Source_Bucket"),
            "bucket must be a valid S3 bucket name: 3 to 63 characters of lowercase letters",
        ),
        (dict(ENABLE, target_bucket="10.0.0.1"), "target_bucket must be a valid S3 bucket name"),
        ({"bucket": "source"}, "state is present but all of the following are missing: target_bucket"),
        ({"bucket": "xn--source", "state": "absent"}, "bucket must be a valid S3 bucket name"),
    ],
)
def test_main_validates_before_any_call(run_module, monkeypatch, args, expected):
    get = MagicMock()
    monkeypatch.setattr(module, "get_bucket_logging", get)
    result = run_module(module.main, args)
    assert result["failed"] is True
    assert result["msg"].startswith(expected)
    get.assert_not_called()


def test_main_absent_ignores_the_target_options(s3, run_module):
    result = run_module(module.main, {"bucket": "source", "state": "absent", "target_bucket": "Not A Bucket"})
    assert result["changed"] is False


def test_community_s3_logging_cannot_log_to_this_target(s3, run_module):
    """Why this module exists: community.aws.s3_logging adds an ACL grant first, which S3 refuses."""
    result = run_module(community_s3_logging.main, {"name": "source", "target_bucket": "access-logs"})
    assert result["failed"] is True
    assert "AccessControlListNotSupported" in result["msg"]
    assert logging_of(s3) == {}
    assert not any(grant["Grantee"].get("URI") == LOG_DELIVERY_URI for grant in grants_of(s3))
