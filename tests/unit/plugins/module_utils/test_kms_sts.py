"""Unit tests for plugins/module_utils/kms.py and sts.py: the API wrappers, on MagicMock clients."""

import json
from unittest.mock import MagicMock

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import kms
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import sts

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/k"


def test_describe_kms_key(client_error):
    client = MagicMock()
    client.describe_key.return_value = {"KeyMetadata": {"Arn": KEY_ARN}}
    assert kms.describe_kms_key(client, "alias/x") == {"Arn": KEY_ARN}
    client.describe_key.assert_called_once_with(KeyId="alias/x")
    client.describe_key.side_effect = client_error("NotFoundException")
    assert kms.describe_kms_key(client, "alias/x") is None
    client.describe_key.side_effect = client_error("AccessDeniedException")
    with pytest.raises(kms.AnsibleKMSError, match="Failed to describe KMS key"):
        kms.describe_kms_key(client, "alias/x")


def test_describe_encryption_key_tells_missing_from_not_readable(client_error):
    client = MagicMock()
    client.describe_key.side_effect = client_error("NotFoundException")
    assert kms.describe_encryption_key(client, KEY_ARN) is None
    client.describe_key.side_effect = client_error("AccessDeniedException")
    assert kms.describe_encryption_key(client, KEY_ARN) == {}


def test_key_rotation_and_policy(client_error):
    client = MagicMock()
    client.get_key_rotation_status.return_value = {"KeyRotationEnabled": True}
    client.get_key_policy.return_value = {"Policy": json.dumps({"Statement": []})}
    assert kms.get_key_rotation_status(client, "k") is True
    assert kms.get_key_policy(client, "k") == {"Statement": []}
    client.get_key_policy.assert_called_once_with(KeyId="k", PolicyName="default")
    client.get_key_policy.side_effect = client_error("AccessDeniedException")
    with pytest.raises(kms.AnsibleKMSError, match="Failed to get key policy"):
        kms.get_key_policy(client, "k")


def test_get_caller_identity(client_error):
    client = MagicMock()
    client.get_caller_identity.return_value = {"Account": "111122223333"}
    assert sts.get_caller_identity(client) == {"Account": "111122223333"}
    client.get_caller_identity.side_effect = client_error("ExpiredToken")
    with pytest.raises(sts.AnsibleSTSError, match="Failed to get caller identity"):
        sts.get_caller_identity(client)
