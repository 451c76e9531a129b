"""Unit tests for plugins/module_utils/s3.py.

MagicMock clients for error handling, retries and call shapes; the pure
helpers with plain dicts.
"""

from unittest.mock import MagicMock

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import s3
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import AnsibleS3Error

LOGGING = {"TargetBucket": "logs", "TargetPrefix": "source/"}


# ---------------------------------------------------------------- get_bucket_logging


def test_get_returns_logging_enabled():
    client = MagicMock()
    client.get_bucket_logging.return_value = {"LoggingEnabled": LOGGING, "ResponseMetadata": {}}
    assert s3.get_bucket_logging(client, "source") == LOGGING
    client.get_bucket_logging.assert_called_once_with(Bucket="source")


def test_get_returns_empty_dict_when_logging_is_off():
    client = MagicMock()
    client.get_bucket_logging.return_value = {"ResponseMetadata": {}}
    assert s3.get_bucket_logging(client, "source") == {}


def test_get_returns_none_for_a_missing_bucket(client_error):
    client = MagicMock()
    client.get_bucket_logging.side_effect = client_error("NoSuchBucket")
    assert s3.get_bucket_logging(client, "source") is None


def test_get_raises_other_errors_as_ansible_s3_error(client_error):
    client = MagicMock()
    client.get_bucket_logging.side_effect = client_error("AccessDenied")
    with pytest.raises(AnsibleS3Error) as error:
        s3.get_bucket_logging(client, "source")
    assert error.value.message == "Failed to get bucket logging"
    assert error.value.exception.response["Error"]["Code"] == "AccessDenied"


def test_get_retries_throttling(no_sleep, client_error):
    client = MagicMock()
    client.get_bucket_logging.side_effect = [client_error("Throttling"), {"LoggingEnabled": LOGGING}]
    assert s3.get_bucket_logging(client, "source") == LOGGING
    assert client.get_bucket_logging.call_count == 2
    assert len(no_sleep) == 1


# ---------------------------------------------------------------- put_bucket_logging


def test_put_turns_logging_on():
    client = MagicMock()
    assert s3.put_bucket_logging(client, "source", LOGGING) is True
    client.put_bucket_logging.assert_called_once_with(Bucket="source", BucketLoggingStatus={"LoggingEnabled": LOGGING})


@pytest.mark.parametrize("off", [{}, None])
def test_put_turns_logging_off_with_an_empty_status(off):
    client = MagicMock()
    assert s3.put_bucket_logging(client, "source", off) is True
    client.put_bucket_logging.assert_called_once_with(Bucket="source", BucketLoggingStatus={})


@pytest.mark.parametrize("code", ["NoSuchBucket", "InvalidTargetBucketForLogging"])
def test_put_raises_every_error_even_a_missing_bucket(code, client_error):
    client = MagicMock()
    client.put_bucket_logging.side_effect = client_error(code)
    with pytest.raises(AnsibleS3Error) as error:
        s3.put_bucket_logging(client, "source", LOGGING)
    assert error.value.message == "Failed to put bucket logging"
    assert error.value.exception.response["Error"]["Code"] == code


def test_put_never_touches_acls():
    client = MagicMock()
    s3.put_bucket_logging(client, "source", LOGGING)
    assert [name for name, _args, _kwargs in client.method_calls] == ["put_bucket_logging"]


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("current", [None, {}, LOGGING])
def test_desired_is_the_target_and_prefix(current):
    assert s3.desired_logging(current, "new-logs", "x/") == {"TargetBucket": "new-logs", "TargetPrefix": "x/"}


def test_desired_keeps_the_key_format_and_drops_target_grants():
    key_format = {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}
    current = dict(
        LOGGING,
        TargetObjectKeyFormat=key_format,
        TargetGrants=[{"Grantee": {"Type": "Group", "URI": "x"}, "Permission": "READ"}],
    )
    desired = s3.desired_logging(current, "logs", "source/")
    assert desired == dict(LOGGING, TargetObjectKeyFormat=key_format)
    assert "TargetGrants" in current, "input must not be modified"


@pytest.mark.parametrize(
    "logging_enabled, expected",
    [
        (None, {}),
        ({}, {}),
        (LOGGING, {"target_bucket": "logs", "target_prefix": "source/"}),
        (
            dict(LOGGING, TargetObjectKeyFormat={"SimplePrefix": {}}),
            {"target_bucket": "logs", "target_prefix": "source/", "target_object_key_format": {"simple_prefix": {}}},
        ),
    ],
)
def test_normalize_logging(logging_enabled, expected):
    assert s3.normalize_logging(logging_enabled) == expected
