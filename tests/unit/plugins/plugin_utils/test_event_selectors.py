"""The trail's advanced event selectors."""

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils.event_selectors import advanced_event_selectors


def fields(selector):
    return {f["field"]: f for f in selector["field_selectors"]}


def test_management_events_only_by_default_read_and_write():
    selectors = advanced_event_selectors(["acme-cloudtrail"])
    assert len(selectors) == 1
    # The console's name, which Prowler's cloudtrail_multi_region_enabled_logging_management_events requires
    # (prowler/providers/aws/services/cloudtrail/cloudtrail_multi_region_enabled_logging_management_events).
    assert selectors[0]["name"] == "Management events selector"
    management = fields(selectors[0])
    # No readOnly field: both read and write management events are logged.
    assert management == {"eventCategory": {"field": "eventCategory", "equals": ["Management"]}}


def test_s3_data_events_leave_out_the_log_buckets():
    selectors = advanced_event_selectors(["acme-cloudtrail", "acme-cloudtrail-access-logs", ""], s3_data_events=True)
    s3 = fields(selectors[1])
    assert s3["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert s3["eventCategory"]["equals"] == ["Data"]
    assert s3["resources.ARN"]["not_starts_with"] == [
        "arn:aws:s3:::acme-cloudtrail-access-logs/",
        "arn:aws:s3:::acme-cloudtrail/",
    ]


def test_lambda_data_events():
    selectors = advanced_event_selectors([], lambda_data_events=True)
    assert fields(selectors[-1])["resources.type"]["equals"] == ["AWS::Lambda::Function"]
    assert len(selectors) == 2


def test_s3_without_exclusions_has_no_arn_field():
    assert "resources.ARN" not in fields(advanced_event_selectors([], s3_data_events=True)[1])
