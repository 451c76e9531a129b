"""log_integrity_info: the module against moto's in-process mock, with files written by tools/cloudtrail_delivery.py."""

import datetime

import boto3
import pytest
from moto import mock_aws

import cloudtrail_delivery as delivery
from ansible_collections.trailguard.cloudtrail.plugins.modules import log_integrity_info

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 18, tzinfo=UTC)
ORG, MANAGEMENT, MEMBER, GONE = "o-abcdef1234", "111111111111", "222222222222", "333333333333"
BUCKET, TRAIL = "acme-cloudtrail", "acme-organization-trail"
ARGS = dict(
    bucket=BUCKET,
    organization_id=ORG,
    trail_name=TRAIL,
    trail_home_region="us-east-1",
    start_time="2026-11-18T01:00:00Z",
    end_time="2026-11-18T05:00:00Z",
)


@pytest.mark.parametrize(
    "override, message",
    [
        (
            {"trail_name": f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/{TRAIL}"},
            "trail_name must be the trail's name",
        ),
        ({"organization_id": "org-1"}, "organization_id must look like"),
        ({"accounts": ["12345"]}, "accounts[0] must be a 12-digit"),
        ({"start_time": "yesterday"}, "start_time must be an ISO 8601 time"),
        ({"start_time": "2026-11-18T06:00:00Z"}, "must be before end_time"),
        ({"max_workers": 0}, "max_workers must be at least 1"),
        ({"bucket": "Bad_Bucket"}, "bucket must be a valid S3 bucket name"),
    ],
)
def test_bad_input_names_the_option_before_any_aws_call(run_module, override, message):
    result = run_module(log_integrity_info.main, dict(ARGS, **override))
    assert result["failed"] and message in result["msg"]


@mock_aws
def test_every_account_in_the_bucket_is_validated_members_or_not(run_module):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    trail = delivery.Trail(BUCKET, ORG, TRAIL, "us-east-1", MANAGEMENT)
    chains = delivery.Delivery(s3, trail).run([MANAGEMENT, MEMBER, GONE], ["us-east-1", "eu-west-1"], T0, 6)
    delivery.modify_log(s3, BUCKET, chains[(MEMBER, "eu-west-1")][2]["logs"][0])
    result = run_module(log_integrity_info.main, dict(ARGS, member_account_ids=[MANAGEMENT, MEMBER]), check_mode=True)
    report = result["report"]
    assert result["changed"] is False
    assert [(account["account_id"], account["member"], account["status"]) for account in report["accounts"]] == [
        (MANAGEMENT, True, "pass"),
        (MEMBER, True, "fail"),
        (GONE, False, "pass"),
    ]
    assert report["summary"]["status"] == "fail" and report["summary"]["regions"] == ["eu-west-1", "us-east-1"]
    [problem] = [item for item in report["findings"] if item["kind"] != "logging_paused"]
    assert (problem["kind"], problem["account_id"], problem["region"]) == ("modified_log", MEMBER, "eu-west-1")
    assert report["summary_lines"][0].startswith("CloudTrail log integrity: FAIL - 3 accounts, 2 regions")
    only = run_module(log_integrity_info.main, dict(ARGS, accounts=[MANAGEMENT], regions=["us-east-1"]))["report"]
    assert [(a["account_id"], [r["region"] for r in a["regions"]]) for a in only["accounts"]] == [
        (MANAGEMENT, ["us-east-1"])
    ]
    assert only["summary"]["status"] == "pass" and only["summary"]["digests"]["valid"] == 5
