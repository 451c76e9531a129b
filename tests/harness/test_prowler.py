"""Prowler reads the organization trail the way users will, and finds it compliant.

An organization (management, audit, one member) is seeded in the emulator and set up by playbooks/org_cloudtrail.yml
with the example settings (CIS alarms and CloudTrail Insights on; the SIEM kit and access groups, which Prowler's
CloudTrail and CloudWatch checks do not read, off to save time). Then Prowler runs its CloudTrail and CloudWatch
checks once, in the management account with the runner's credentials, in the trail's home region, against the
emulator (AWS_ENDPOINT_URL), and writes JSON-OCSF. Prowler is pinned in requirements-prowler.txt and lives in
.venv-prowler (`make setup-prowler`; it pins an older boto3 than the project).

Every finding must be PASS, except the checks in NOT_PASSING, which cannot pass in a management-account scan of the
emulator, each with its reason; the checks in NO_FINDINGS report nothing here, each with its reason. A check that
Prowler does not run at all fails the test too (REQUIRED).

On AWS a trail delivers its first log files within minutes; the emulator's trail delivers at once here (its
GetTrailStatus then reports LatestDeliveryTime and LatestCloudWatchLogsDeliveryTime, tools/moto_server.py), as
cloudtrail_cloudwatch_logging_enabled reads the CloudWatch Logs delivery time.
"""

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
from moto_server import set_emulator_trail_status
from support import playbook
from support import seeded_emulator
from support import write_inventory

PROWLER = REPO / ".venv-prowler" / "bin" / "prowler"
REGION = "us-east-1"  # trailguard_region of the example settings
EXTRA_VARS = ("-e", "trailguard_siem_kit=false", "-e", "trailguard_access_groups=false")

# The log bucket is in the log-archive account. Prowler judges a trail's bucket only when the bucket is in the
# account it scans, and says MANUAL otherwise, on AWS as here. Scanned in the log-archive account on AWS, the
# organization trail and its bucket are both there; in the emulator the organization trail is not copied into
# member accounts (README, "What the emulator cannot show"), so such a scan would find no trail.
CROSS_ACCOUNT_BUCKET = "the log bucket is in the log-archive account, outside a management-account scan"
NOT_PASSING = {
    # On AWS, scanned in the log-archive account, this one would FAIL: MFA Delete can be turned on only by the
    # bucket owner's root user with an MFA device, a manual step the playbook cannot take.
    "cloudtrail_bucket_requires_mfa_delete": ("MANUAL", CROSS_ACCOUNT_BUCKET),
    "cloudtrail_logs_s3_bucket_access_logging_enabled": ("MANUAL", CROSS_ACCOUNT_BUCKET),
    "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": ("MANUAL", CROSS_ACCOUNT_BUCKET),
}
NO_FINDINGS = {
    # Reported per bucket of the scanned account; the management account has none here. The example settings
    # leave S3 data events off (trail_s3_data_events, for cost), so with buckets these would FAIL, by choice.
    "cloudtrail_s3_dataevents_read_enabled": "no bucket in the management account",
    "cloudtrail_s3_dataevents_write_enabled": "no bucket in the management account",
    # Only for Amazon Bedrock AgentCore log groups.
    "cloudwatch_log_group_agentcore_data_protection_policy_enabled": "no AgentCore log group",
    # Prowler runs these only with --categories threat-detection; they read the event history (LookupEvents),
    # which moto does not implement.
    "cloudtrail_threat_detection_enumeration": "threat detection: LookupEvents",
    "cloudtrail_threat_detection_llm_jacking": "threat detection: LookupEvents",
    "cloudtrail_threat_detection_privilege_escalation": "threat detection: LookupEvents",
}
# What the playbook is for: each of these must be run and PASS.
REQUIRED = {
    "cloudtrail_multi_region_enabled",
    # Recognises advanced event selectors only by the console's name, "Management events selector".
    "cloudtrail_multi_region_enabled_logging_management_events",
    "cloudtrail_cloudwatch_logging_enabled",
    "cloudtrail_kms_encryption_enabled",
    "cloudtrail_log_file_validation_enabled",
    "cloudtrail_insights_exist",
    "cloudwatch_log_group_kms_encryption_enabled",
    "cloudwatch_log_group_retention_policy_specific_days_enabled",
    "cloudwatch_log_group_not_publicly_accessible",
    "cloudwatch_alarm_actions_enabled",
    # CIS 4.1-4.15 (cis_monitoring)
    "cloudwatch_log_metric_filter_unauthorized_api_calls",
    "cloudwatch_log_metric_filter_sign_in_without_mfa",
    "cloudwatch_log_metric_filter_root_usage",
    "cloudwatch_log_metric_filter_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_authentication_failures",
    "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
    "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_security_group_changes",
    "cloudwatch_changes_to_network_acls_alarm_configured",
    "cloudwatch_changes_to_network_gateways_alarm_configured",
    "cloudwatch_changes_to_network_route_tables_alarm_configured",
    "cloudwatch_changes_to_vpcs_alarm_configured",
    "cloudwatch_log_metric_filter_aws_organizations_changes",
}


def _prowler_env(url, home):
    """The emulator's environment and nothing of the project's (PYTHONPATH, Ansible settings)."""
    return emulator.emulator_env(url, base={"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"})


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    """Prowler's findings for the set-up organization: {check: [(status, detail), ...]}."""
    assert PROWLER.exists(), f"{PROWLER} is missing: run `make setup-prowler` (make harness does)"
    work = tmp_path_factory.mktemp("prowler")
    with seeded_emulator(work, members=1) as (url, org, _patch):
        playbook(url, write_inventory(work / "inventory", org), "org_cloudtrail.yml", *EXTRA_VARS)
        set_emulator_trail_status(url, first_delivery_seconds=0)  # the trail has delivered, as minutes later on AWS

        output = work / "prowler-output"
        command = [str(PROWLER), "aws", "--no-banner", "--filter-region", REGION, "--service", "cloudtrail"]
        command += ["cloudwatch", "--output-formats", "json-ocsf", "--output-directory", str(output)]
        command += ["--output-filename", "trailguard"]
        run = subprocess.run(
            command, capture_output=True, text=True, env=_prowler_env(url, work), cwd=work, timeout=900, check=False
        )
        # 3 is Prowler's "some finding is not PASS"; the test says which, below.
        report = output / "trailguard.ocsf.json"
        assert run.returncode in (0, 3) and report.exists(), f"prowler failed ({run.returncode}):\n{run.stdout[-4000:]}"
        by_check = defaultdict(list)
        for finding in json.loads(report.read_text()):
            by_check[finding["metadata"]["event_code"]].append((finding["status_code"], finding["status_detail"]))
        yield dict(by_check)


def test_every_finding_passes_but_those_listed(findings):
    unexpected = {
        check: results
        for check, results in findings.items()
        if {status for status, _detail in results} != {NOT_PASSING.get(check, ("PASS",))[0]}
    }
    assert not unexpected, f"checks with an unexpected status: {json.dumps(unexpected, indent=1)}"


def test_the_checks_that_matter_are_run(findings):
    assert not REQUIRED - set(findings), f"not run, or no finding: {sorted(REQUIRED - set(findings))}"
    assert not set(NOT_PASSING) - set(findings), f"not run: {sorted(set(NOT_PASSING) - set(findings))}"


def test_the_checks_listed_as_reporting_nothing_report_nothing(findings):
    # If one of them starts to report, it must be judged (and pass) like the others.
    assert not set(NO_FINDINGS) & set(findings), sorted(set(NO_FINDINGS) & set(findings))


def test_the_management_events_selector_is_recognised(findings):
    [(status, detail)] = findings["cloudtrail_multi_region_enabled_logging_management_events"]
    assert status == "PASS" and "is multi-region, is logging and have management events enabled" in detail, detail
