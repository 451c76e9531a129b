"""The per-account fan-out: one AssumeRole per account, a bounded thread pool, an account's own trails."""

import threading
import time
from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import accounts

MANAGEMENT = "111111111111"
AUDIT = "222222222222"
MEMBER = "333333333333"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/org-trail"


def test_own_trails_leaves_out_the_organization_trail_and_other_accounts():
    trails = [
        {"Name": "org-trail", "TrailARN": TRAIL_ARN, "HomeRegion": "us-east-1"},
        {"Name": "old", "TrailARN": f"arn:aws:cloudtrail:eu-west-1:{MEMBER}:trail/old"},
        {"Name": "old", "TrailARN": f"arn:aws:cloudtrail:eu-west-1:{MEMBER}:trail/old", "HomeRegion": "eu-west-1"},
        {"Name": "other", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{AUDIT}:trail/other"},
    ]
    assert accounts.own_trails(trails, MEMBER, TRAIL_ARN) == [
        {"name": "old", "arn": f"arn:aws:cloudtrail:eu-west-1:{MEMBER}:trail/old", "home_region": "eu-west-1"}
    ]
    assert accounts.own_trails(trails, MANAGEMENT, TRAIL_ARN) == []


# ---------------------------------------------------------------- fan-out and sessions


def test_scan_accounts_keeps_order_bounds_threads_and_isolates_errors():
    running, peak, lock = [0], [0], threading.Lock()

    def scan(account):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        if account == "bad":
            raise AnsibleAWSError(message="Failed to assume role")
        return {"account": account}

    account_ids = ["a", "bad"] + [str(n) for n in range(10)]
    results = accounts.scan_accounts(account_ids, scan, max_workers=3)
    assert results[0] == {"account": "a"} and results[1] == {"error": "Failed to assume role"}
    assert [result.get("account") for result in results[2:]] == [str(n) for n in range(10)]
    assert 1 < peak[0] <= 3
    assert accounts.scan_accounts([], scan, 3) == []


def test_account_sessions_assume_each_role_once():
    sts = MagicMock()
    sts.assume_role.return_value = {"Credentials": {"AccessKeyId": "id"}}
    made = []
    sessions = accounts.AccountSessions(
        lambda *args: made.append(args) or args, sts, MANAGEMENT, partition="aws-us-gov", role_name="Reader"
    )
    member = {"account_id": MEMBER}
    threads = [threading.Thread(target=sessions.client, args=(member, "cloudtrail", "us-east-1")) for _n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sts.assume_role.assert_called_once_with(
        RoleArn=f"arn:aws-us-gov:iam::{MEMBER}:role/Reader", RoleSessionName="trailguard"
    )
    assert made[0] == ("cloudtrail", "us-east-1", {"AccessKeyId": "id"})
    assert sessions.client({"account_id": MANAGEMENT}, "s3") == ("s3", None, None)
    assert sessions.role_arn({"account_id": AUDIT, "role_name": "Other"}) == f"arn:aws-us-gov:iam::{AUDIT}:role/Other"
    assert sessions.role_arn({"account_id": AUDIT, "role_arn": "arn:aws:iam::2:role/X"}) == "arn:aws:iam::2:role/X"
    assert sts.assume_role.call_count == 1


def test_account_sessions_make_each_client_once_per_account_service_and_region():
    sts = MagicMock()
    sts.assume_role.return_value = {"Credentials": {"AccessKeyId": "id"}}
    made = []
    sessions = accounts.AccountSessions(lambda *args: made.append(args) or object(), sts, MANAGEMENT)
    member = {"account_id": MEMBER}
    first = sessions.client(member, "cloudtrail", "eu-west-1")
    assert sessions.client(dict(member, name="again"), "cloudtrail", "eu-west-1") is first
    assert sessions.client(member, "cloudtrail", "us-east-1") is not first
    assert sessions.client({"account_id": AUDIT}, "cloudtrail", "eu-west-1") is not first
    assert len(made) == 3 and sts.assume_role.call_count == 2


# ---------------------------------------------------------------- the legacy-trail search


class FakeCloudTrail:
    """A CloudTrail client of one account in one region: what ListTrails and the per-trail reads answer."""

    def __init__(self, region, listed, trails, calls, failing_regions=()):
        self.region, self.listed, self.trails, self.calls = region, listed, trails, calls
        self.failing = region in failing_regions

    def _call(self, action, name=None):
        self.calls.append((self.region, action))
        if self.failing:
            raise ClientError({"Error": {"Code": "UnrecognizedClientException", "Message": "invalid token"}}, action)
        trail = self.trails.get(name)
        if name is not None and (trail is None or trail["HomeRegion"] != self.region):
            raise ClientError({"Error": {"Code": "TrailNotFoundException", "Message": name}}, action)
        return trail

    def get_paginator(self, operation):
        assert operation == "list_trails"
        paginator = MagicMock()
        self._call("ListTrails")
        paginator.paginate.return_value.build_full_result.return_value = {"Trails": self.listed}
        return paginator

    def get_trail(self, Name):  # noqa: N803  pylint: disable=invalid-name
        return {"Trail": self._call("GetTrail", Name)}

    def get_trail_status(self, Name):  # noqa: N803  pylint: disable=invalid-name
        return {"IsLogging": self._call("GetTrailStatus", Name)["logging"]}

    def get_event_selectors(self, TrailName):  # noqa: N803  pylint: disable=invalid-name
        self._call("GetEventSelectors", TrailName)
        return {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}


def _trail(account, region, name, **extra):
    arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"
    return dict(
        {"Name": name, "TrailARN": arn, "HomeRegion": region, "S3BucketName": f"{name}-logs", "logging": True}, **extra
    )


@pytest.fixture
def member_trails():
    """A member with trails in three regions, a Control Tower organization trail of its own, and ours listed."""
    own = [
        _trail(MEMBER, "us-east-1", "team"),
        _trail(MEMBER, "eu-west-1", "eu-one", logging=False),
        _trail(MEMBER, "eu-west-1", "eu-two"),
        _trail(MEMBER, "ap-south-2", "opt-in"),
        _trail(MEMBER, "us-east-1", "aws-controltower-BaselineCloudTrail", IsOrganizationTrail=True),
    ]
    listed = [{key: trail[key] for key in ("Name", "TrailARN", "HomeRegion")} for trail in own]
    listed.append({"Name": "org-trail", "TrailARN": TRAIL_ARN, "HomeRegion": "us-east-1"})
    return listed, {trail["TrailARN"]: trail for trail in own}


def _search(member_trails, home_regions=(), failing_regions=()):
    listed, trails = member_trails
    calls, made = [], []

    def client_for(region):
        made.append(region)
        return FakeCloudTrail(region, listed, trails, calls, failing_regions)

    found = accounts.search_account_trails(client_for, MEMBER, TRAIL_ARN, "us-east-1", home_regions)
    return found, calls, made


def test_search_lists_once_then_reads_each_trail_in_its_home_region(member_trails):
    found, calls, made = _search(member_trails)
    assert [call for call in calls if call[1] == "ListTrails"] == [("us-east-1", "ListTrails")]
    # One client per region: the listing region, then each home region once.
    assert made == ["us-east-1", "ap-south-2", "eu-west-1", "us-east-1"]
    assert {(region, action) for region, action in calls if action != "ListTrails"} == {
        (region, action)
        for region in ("us-east-1", "eu-west-1", "ap-south-2")
        for action in ("GetTrail", "GetTrailStatus", "GetEventSelectors")
    }
    # Any organization trail (ours is not even read, Control Tower's is read and left out) is never legacy.
    assert [(t["name"], t["home_region"], t["is_logging"]) for t in found] == [
        ("opt-in", "ap-south-2", True),
        ("eu-one", "eu-west-1", False),
        ("eu-two", "eu-west-1", True),
        ("team", "us-east-1", True),
    ]
    assert found[1]["s3_bucket_name"] == "eu-one-logs" and found[1]["logs_management_events"] is True


def test_search_reports_a_region_that_cannot_be_read_on_its_trails_only(member_trails):
    found, _calls, _made = _search(member_trails, failing_regions=("ap-south-2",))
    by_name = {trail["name"]: trail for trail in found}
    assert set(by_name) == {"eu-one", "eu-two", "opt-in", "team"}
    assert "is_logging" not in by_name["opt-in"]
    assert by_name["opt-in"]["error"].startswith("could not be read in its home region ap-south-2: Failed to get trail")
    assert "UnrecognizedClientException" in by_name["opt-in"]["error"]
    assert all("error" not in trail for name, trail in by_name.items() if name != "opt-in")


def test_search_home_regions_keeps_only_those_trails(member_trails):
    found, calls, _made = _search(member_trails, home_regions=["eu-west-1"])
    assert [trail["name"] for trail in found] == ["eu-one", "eu-two"]
    assert {region for region, _action in calls} == {"us-east-1", "eu-west-1"}  # us-east-1: the one ListTrails


def test_search_fails_the_account_only_when_its_trails_cannot_be_listed(member_trails):
    with pytest.raises(AnsibleAWSError, match="Failed to list trails"):
        _search(member_trails, failing_regions=("us-east-1",))


@pytest.mark.parametrize(
    "selectors, expected",
    [
        ({}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}, False),
        (
            {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]},
            True,
        ),
    ],
)
def test_logs_management_events(selectors, expected):
    assert accounts.logs_management_events(selectors) is expected
