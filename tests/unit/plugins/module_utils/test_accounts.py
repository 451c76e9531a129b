"""The per-account fan-out: one AssumeRole per account, a bounded thread pool, an account's own trails."""

import threading
import time
from unittest.mock import MagicMock

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
