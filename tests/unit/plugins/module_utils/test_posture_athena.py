"""The posture report's Athena check: the table's account projection lists every active account of the organization."""

from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import FAIL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import NOT_CONFIGURED
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import PASS

AUDIT = "222222222222"
TREE = {
    "accounts": {
        "111111111111": {"status": "ACTIVE"},
        AUDIT: {"status": "ACTIVE"},
        "333333333333": {"status": "ACTIVE"},
        "444444444444": {"status": "SUSPENDED"},
    }
}
EXPECTED = {"database": "acme_cloudtrail", "name": "cloudtrail_logs"}


def table(values):
    return {"Name": "cloudtrail_logs", "Parameters": {"projection.account.values": values}}


@pytest.mark.parametrize(
    "found, status, detail",
    [
        (table("111111111111,222222222222,333333333333"), PASS, "All 3 active accounts are in the table"),
        (
            table("111111111111,222222222222,333333333333,444444444444,555555555555"),
            PASS,
            "also listed, no longer active: 444444444444, 555555555555",
        ),
        (
            table("111111111111,222222222222"),
            FAIL,
            "not in the table, so their logs are never read: 333333333333 (run the playbook)",
        ),
        (
            table("111111111111, 222222222222,333333333333"),
            FAIL,
            "values with spaces, which Athena matches to nothing: [' 222222222222']",
        ),
        ({}, FAIL, "The table acme_cloudtrail.cloudtrail_logs does not exist"),
    ],
)
def test_the_table_must_list_every_active_account(found, status, detail):
    [result] = posture_checks.athena_checks(found, EXPECTED, TREE, AUDIT)
    assert (result["id"], result["group"], result["status"], result["account_id"]) == ("athena.accounts", "athena", status, AUDIT)
    assert detail in result["detail"]


def test_athena_off_is_not_configured():
    [result] = posture_checks.athena_checks({}, None, TREE, AUDIT)
    assert result["status"] == NOT_CONFIGURED and result["detail"] == "Athena is off (trailguard_athena)"


def test_a_missing_table_or_database_reads_as_empty_and_other_errors_fail():
    client = MagicMock()
    client.get_table.side_effect = ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "no"}}, "GetTable")
    assert posture.read_athena_table(client, "acme_cloudtrail", "cloudtrail_logs") == {}
    client.get_table.side_effect = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetTable")
    with pytest.raises(posture.AnsiblePostureError, match="Failed to get table"):
        posture.read_athena_table(client, "acme_cloudtrail", "cloudtrail_logs")


def test_the_athena_column_is_in_the_log_archive_accounts_row():
    assert ("athena", "Athena table") in posture_checks.COLUMNS
    assert posture_checks.GROUP_OWNERS["athena"] == "log_archive"
