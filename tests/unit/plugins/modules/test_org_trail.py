"""Unit tests for the org_trail module.

The ensure_* functions run against MagicMock clients, so the tests can check
that every write addresses the trail by its ARN and that check mode writes
nothing. main() runs end to end against moto's in-process mock.
"""

import re
from copy import deepcopy
from unittest.mock import MagicMock
from unittest.mock import call

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import AnsibleCloudTrailError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import (
    canonical_advanced_event_selectors,
)
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import propagation
from ansible_collections.trailguard.cloudtrail.plugins.modules import org_trail

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account, the management account
LOG_ARCHIVE = "210987654321"
# The trail as a delegated administrator sees it: owned by the management account.
MGMT_ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
KEY_ARN = f"arn:aws:kms:us-east-1:{LOG_ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/cloudtrail/org-trail:*"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/CloudTrailToCloudWatchLogs"
BUCKET = "org-cloudtrail-logs"

DEFAULT_SELECTORS = [
    {
        "read_write_type": "All",
        "include_management_events": True,
        "data_resources": [],
        "exclude_management_event_sources": [],
    }
]
MANAGEMENT_ADVANCED = [{"name": "mgmt", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]}]

TRAIL = {
    "name": "org-trail",
    "trail_arn": MGMT_ARN,
    "home_region": REGION,
    "s3_bucket_name": BUCKET,
    "s3_key_prefix": None,
    "kms_key_id": KEY_ARN,
    "is_organization_trail": True,
    "is_multi_region_trail": True,
    "include_global_service_events": True,
    "log_file_validation_enabled": True,
    "cloud_watch_logs_log_group_arn": LOG_GROUP_ARN,
    "cloud_watch_logs_role_arn": ROLE_ARN,
    "sns_topic_name": None,
    "sns_topic_arn": None,
    "is_logging": True,
    "event_selectors": DEFAULT_SELECTORS,
    "advanced_event_selectors": [],
    "insight_selectors": [],
    "tags": {"owner": "security"},
}


def params(**overrides):
    """Module parameters as AnsibleModule fills them in (defaults applied)."""
    values = {
        "name": "org-trail",
        "state": "present",
        "s3_bucket_name": None,
        "s3_key_prefix": None,
        "kms_key_id": None,
        "is_organization_trail": True,
        "is_multi_region_trail": True,
        "include_global_service_events": True,
        "enable_log_file_validation": True,
        "cloudwatch_logs_log_group_arn": None,
        "cloudwatch_logs_role_arn": None,
        "sns_topic_name": None,
        "event_selectors": None,
        "advanced_event_selectors": None,
        "insight_selectors": None,
        "enable_logging": True,
        "tags": None,
        "purge_tags": True,
        "propagation_timeout": 120,
    }
    values.update(overrides)
    return values


def settings(**overrides):
    return {option: params(**overrides)[option] for option, _key, _parameter in org_trail.TRAIL_SETTINGS}


def write_calls(client):
    """The names of the write methods called on a MagicMock client."""
    writes = {
        "create_trail",
        "update_trail",
        "delete_trail",
        "start_logging",
        "stop_logging",
        "put_event_selectors",
        "put_insight_selectors",
        "add_tags",
        "remove_tags",
    }
    return sorted({name for name, _args, _kwargs in client.mock_calls if name in writes})


# ---------------------------------------------------------------- validation (no AWS call)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "-bad-"}, "name must be a valid trail name"),
        ({"name": "a..b"}, "no two of '._-' in a row"),
        ({"name": "arn:aws:s3:::bucket"}, "name must be an ARN of service 'cloudtrail'"),
        ({"name": "arn:aws:cloudtrail:us-east-1:12345:trail/x"}, "name must contain a 12-digit account ID"),
        ({"name": "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x"}, "trail name or a trail ARN"),
        ({"name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/x"}, "region 'eu-west-1' but the module runs"),
        ({"s3_bucket_name": "Bad_Bucket"}, "s3_bucket_name must be a valid S3 bucket name"),
        ({"kms_key_id": "arn:aws:kms:us-east-1:1234:key/k"}, "kms_key_id must contain a 12-digit account ID"),
        ({"kms_key_id": "arn:aws:s3:::bucket"}, "kms_key_id must be an ARN of service 'kms'"),
        ({"kms_key_id": f"arn:aws:kms:us-east-1:{LOG_ARCHIVE}:grant/g"}, "kms_key_id must be a key ARN"),
        (
            {"kms_key_id": KEY_ARN.replace("us-east-1", "eu-west-1")},
            "kms_key_id .* is in region 'eu-west-1' but the module runs in region 'us-east-1'; "
            "CloudTrail needs a KMS key in the trail's region",
        ),
        (
            {"cloudwatch_logs_log_group_arn": "log-group", "cloudwatch_logs_role_arn": ROLE_ARN},
            "cloudwatch_logs_log_group_arn must be an ARN like arn:aws:logs",
        ),
        (
            {
                "cloudwatch_logs_log_group_arn": LOG_GROUP_ARN.replace(ACCOUNT, "x"),
                "cloudwatch_logs_role_arn": ROLE_ARN,
            },
            "cloudwatch_logs_log_group_arn must contain a 12-digit account ID",
        ),
        (
            {"cloudwatch_logs_log_group_arn": LOG_GROUP_ARN, "cloudwatch_logs_role_arn": LOG_GROUP_ARN},
            "cloudwatch_logs_role_arn must be an ARN of service 'iam'",
        ),
        (
            {"cloudwatch_logs_log_group_arn": "", "cloudwatch_logs_role_arn": ROLE_ARN},
            "go together: give both ARNs, or both as ''",
        ),
        ({"sns_topic_name": "arn:aws:sns:us-east-1:1:topic"}, "sns_topic_name must contain a 12-digit account ID"),
        ({"include_global_service_events": False}, "include_global_service_events must be true when"),
        ({"event_selectors": []}, "event_selectors must list at least one selector"),
        ({"advanced_event_selectors": []}, "advanced_event_selectors must list at least one selector"),
        (
            {"advanced_event_selectors": [{"name": "x", "field_selectors": []}]},
            r"advanced_event_selectors\[0\].field_selectors must list at least one field selector",
        ),
        (
            {
                "advanced_event_selectors": MANAGEMENT_ADVANCED
                + [
                    {
                        "name": "x",
                        "field_selectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "readOnly"}],
                    }
                ]
            },
            r"advanced_event_selectors\[1\].field_selectors\[1\] \(field 'readOnly'\) needs at least one non-empty operator",
        ),
    ],
)
def test_validate_params_errors(overrides, message):
    error = org_trail.validate_params(params(**overrides), REGION)
    assert error is not None
    assert re.search(message, error), error


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"name": MGMT_ARN},
        {
            "s3_bucket_name": BUCKET,
            "kms_key_id": KEY_ARN,
            "cloudwatch_logs_log_group_arn": LOG_GROUP_ARN,
            "cloudwatch_logs_role_arn": ROLE_ARN,
            "sns_topic_name": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic",
            "advanced_event_selectors": MANAGEMENT_ADVANCED,
        },
        {"kms_key_id": "alias/cloudtrail"},
        {"kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/cloudtrail"},
        {"kms_key_id": "", "s3_key_prefix": "", "sns_topic_name": ""},
        {"cloudwatch_logs_log_group_arn": "", "cloudwatch_logs_role_arn": ""},
        {"is_multi_region_trail": False, "include_global_service_events": False},
        {"event_selectors": [{"read_write_type": "All", "include_management_events": False}]},
    ],
)
def test_validate_params_accepts(overrides):
    assert org_trail.validate_params(params(**overrides), REGION) is None


def test_validate_params_absent_checks_only_the_name():
    assert org_trail.validate_params(params(state="absent", s3_bucket_name="Bad_Bucket"), REGION) is None
    assert "name must be" in org_trail.validate_params(params(state="absent", name="x"), REGION)


# ---------------------------------------------------------------- KMS key resolution


@pytest.fixture
def kms_and_sts(client_error):
    def make(key_arn=None):
        kms, sts = MagicMock(), MagicMock()
        sts.get_caller_identity.return_value = {"Account": ACCOUNT}
        if key_arn:
            kms.describe_key.return_value = {"KeyMetadata": {"Arn": key_arn}}
        else:
            kms.describe_key.side_effect = client_error("NotFoundException")
        return kms, sts

    return make


@pytest.mark.parametrize("kms_key_id", [KEY_ARN, "", None])
def test_resolve_kms_key_keeps_key_arns_without_calls(kms_key_id, kms_and_sts):
    kms, sts = kms_and_sts()
    assert org_trail.resolve_kms_key(kms, sts, kms_key_id) == kms_key_id
    kms.describe_key.assert_not_called()
    sts.get_caller_identity.assert_not_called()


@pytest.mark.parametrize("kms_key_id", ["alias/cloudtrail", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/cloudtrail", "k-1"])
def test_resolve_kms_key_in_own_account(kms_key_id, kms_and_sts):
    own_key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"
    kms, sts = kms_and_sts(own_key)
    assert org_trail.resolve_kms_key(kms, sts, kms_key_id) == own_key
    kms.describe_key.assert_called_once_with(KeyId=kms_key_id)


def test_resolve_kms_key_alias_not_in_own_account(kms_and_sts):
    kms, sts = kms_and_sts()
    with pytest.raises(AnsibleCloudTrailError) as raised:
        org_trail.resolve_kms_key(kms, sts, "alias/log-archive-key")
    assert raised.value.message == (
        f"kms_key_id 'alias/log-archive-key' names no KMS key in this account ({ACCOUNT}); CloudTrail resolves "
        "aliases and key IDs in the caller's account only, so a key in another account (for example the "
        "log-archive account) must be given as its full key ARN (arn:aws:kms:<region>:<account-id>:key/<key-id>)"
    )


def test_resolve_kms_key_alias_arn_of_another_account_is_refused_without_kms_call(kms_and_sts):
    kms, sts = kms_and_sts(KEY_ARN)
    with pytest.raises(
        AnsibleCloudTrailError, match="names no KMS key in this account .* must be given as its full key ARN"
    ):
        org_trail.resolve_kms_key(kms, sts, f"arn:aws:kms:us-east-1:{LOG_ARCHIVE}:alias/cloudtrail")
    kms.describe_key.assert_not_called()


def test_resolve_kms_key_resolving_to_another_account_is_refused(kms_and_sts):
    kms, sts = kms_and_sts(KEY_ARN)
    with pytest.raises(AnsibleCloudTrailError) as raised:
        org_trail.resolve_kms_key(kms, sts, "alias/cloudtrail")
    assert f"resolves to {KEY_ARN}, a key in account {LOG_ARCHIVE}, not in this account ({ACCOUNT})" in str(
        raised.value
    )
    assert "must be given as its full key ARN" in str(raised.value)


# ---------------------------------------------------------------- reads


@pytest.fixture
def trail_client(client_error):
    def make(trail_response, status=True, selectors=None, insights=None, tags=None):
        """A MagicMock CloudTrail client whose reads describe one trail."""
        client = MagicMock()
        client.get_trail.return_value = {"Trail": trail_response}
        client.get_trail_status.return_value = {"IsLogging": status}
        client.get_event_selectors.return_value = selectors or {"EventSelectors": [{"ReadWriteType": "All"}]}
        client.get_insight_selectors.side_effect = None if insights else client_error("InsightNotEnabledException")
        client.get_insight_selectors.return_value = {"InsightSelectors": insights or []}
        client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
            "ResourceTagList": [{"ResourceId": trail_response["TrailARN"], "TagsList": tags or []}],
            "Trails": [],
        }
        return client

    return make


def test_describe_existing_trail_reads_everything_by_arn(trail_client):
    client = trail_client(
        {"Name": "org-trail", "TrailARN": MGMT_ARN, "HomeRegion": REGION, "S3BucketName": BUCKET},
        insights=[{"InsightType": "ApiErrorRateInsight"}, {"InsightType": "ApiCallRateInsight"}],
        tags=[{"Key": "owner", "Value": "security"}],
    )
    state = org_trail.describe_existing_trail(client, "org-trail", REGION)
    assert state["trail_arn"] == MGMT_ARN
    assert state["is_logging"] is True
    assert state["event_selectors"] == DEFAULT_SELECTORS
    assert state["advanced_event_selectors"] == []
    assert state["insight_selectors"] == ["ApiCallRateInsight", "ApiErrorRateInsight"]
    assert state["tags"] == {"owner": "security"}
    client.get_trail_status.assert_called_once_with(Name=MGMT_ARN)
    client.get_event_selectors.assert_called_once_with(TrailName=MGMT_ARN)
    client.get_insight_selectors.assert_called_once_with(TrailName=MGMT_ARN)
    client.get_paginator.return_value.paginate.assert_called_once_with(ResourceIdList=[MGMT_ARN])


def test_describe_existing_trail_missing(client_error):
    client = MagicMock()
    client.get_trail.side_effect = client_error("TrailNotFoundException")
    client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {"Trails": []}
    assert org_trail.describe_existing_trail(client, "org-trail", REGION) is None


def test_describe_existing_trail_outside_its_home_region_fails(trail_client):
    client = trail_client({"Name": "org-trail", "TrailARN": MGMT_ARN, "HomeRegion": REGION})
    with pytest.raises(
        AnsibleCloudTrailError, match="has home region 'us-east-1' but the module runs in region 'eu-west-1'"
    ):
        org_trail.describe_existing_trail(client, "org-trail", "eu-west-1")
    client.get_trail_status.assert_not_called()


# ---------------------------------------------------------------- trail settings


@pytest.mark.parametrize(
    "overrides, parameters, changed_keys",
    [
        ({"s3_bucket_name": "other-bucket"}, {"S3BucketName": "other-bucket"}, {"s3_bucket_name": "other-bucket"}),
        ({"s3_key_prefix": "org"}, {"S3KeyPrefix": "org"}, {"s3_key_prefix": "org"}),
        ({"kms_key_id": ""}, {"KmsKeyId": ""}, {"kms_key_id": None}),
        (
            {"is_organization_trail": False, "enable_log_file_validation": False},
            {"IsOrganizationTrail": False, "EnableLogFileValidation": False},
            {"is_organization_trail": False, "log_file_validation_enabled": False},
        ),
        (
            {"is_multi_region_trail": False, "include_global_service_events": False},
            {"IsMultiRegionTrail": False, "IncludeGlobalServiceEvents": False},
            {"is_multi_region_trail": False, "include_global_service_events": False},
        ),
        # A changed role alone still sends both: CloudTrail takes them together.
        (
            {"cloudwatch_logs_log_group_arn": LOG_GROUP_ARN, "cloudwatch_logs_role_arn": ROLE_ARN + "2"},
            {"CloudWatchLogsLogGroupArn": LOG_GROUP_ARN, "CloudWatchLogsRoleArn": ROLE_ARN + "2"},
            {"cloud_watch_logs_role_arn": ROLE_ARN + "2"},
        ),
        (
            {"cloudwatch_logs_log_group_arn": "", "cloudwatch_logs_role_arn": ""},
            {"CloudWatchLogsLogGroupArn": "", "CloudWatchLogsRoleArn": ""},
            {"cloud_watch_logs_log_group_arn": None, "cloud_watch_logs_role_arn": None},
        ),
        (
            {"sns_topic_name": "arn:aws:sns:us-east-1:444455556666:deliveries"},
            {"SnsTopicName": "arn:aws:sns:us-east-1:444455556666:deliveries"},
            {
                "sns_topic_name": "arn:aws:sns:us-east-1:444455556666:deliveries",
                "sns_topic_arn": "arn:aws:sns:us-east-1:444455556666:deliveries",
            },
        ),
        (
            {"sns_topic_name": "deliveries"},
            {"SnsTopicName": "deliveries"},
            {"sns_topic_name": "deliveries", "sns_topic_arn": "arn:aws:sns:us-east-1:111122223333:deliveries"},
        ),
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_ensure_trail_settings_updates_by_arn(overrides, parameters, changed_keys, check_mode):
    client = MagicMock()
    changed, new_trail = org_trail.ensure_trail_settings(client, deepcopy(TRAIL), settings(**overrides), check_mode)
    assert changed is True
    assert new_trail == dict(TRAIL, **changed_keys)
    if check_mode:
        assert write_calls(client) == []
    else:
        client.update_trail.assert_called_once_with(Name=MGMT_ARN, **parameters)


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # only the flags, which match
        {
            "s3_bucket_name": BUCKET,
            "kms_key_id": KEY_ARN,
            "cloudwatch_logs_log_group_arn": LOG_GROUP_ARN,
            "cloudwatch_logs_role_arn": ROLE_ARN,
        },
        {"s3_key_prefix": "", "sns_topic_name": ""},  # '' asks for what is already unset
    ],
)
def test_ensure_trail_settings_no_change(overrides):
    client = MagicMock()
    assert org_trail.ensure_trail_settings(client, TRAIL, settings(**overrides), False) == (False, TRAIL)
    assert write_calls(client) == []


@pytest.mark.parametrize(
    "current_name, current_arn, desired, same",
    [
        ("deliveries", "arn:aws:sns:us-east-1:111122223333:deliveries", "deliveries", True),
        (
            "deliveries",
            "arn:aws:sns:us-east-1:111122223333:deliveries",
            "arn:aws:sns:us-east-1:111122223333:deliveries",
            True,
        ),
        # AWS may report the ARN in SnsTopicName too.
        ("arn:aws:sns:us-east-1:111122223333:deliveries", None, "arn:aws:sns:us-east-1:111122223333:deliveries", True),
        ("deliveries", "arn:aws:sns:us-east-1:111122223333:deliveries", "other", False),
        (None, None, "", True),
        ("deliveries", "arn:aws:sns:us-east-1:111122223333:deliveries", "", False),
    ],
)
def test_sns_topic_is_compared_by_name_or_arn(current_name, current_arn, desired, same):
    trail = dict(TRAIL, sns_topic_name=current_name, sns_topic_arn=current_arn)
    assert ("sns_topic_name" not in org_trail.trail_setting_changes(trail, settings(sns_topic_name=desired))) is same


# ---------------------------------------------------------------- selectors


@pytest.mark.parametrize("check_mode", [False, True])
def test_switch_to_advanced_event_selectors(check_mode):
    client = MagicMock()
    changed, new_trail = org_trail.ensure_event_selectors(client, TRAIL, None, MANAGEMENT_ADVANCED, check_mode)
    assert changed is True
    assert new_trail["event_selectors"] == []
    assert new_trail["advanced_event_selectors"] == MANAGEMENT_ADVANCED
    if check_mode:
        assert write_calls(client) == []
    else:
        client.put_event_selectors.assert_called_once_with(
            TrailName=MGMT_ARN,
            AdvancedEventSelectors=[
                {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
            ],
        )


def test_switch_back_to_classic_event_selectors():
    client = MagicMock()
    trail = dict(TRAIL, event_selectors=[], advanced_event_selectors=MANAGEMENT_ADVANCED)
    selectors = [{"read_write_type": "WriteOnly", "include_management_events": True, "data_resources": None}]
    changed, new_trail = org_trail.ensure_event_selectors(client, trail, selectors, None, False)
    assert changed is True
    assert new_trail["advanced_event_selectors"] == []
    client.put_event_selectors.assert_called_once_with(
        TrailName=MGMT_ARN,
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": True,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ],
    )


def test_event_selectors_in_another_order_are_no_change():
    client = MagicMock()
    as_returned = [
        {
            "name": "data",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::Lambda::Function", "AWS::S3::Object"]},
            ],
        }
    ]
    trail = dict(TRAIL, event_selectors=[], advanced_event_selectors=canonical_advanced_event_selectors(as_returned))
    desired = [
        {
            "name": "data",
            "field_selectors": [
                {"field": "resources.type", "equals": ["AWS::S3::Object", "AWS::Lambda::Function"], "not_equals": None},
                {"field": "eventCategory", "equals": ["Data"]},
            ],
        }
    ]
    assert org_trail.ensure_event_selectors(client, trail, None, desired, False) == (False, trail)
    assert write_calls(client) == []


def test_unset_selectors_are_left_alone():
    client = MagicMock()
    assert org_trail.ensure_event_selectors(client, TRAIL, None, None, False) == (False, TRAIL)
    assert org_trail.ensure_insight_selectors(client, TRAIL, None, False) == (False, TRAIL)
    assert write_calls(client) == []


@pytest.mark.parametrize(
    "current, desired, expected_put",
    [
        ([], ["ApiErrorRateInsight", "ApiCallRateInsight"], ["ApiCallRateInsight", "ApiErrorRateInsight"]),
        (["ApiCallRateInsight", "ApiErrorRateInsight"], [], []),
        (["ApiCallRateInsight"], ["ApiErrorRateInsight"], ["ApiErrorRateInsight"]),
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_insight_selectors_change(current, desired, expected_put, check_mode):
    client = MagicMock()
    changed, new_trail = org_trail.ensure_insight_selectors(
        client, dict(TRAIL, insight_selectors=current), desired, check_mode
    )
    assert changed is True
    assert new_trail["insight_selectors"] == expected_put
    if check_mode:
        assert write_calls(client) == []
    else:
        client.put_insight_selectors.assert_called_once_with(
            TrailName=MGMT_ARN, InsightSelectors=[{"InsightType": insight} for insight in expected_put]
        )


def test_insight_selectors_same_set_is_no_change():
    client = MagicMock()
    trail = dict(TRAIL, insight_selectors=["ApiCallRateInsight", "ApiErrorRateInsight"])
    desired = ["ApiErrorRateInsight", "ApiCallRateInsight", "ApiErrorRateInsight"]
    assert org_trail.ensure_insight_selectors(client, trail, desired, False) == (False, trail)


# ---------------------------------------------------------------- tags and logging


@pytest.mark.parametrize(
    "tags, purge_tags, expected, removed, added",
    [
        ({"owner": "security", "env": "prod"}, True, {"owner": "security", "env": "prod"}, None, {"env": "prod"}),
        ({"env": "prod"}, True, {"env": "prod"}, ["owner"], {"env": "prod"}),
        ({"env": "prod"}, False, {"owner": "security", "env": "prod"}, None, {"env": "prod"}),
        ({}, True, {}, ["owner"], None),
        ({"owner": "audit"}, True, {"owner": "audit"}, None, {"owner": "audit"}),
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_ensure_tags(tags, purge_tags, expected, removed, added, check_mode):
    client = MagicMock()
    changed, new_trail = org_trail.ensure_tags(client, TRAIL, tags, purge_tags, check_mode)
    assert changed is True
    assert new_trail["tags"] == expected
    if check_mode:
        assert write_calls(client) == []
        return
    if removed:
        client.remove_tags.assert_called_once_with(ResourceId=MGMT_ARN, TagsList=[{"Key": key} for key in removed])
    else:
        client.remove_tags.assert_not_called()
    if added:
        client.add_tags.assert_called_once_with(
            ResourceId=MGMT_ARN, TagsList=[{"Key": key, "Value": value} for key, value in added.items()]
        )
    else:
        client.add_tags.assert_not_called()


@pytest.mark.parametrize("tags, purge_tags", [(None, True), ({"owner": "security"}, True), ({}, False)])
def test_ensure_tags_no_change(tags, purge_tags):
    client = MagicMock()
    assert org_trail.ensure_tags(client, TRAIL, tags, purge_tags, False) == (False, TRAIL)
    assert write_calls(client) == []


@pytest.mark.parametrize(
    "is_logging, enable_logging, method", [(True, False, "stop_logging"), (False, True, "start_logging")]
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_ensure_logging(is_logging, enable_logging, method, check_mode):
    client = MagicMock()
    changed, new_trail = org_trail.ensure_logging(
        client, dict(TRAIL, is_logging=is_logging), enable_logging, check_mode
    )
    assert changed is True
    assert new_trail["is_logging"] is enable_logging
    if check_mode:
        assert write_calls(client) == []
    else:
        assert write_calls(client) == [method]
        getattr(client, method).assert_called_once_with(Name=MGMT_ARN)


def test_ensure_logging_no_change():
    client = MagicMock()
    assert org_trail.ensure_logging(client, TRAIL, True, False) == (False, TRAIL)
    assert write_calls(client) == []


# ---------------------------------------------------------------- create, present, absent


def test_create_new_trail_by_arn_fails():
    client = MagicMock()
    with pytest.raises(AnsibleCloudTrailError, match="a trail can only be created by name, not by ARN"):
        org_trail.create_new_trail(client, MGMT_ARN, REGION, settings(s3_bucket_name=BUCKET), None, False)
    assert write_calls(client) == []


def test_create_new_trail_needs_a_bucket():
    client = MagicMock()
    with pytest.raises(AnsibleCloudTrailError, match="s3_bucket_name is required to create trail 'org-trail'"):
        org_trail.create_new_trail(client, "org-trail", REGION, settings(), None, True)


def test_create_new_trail_sends_only_set_options(trail_client):
    client = trail_client({"Name": "org-trail", "TrailARN": MGMT_ARN})
    client.create_trail.return_value = {"TrailARN": MGMT_ARN}
    wanted = settings(s3_bucket_name=BUCKET, s3_key_prefix="", kms_key_id=KEY_ARN)
    trail = org_trail.create_new_trail(client, "org-trail", REGION, wanted, {"owner": "security"}, False)
    client.create_trail.assert_called_once_with(
        Name="org-trail",
        S3BucketName=BUCKET,
        KmsKeyId=KEY_ARN,
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        TagsList=[{"Key": "owner", "Value": "security"}],
    )
    client.get_trail.assert_called_once_with(Name=MGMT_ARN)
    assert trail["trail_arn"] == MGMT_ARN


def test_ensure_present_check_mode_predicts_a_new_trail():
    client = MagicMock()
    wanted = params(
        s3_bucket_name=BUCKET,
        kms_key_id=KEY_ARN,
        advanced_event_selectors=MANAGEMENT_ADVANCED,
        insight_selectors=["ApiCallRateInsight"],
        sns_topic_name="deliveries",
        tags={"owner": "security"},
    )
    changed, trail = org_trail.ensure_present(client, None, "org-trail", REGION, wanted, settings(**wanted), True)
    assert changed is True
    assert client.mock_calls == []
    assert trail == dict(
        TRAIL,
        trail_arn=None,
        cloud_watch_logs_log_group_arn=None,
        cloud_watch_logs_role_arn=None,
        sns_topic_name="deliveries",
        sns_topic_arn=None,  # not known before the trail exists
        event_selectors=[],
        advanced_event_selectors=MANAGEMENT_ADVANCED,
        insight_selectors=["ApiCallRateInsight"],
    )


def test_check_mode_predicts_the_default_selectors_when_none_are_given():
    wanted = params(s3_bucket_name=BUCKET, enable_logging=False)
    changed, trail = org_trail.ensure_present(MagicMock(), None, "org-trail", REGION, wanted, settings(**wanted), True)
    assert changed is True
    assert trail["event_selectors"] == DEFAULT_SELECTORS
    assert trail["advanced_event_selectors"] == []
    assert trail["is_logging"] is False
    assert trail["tags"] == {}


def test_ensure_present_no_change_reads_nothing_more():
    client = MagicMock()
    wanted = params(s3_bucket_name=BUCKET, tags={"owner": "security"})
    assert org_trail.ensure_present(client, TRAIL, "org-trail", REGION, wanted, settings(**wanted), False) == (
        False,
        TRAIL,
    )
    assert client.mock_calls == []


def test_ensure_present_update_writes_by_arn_and_reads_back(trail_client):
    client = trail_client({"Name": "org-trail", "TrailARN": MGMT_ARN})
    wanted = params(name="org-trail", enable_logging=False, insight_selectors=["ApiCallRateInsight"])
    changed, trail = org_trail.ensure_present(client, TRAIL, "org-trail", REGION, wanted, settings(**wanted), False)
    assert changed is True
    assert write_calls(client) == ["put_insight_selectors", "stop_logging"]
    client.stop_logging.assert_called_once_with(Name=MGMT_ARN)
    client.get_trail.assert_called_once_with(Name=MGMT_ARN)
    assert trail["trail_arn"] == MGMT_ARN


def test_ensure_absent():
    client = MagicMock()
    assert org_trail.ensure_absent(client, None, False) == (False, {})
    assert org_trail.ensure_absent(client, TRAIL, True) == (True, {})
    assert write_calls(client) == []
    assert org_trail.ensure_absent(client, TRAIL, False) == (True, {})
    assert client.mock_calls == [call.delete_trail(Name=MGMT_ARN)]


# ---------------------------------------------------------------- the whole module against moto


@pytest.fixture
def aws():
    """moto with the bucket, KMS keys, log group and role an org trail needs."""
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        kms = boto3.client("kms", region_name=REGION)
        key = kms.create_key(Description="org trail")["KeyMetadata"]
        kms.create_alias(AliasName="alias/org-trail", TargetKeyId=key["KeyId"])
        cloudtrail = boto3.client("cloudtrail", region_name=REGION)
        yield {"cloudtrail": cloudtrail, "key_arn": key["Arn"]}


def full_args(**overrides):
    args = {
        "name": "org-trail",
        "s3_bucket_name": BUCKET,
        "s3_key_prefix": "org",
        "kms_key_id": "alias/org-trail",
        "cloudwatch_logs_log_group_arn": LOG_GROUP_ARN,
        "cloudwatch_logs_role_arn": ROLE_ARN,
        "tags": {"owner": "security"},
    }
    args.update(overrides)
    return args


def four_times(run_module, args):
    """(CHECK) -> apply -> idempotent (CHECK) -> idempotent, as amazon.aws's integration targets do."""
    results = [run_module(org_trail.main, args, check_mode=check_mode) for check_mode in (True, False, True, False)]
    assert [result.get("failed", False) for result in results] == [False] * 4, results
    assert [result["changed"] for result in results] == [True, True, False, False]
    return results


def test_main_creates_the_org_trail(aws, run_module):
    check, applied, idempotent_check, idempotent = four_times(run_module, full_args())
    assert check["trail"]["kms_key_id"] == aws["key_arn"]  # the alias, resolved
    expected = {
        "name": "org-trail",
        "trail_arn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail",
        "home_region": REGION,
        "s3_bucket_name": BUCKET,
        "s3_key_prefix": "org",
        "kms_key_id": aws["key_arn"],
        "is_organization_trail": True,
        "is_multi_region_trail": True,
        "include_global_service_events": True,
        "log_file_validation_enabled": True,
        "cloud_watch_logs_log_group_arn": LOG_GROUP_ARN,
        "cloud_watch_logs_role_arn": ROLE_ARN,
        "sns_topic_name": None,
        "sns_topic_arn": None,
        "is_logging": True,
        "event_selectors": [],  # moto reports no selectors for a new trail
        "advanced_event_selectors": [],
        "insight_selectors": [],
        "tags": {"owner": "security"},
    }
    assert applied["trail"] == expected
    assert idempotent_check["trail"] == expected
    assert idempotent["trail"] == expected
    trail = aws["cloudtrail"].get_trail(Name="org-trail")["Trail"]
    assert trail["IsOrganizationTrail"] is True
    assert trail["KmsKeyId"] == aws["key_arn"]
    assert aws["cloudtrail"].get_trail_status(Name="org-trail")["IsLogging"] is True


def test_main_check_mode_creates_nothing(aws, run_module):
    result = run_module(org_trail.main, full_args(), check_mode=True)
    assert result["changed"] is True
    assert aws["cloudtrail"].list_trails()["Trails"] == []


def test_main_diff(aws, run_module):
    created = run_module(org_trail.main, full_args(), diff=True)
    assert created["diff"] == {"before": {}, "after": created["trail"]}
    stopped = run_module(org_trail.main, full_args(enable_logging=False), diff=True)
    assert stopped["diff"]["before"] == created["trail"]
    assert stopped["diff"]["after"] == dict(created["trail"], is_logging=False)
    deleted = run_module(org_trail.main, {"name": "org-trail", "state": "absent"}, diff=True)
    assert deleted["diff"] == {"before": stopped["trail"], "after": {}}
    assert "diff" not in run_module(org_trail.main, {"name": "org-trail", "state": "absent"})


def test_main_updates_each_setting(aws, run_module):
    run_module(org_trail.main, full_args())
    args = {
        "name": "org-trail",
        "s3_key_prefix": "",
        "kms_key_id": "",
        "is_organization_trail": False,
        "enable_log_file_validation": False,
        "cloudwatch_logs_log_group_arn": "",
        "cloudwatch_logs_role_arn": "",
    }
    trail = four_times(run_module, args)[-1]["trail"]
    assert trail["s3_key_prefix"] is None
    assert trail["kms_key_id"] is None
    assert trail["cloud_watch_logs_log_group_arn"] is None
    assert trail["is_organization_trail"] is False
    assert trail["log_file_validation_enabled"] is False
    assert trail["tags"] == {"owner": "security"}  # tags not given: left alone
    raw = aws["cloudtrail"].get_trail(Name="org-trail")["Trail"]
    assert raw["IsOrganizationTrail"] is False
    assert raw["LogFileValidationEnabled"] is False


@pytest.fixture
def created(aws, run_module):
    """The org trail, created with every setting."""
    result = run_module(org_trail.main, full_args())
    assert result["changed"] is True
    return aws


ADVANCED = [
    {
        "name": "S3 data events",
        "field_selectors": [
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "eventCategory", "equals": ["Data"]},
        ],
    },
    {"name": "Management events", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
]


def test_main_switches_to_advanced_event_selectors(created, run_module):
    trail = four_times(run_module, {"name": "org-trail", "advanced_event_selectors": ADVANCED})[-1]["trail"]
    assert trail["event_selectors"] == []
    assert trail["advanced_event_selectors"] == canonical_advanced_event_selectors(ADVANCED)
    stored = created["cloudtrail"].get_event_selectors(TrailName="org-trail")["AdvancedEventSelectors"]
    assert canonical_advanced_event_selectors(
        [camel_dict_to_snake_dict(selector) for selector in stored]
    ) == canonical_advanced_event_selectors(ADVANCED)


def test_main_switches_back_to_classic_event_selectors(created, run_module):
    run_module(org_trail.main, {"name": "org-trail", "advanced_event_selectors": ADVANCED})
    classic = [{"read_write_type": "WriteOnly", "exclude_management_event_sources": ["kms.amazonaws.com"]}]
    trail = four_times(run_module, {"name": "org-trail", "event_selectors": classic})[-1]["trail"]
    assert trail["advanced_event_selectors"] == []
    assert trail["event_selectors"] == [
        {
            "read_write_type": "WriteOnly",
            "include_management_events": True,
            "data_resources": [],
            "exclude_management_event_sources": ["kms.amazonaws.com"],
        }
    ]
    assert not created["cloudtrail"].get_event_selectors(TrailName="org-trail")["AdvancedEventSelectors"]


def test_main_turns_insights_on_and_off(created, run_module):
    insights = {"name": "org-trail", "insight_selectors": ["ApiErrorRateInsight", "ApiCallRateInsight"]}
    trail = four_times(run_module, insights)[-1]["trail"]
    assert trail["insight_selectors"] == ["ApiCallRateInsight", "ApiErrorRateInsight"]
    four_times(run_module, {"name": "org-trail", "insight_selectors": []})
    assert "InsightSelectors" not in created["cloudtrail"].get_insight_selectors(TrailName="org-trail")


def test_main_stops_and_starts_logging(created, run_module):
    assert four_times(run_module, {"name": "org-trail", "enable_logging": False})[-1]["trail"]["is_logging"] is False
    assert created["cloudtrail"].get_trail_status(Name="org-trail")["IsLogging"] is False
    assert four_times(run_module, {"name": "org-trail"})[-1]["trail"]["is_logging"] is True
    assert created["cloudtrail"].get_trail_status(Name="org-trail")["IsLogging"] is True


def test_main_adds_and_purges_tags(created, run_module):
    keep = {"name": "org-trail", "tags": {"team": "audit"}, "purge_tags": False}
    assert four_times(run_module, keep)[-1]["trail"]["tags"] == {"owner": "security", "team": "audit"}
    purge = {"name": "org-trail", "tags": {"env": "prod"}}
    assert four_times(run_module, purge)[-1]["trail"]["tags"] == {"env": "prod"}
    stored = created["cloudtrail"].list_tags(ResourceIdList=[f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail"])
    assert stored["ResourceTagList"][0]["TagsList"] == [{"Key": "env", "Value": "prod"}]


def test_main_updates_by_arn(aws, run_module):
    arn = run_module(org_trail.main, full_args())["trail"]["trail_arn"]
    trail = four_times(run_module, {"name": arn, "enable_logging": False, "insight_selectors": ["ApiCallRateInsight"]})
    assert trail[-1]["trail"]["name"] == "org-trail"
    assert trail[-1]["trail"]["is_logging"] is False


@pytest.mark.parametrize("by_arn", [False, True])
def test_main_deletes_the_trail(aws, run_module, by_arn):
    arn = run_module(org_trail.main, full_args())["trail"]["trail_arn"]
    four_times(run_module, {"name": arn if by_arn else "org-trail", "state": "absent"})
    assert aws["cloudtrail"].list_trails()["Trails"] == []
    # The bucket stays.
    assert boto3.client("s3", region_name=REGION).head_bucket(Bucket=BUCKET)


def test_main_absent_when_missing(aws, run_module):
    result = run_module(org_trail.main, {"name": "org-trail", "state": "absent"})
    assert result == dict(result, changed=False, trail={})


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": "org-trail"}, "s3_bucket_name is required to create trail 'org-trail'"),
        (
            {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail", "s3_bucket_name": BUCKET},
            "a trail can only be created by name, not by ARN",
        ),
        (full_args(kms_key_id="alias/log-archive"), "names no KMS key in this account (123456789012)"),
        (full_args(s3_bucket_name="no-such-bucket"), "Failed to create trail"),
    ],
)
def test_main_failures_after_lookup(aws, run_module, args, message):
    result = run_module(org_trail.main, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert aws["cloudtrail"].list_trails()["Trails"] == []


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": "a"}, "name must be a valid trail name"),
        (
            full_args(advanced_event_selectors=MANAGEMENT_ADVANCED, event_selectors=[{"read_write_type": "All"}]),
            "parameters are mutually exclusive: event_selectors|advanced_event_selectors",
        ),
        (
            {"name": "org-trail", "cloudwatch_logs_log_group_arn": LOG_GROUP_ARN},
            "parameters are required together: cloudwatch_logs_log_group_arn, cloudwatch_logs_role_arn",
        ),
        (full_args(insight_selectors=["ApiRateInsight"]), "value of insight_selectors must be one or more of"),
        (
            full_args(kms_key_id=KEY_ARN.replace("us-east-1", "eu-west-1")),
            "CloudTrail needs a KMS key in the trail's region",
        ),
        (full_args(propagation_timeout=-1), "propagation_timeout must be 0 (no waiting) or more seconds, got -1"),
    ],
)
def test_main_validates_before_any_aws_call(monkeypatch, run_module, args, message):
    def no_client(*_args, **_kwargs):
        raise AssertionError("an AWS client was created before the input was validated")

    monkeypatch.setattr(org_trail.TrailguardAWSModule, "client", no_client)
    result = run_module(org_trail.main, args)
    assert result["failed"] is True
    assert message in result["msg"]


# ---------------------------------------------------------------- waiting for changes to propagate


@pytest.fixture(name="clock")
def fixture_clock(monkeypatch):
    """time.monotonic and time.sleep of the propagation wait, without sleeping: each sleep moves the clock on."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(propagation.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(propagation.time, "sleep", sleep)
    return sleeps


@pytest.fixture(name="refuse")
def fixture_refuse(monkeypatch):
    """refuse(operation, code, times): AWS answers `operation` with `code` that many times (None: always)."""
    real_call = botocore.client.BaseClient._make_api_call  # pylint: disable=protected-access
    refusals = {}

    def make_api_call(self, operation_name, api_params):
        if operation_name in refusals:
            code, left = refusals[operation_name]
            if left is None or left > 0:
                refusals[operation_name] = (code, None if left is None else left - 1)
                raise ClientError({"Error": {"Code": code, "Message": f"{code} (test)"}}, operation_name)
        return real_call(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return lambda operation, code, times=None: refusals.__setitem__(operation, (code, times))


def test_main_waits_for_the_key_policy_and_creates_the_trail(aws, run_module, clock, refuse):
    refuse("CreateTrail", "InsufficientEncryptionPolicyException", times=2)
    result = run_module(org_trail.main, full_args())
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["trail"]["kms_key_id"] == aws["key_arn"]
    assert len(clock) == 2
    assert aws["cloudtrail"].get_trail(Name="org-trail")["Trail"]["KmsKeyId"] == aws["key_arn"]


def test_main_fails_after_the_bound_naming_the_key_and_the_trail(aws, run_module, clock, refuse):
    refuse("CreateTrail", "InsufficientEncryptionPolicyException")
    result = run_module(org_trail.main, full_args(propagation_timeout=30))
    assert result["failed"] is True
    assert sum(clock) == pytest.approx(30)
    assert result["msg"].startswith("Failed to create trail after waiting 30 s (")
    assert f"The policy of KMS key {aws['key_arn']} does not let cloudtrail.amazonaws.com encrypt log files for " in (
        result["msg"]
    )
    assert "for trail org-trail" in result["msg"]
    assert result["msg"].endswith(
        "AWS's answer: An error occurred (InsufficientEncryptionPolicyException) when calling the CreateTrail "
        "operation: InsufficientEncryptionPolicyException (test)"
    )
    assert result["error"]["code"] == "InsufficientEncryptionPolicyException"
    assert aws["cloudtrail"].list_trails()["Trails"] == []


def test_main_takes_the_bound_from_the_environment(aws, run_module, clock, refuse, monkeypatch):
    monkeypatch.setenv("TRAILGUARD_PROPAGATION_TIMEOUT", "12")
    refuse("CreateTrail", "InvalidCloudWatchLogsRoleArnException")
    result = run_module(org_trail.main, full_args())
    assert "Failed to create trail after waiting 12 s" in result["msg"]
    assert f"CloudTrail cannot assume role {ROLE_ARN}: it must exist" in result["msg"]
    assert sum(clock) == pytest.approx(12)


def test_main_waits_for_an_update_and_for_insights(aws, run_module, clock, refuse):
    run_module(org_trail.main, full_args())
    refuse("UpdateTrail", "InvalidCloudWatchLogsLogGroupArnException", times=1)
    refuse("PutInsightSelectors", "InsufficientS3BucketPolicyException", times=3)
    result = run_module(org_trail.main, full_args(s3_key_prefix="other", insight_selectors=["ApiCallRateInsight"]))
    assert result.get("failed") is not True, result
    assert result["trail"]["s3_key_prefix"] == "other"
    assert result["trail"]["insight_selectors"] == ["ApiCallRateInsight"]
    assert len(clock) == 4


def test_main_does_not_wait_for_other_errors(aws, run_module, clock, refuse):
    refuse("CreateTrail", "InvalidKmsKeyIdException")
    result = run_module(org_trail.main, full_args())
    assert result["msg"].startswith("Failed to create trail: An error occurred (InvalidKmsKeyIdException)")
    assert clock == []
