"""Unit tests for plugins/module_utils/cloudtrail.py: the API wrappers (MagicMock clients) and the pure helpers."""

from unittest.mock import MagicMock
from unittest.mock import call
from unittest.mock import patch

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import cloudtrail

ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"


def paginated(client, result):
    client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = result
    return client


# ---------------------------------------------------------------- wrappers


def test_get_trail_returns_the_trail():
    client = MagicMock()
    client.get_trail.return_value = {"Trail": {"Name": "org-trail", "TrailARN": ARN}}
    assert cloudtrail.get_trail(client, ARN) == {"Name": "org-trail", "TrailARN": ARN}
    client.get_trail.assert_called_once_with(Name=ARN)


def test_get_trail_missing_is_none(client_error):
    client = MagicMock()
    client.get_trail.side_effect = client_error("TrailNotFoundException")
    assert cloudtrail.get_trail(client, "org-trail") is None


def test_other_errors_become_ansible_cloudtrail_error(client_error):
    client = MagicMock()
    client.get_trail.side_effect = client_error("AccessDeniedException")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError, match="Failed to get trail") as raised:
        cloudtrail.get_trail(client, "org-trail")
    assert raised.value.exception.response["Error"]["Code"] == "AccessDeniedException"


def test_throttling_is_retried(client_error):
    client = MagicMock()
    client.get_trail_status.side_effect = [client_error("ThrottlingException"), {"IsLogging": True}]
    with patch("time.sleep") as sleep:
        assert cloudtrail.get_trail_status(client, ARN) == {"IsLogging": True}
    assert client.get_trail_status.call_count == 2
    sleep.assert_called_once()


def test_list_trails_paginates():
    trails = [{"Name": "org-trail", "TrailARN": ARN, "HomeRegion": "us-east-1"}]
    client = paginated(MagicMock(), {"Trails": trails})
    assert cloudtrail.list_trails(client) == trails
    client.get_paginator.assert_called_once_with("list_trails")


def test_create_update_and_logging_pass_their_arguments():
    client = MagicMock()
    client.create_trail.return_value = {"TrailARN": ARN}
    assert cloudtrail.create_trail(client, Name="org-trail", S3BucketName="logs") == {"TrailARN": ARN}
    client.create_trail.assert_called_once_with(Name="org-trail", S3BucketName="logs")
    cloudtrail.update_trail(client, ARN, IsOrganizationTrail=True)
    client.update_trail.assert_called_once_with(Name=ARN, IsOrganizationTrail=True)
    assert cloudtrail.start_logging(client, ARN) is True
    assert cloudtrail.stop_logging(client, ARN) is True
    client.start_logging.assert_called_once_with(Name=ARN)
    client.stop_logging.assert_called_once_with(Name=ARN)


def test_delete_trail(client_error):
    client = MagicMock()
    assert cloudtrail.delete_trail(client, ARN) is True
    client.delete_trail.assert_called_once_with(Name=ARN)
    client.delete_trail.side_effect = client_error("TrailNotFoundException")
    assert cloudtrail.delete_trail(client, ARN) is False


def test_put_event_selectors_sends_one_kind():
    client = MagicMock()
    cloudtrail.put_event_selectors(client, ARN, event_selectors=[{"ReadWriteType": "All"}])
    cloudtrail.put_event_selectors(client, ARN, advanced_event_selectors=[{"FieldSelectors": []}])
    assert client.put_event_selectors.call_args_list == [
        call(TrailName=ARN, EventSelectors=[{"ReadWriteType": "All"}]),
        call(TrailName=ARN, AdvancedEventSelectors=[{"FieldSelectors": []}]),
    ]


def test_get_event_selectors_returns_the_response(client_error):
    client = MagicMock()
    client.get_event_selectors.return_value = {"TrailARN": ARN, "EventSelectors": []}
    assert cloudtrail.get_event_selectors(client, ARN) == {"TrailARN": ARN, "EventSelectors": []}
    client.get_event_selectors.assert_called_once_with(TrailName=ARN)


@pytest.mark.parametrize(
    "response, expected",
    [
        ({"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}, [{"InsightType": "ApiCallRateInsight"}]),
        ({"TrailARN": ARN}, []),  # moto leaves the key out
        ("InsightNotEnabledException", []),  # AWS answers with an error
    ],
)
def test_get_insight_selectors(response, expected, client_error):
    client = MagicMock()
    if isinstance(response, str):
        client.get_insight_selectors.side_effect = client_error(response)
    else:
        client.get_insight_selectors.return_value = response
    assert cloudtrail.get_insight_selectors(client, ARN) == expected


def test_put_insight_selectors():
    client = MagicMock()
    cloudtrail.put_insight_selectors(client, ARN, [])
    client.put_insight_selectors.assert_called_once_with(TrailName=ARN, InsightSelectors=[])


def test_list_tags_returns_a_dict_for_the_resource():
    client = paginated(
        MagicMock(),
        {"ResourceTagList": [{"ResourceId": ARN, "TagsList": [{"Key": "owner", "Value": "security"}]}]},
    )
    assert cloudtrail.list_tags(client, ARN) == {"owner": "security"}
    client.get_paginator.assert_called_once_with("list_tags")
    client.get_paginator.return_value.paginate.assert_called_once_with(ResourceIdList=[ARN])


def test_list_tags_without_tags():
    client = paginated(MagicMock(), {"ResourceTagList": [{"ResourceId": ARN}]})
    assert cloudtrail.list_tags(client, ARN) == {}


def test_add_and_remove_tags():
    client = MagicMock()
    cloudtrail.add_tags(client, ARN, {"owner": "security"})
    cloudtrail.remove_tags(client, ARN, ["old"])
    client.add_tags.assert_called_once_with(ResourceId=ARN, TagsList=[{"Key": "owner", "Value": "security"}])
    client.remove_tags.assert_called_once_with(ResourceId=ARN, TagsList=[{"Key": "old"}])


# ---------------------------------------------------------------- find_trail


def test_find_trail_by_get_trail():
    client = MagicMock()
    client.get_trail.return_value = {"Trail": {"Name": "org-trail", "TrailARN": ARN}}
    assert cloudtrail.find_trail(client, "org-trail")["TrailARN"] == ARN
    client.get_paginator.assert_not_called()


@pytest.mark.parametrize("name", ["org-trail", ARN])
def test_find_trail_falls_back_to_list_trails_and_reads_by_arn(name, client_error):
    """An org trail seen from a delegated administrator: GetTrail by name fails, ListTrails lists it."""
    client = paginated(
        MagicMock(), {"Trails": [{"Name": "other", "TrailARN": ARN + "x"}, {"Name": "org-trail", "TrailARN": ARN}]}
    )
    client.get_trail.side_effect = [client_error("TrailNotFoundException"), {"Trail": {"TrailARN": ARN}}]
    assert cloudtrail.find_trail(client, name) == {"TrailARN": ARN}
    assert client.get_trail.call_args_list == [call(Name=name), call(Name=ARN)]


def test_find_trail_missing(client_error):
    client = paginated(MagicMock(), {"Trails": [{"Name": "other", "TrailARN": ARN + "x"}]})
    client.get_trail.side_effect = client_error("TrailNotFoundException")
    assert cloudtrail.find_trail(client, "org-trail") is None


def test_find_trail_ambiguous_name_asks_for_the_arn(client_error):
    other = "arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail"
    client = paginated(
        MagicMock(), {"Trails": [{"Name": "org-trail", "TrailARN": ARN}, {"Name": "org-trail", "TrailARN": other}]}
    )
    client.get_trail.side_effect = client_error("TrailNotFoundException")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError, match="matches several trails .*give the trail's ARN"):
        cloudtrail.find_trail(client, "org-trail")


# ---------------------------------------------------------------- shapes


def test_normalize_trail_fills_the_gaps():
    """moto leaves HomeRegion out and reports a removed key as ''; flags may be missing."""
    trail = {"Name": "org-trail", "TrailARN": ARN, "S3BucketName": "logs", "KmsKeyId": "", "IsMultiRegionTrail": True}
    assert cloudtrail.normalize_trail(trail) == {
        "name": "org-trail",
        "trail_arn": ARN,
        "home_region": "us-east-1",
        "s3_bucket_name": "logs",
        "s3_key_prefix": None,
        "kms_key_id": None,
        "is_organization_trail": False,
        "is_multi_region_trail": True,
        "include_global_service_events": False,
        "log_file_validation_enabled": False,
        "cloud_watch_logs_log_group_arn": None,
        "cloud_watch_logs_role_arn": None,
        "sns_topic_name": None,
        "sns_topic_arn": None,
    }


def test_normalize_trail_keeps_the_home_region():
    assert cloudtrail.normalize_trail({"TrailARN": ARN, "HomeRegion": "eu-west-1"})["home_region"] == "eu-west-1"


def test_canonical_event_selectors_ignore_order_and_fill_defaults():
    given = [
        {
            "read_write_type": "WriteOnly",
            "include_management_events": False,
            "data_resources": [
                {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::b/", "arn:aws:s3:::a/"]},
                {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]},
            ],
            "exclude_management_event_sources": None,
        },
        {},
    ]
    reordered = [
        {"read_write_type": "All", "include_management_events": True, "data_resources": []},
        {
            "read_write_type": "WriteOnly",
            "include_management_events": False,
            "data_resources": [
                {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]},
                {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::a/", "arn:aws:s3:::b/"]},
            ],
            "exclude_management_event_sources": [],
        },
    ]
    canonical = cloudtrail.canonical_event_selectors(given)
    assert canonical == cloudtrail.canonical_event_selectors(reordered)
    assert {
        "read_write_type": "All",
        "include_management_events": True,
        "data_resources": [],
        "exclude_management_event_sources": [],
    } in canonical
    assert cloudtrail.canonical_event_selectors(None) == []


def test_canonical_event_selectors_see_a_real_difference():
    assert cloudtrail.canonical_event_selectors([{"read_write_type": "All"}]) != cloudtrail.canonical_event_selectors(
        [{"read_write_type": "ReadOnly"}]
    )


def test_canonical_advanced_event_selectors_ignore_order_and_empty_operators():
    given = [
        {
            "name": "data",
            "field_selectors": [
                {"field": "resources.type", "equals": ["AWS::S3::Object"], "starts_with": None},
                {"field": "eventCategory", "equals": ["Data"], "not_equals": []},
            ],
        },
        {"name": None, "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
    ]
    as_returned = [
        {"field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
        {
            "name": "data",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            ],
        },
    ]
    canonical = cloudtrail.canonical_advanced_event_selectors(given)
    assert canonical == cloudtrail.canonical_advanced_event_selectors(as_returned)
    assert {"name": "", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]} in canonical


def test_canonical_advanced_event_selectors_sort_values():
    one = [{"name": "x", "field_selectors": [{"field": "eventName", "not_starts_with": ["b", "a"]}]}]
    two = [{"name": "x", "field_selectors": [{"field": "eventName", "not_starts_with": ["a", "b"]}]}]
    assert cloudtrail.canonical_advanced_event_selectors(one) == cloudtrail.canonical_advanced_event_selectors(two)


def test_event_selectors_from_boto3():
    response = {
        "TrailARN": ARN,
        "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
        "AdvancedEventSelectors": [],
    }
    classic, advanced = cloudtrail.event_selectors_from_boto3(response)
    assert classic == [
        {
            "read_write_type": "All",
            "include_management_events": True,
            "data_resources": [],
            "exclude_management_event_sources": [],
        }
    ]
    assert advanced == []
    response = {
        "AdvancedEventSelectors": [
            {"Name": "m", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"], "NotEquals": []}]}
        ]
    }
    assert cloudtrail.event_selectors_from_boto3(response) == (
        [],
        [{"name": "m", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]}],
    )


def test_selectors_to_boto3():
    classic = cloudtrail.canonical_event_selectors(
        [{"data_resources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]
    )
    assert cloudtrail.event_selectors_to_boto3(classic) == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            "ExcludeManagementEventSources": [],
        }
    ]
    advanced = cloudtrail.canonical_advanced_event_selectors(
        [
            {"field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
            {"name": "reads", "field_selectors": [{"field": "readOnly", "not_ends_with": ["x"]}]},
        ]
    )
    assert cloudtrail.advanced_event_selectors_to_boto3(advanced) == [
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "reads", "FieldSelectors": [{"Field": "readOnly", "NotEndsWith": ["x"]}]},
    ]
