"""AWS's eventual consistency: the playbook waits out each propagation error, and a lasting one fails clearly.

For a while after a change, AWS refuses the calls that depend on it with errors that read as permanent (IAM User
Guide, "Troubleshoot IAM": "Changes that I make are not always immediately visible",
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
tools/fault_proxy.py answers each such call with AWS's own error (code, HTTP status, message, in the service's
protocol) the first times, as AWS does while a change propagates, or always, as AWS does when the change is really
missing:

- CloudTrail, CreateTrail (and UpdateTrail): InvalidCloudWatchLogsRoleArnException ("the provided role is not
  valid"), InvalidCloudWatchLogsLogGroupArnException, InsufficientEncryptionPolicyException ("the policy on the S3
  bucket or KMS key does not have sufficient permissions"), InsufficientS3BucketPolicyException,
  CloudTrailAccessNotEnabledException ("trusted access has not been enabled between CloudTrail and
  Organizations"): the Errors sections of the CloudTrail API Reference, CreateTrail and UpdateTrail,
  https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html; the key policy CloudTrail
  needs: CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail".
- CloudTrail, PutInsightSelectors: InsufficientEncryptionPolicyException and InsufficientS3BucketPolicyException
  (API Reference, PutInsightSelectors, Errors); RegisterOrganizationDelegatedAdmin:
  CloudTrailAccessNotEnabledException (API Reference, RegisterOrganizationDelegatedAdmin, Errors).
- AWS Config, PutConfigurationRecorder: InvalidRoleException (AWS Config API Reference,
  https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationRecorder.html); PutDeliveryChannel:
  InsufficientDeliveryPolicyException, "Your Amazon S3 bucket policy does not allow AWS Config to write to it"
  (https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html).
- S3, PutBucketNotificationConfiguration: 400 InvalidArgument "Unable to validate the following destination
  configurations". S3 "first verifies that any ... Amazon SQS destination exists, and that the bucket owner has
  permission to publish to it by sending a test notification" (Amazon S3 API Reference,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html); the message and
  the permissions S3 needs: Amazon S3 User Guide, "Using Amazon SQS, Amazon SNS, and Lambda" and "Granting
  permissions to publish event notification messages to a destination",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html.

One emulator, one member. First, on the untouched organization, two runs where a call is always refused (the SIEM
notification; CreateTrail) must each fail after the short bound, with a message that names the cause (a play whose
only host fails ends the run, so one such failure a run). Then the full playbook (AWS Config, Insights, the SIEM kit
and a CloudTrail delegated administrator on, so that every such call is made) runs with each of those calls refused
the first times, and must converge. The bounds are short (TRAILGUARD_PROPAGATION_TIMEOUT,
siem_kit_propagation_timeout) so that the test does not wait two minutes a call. A lasting InvalidRoleException
of the recorder is covered by the unit tests (tests/unit/plugins/module_utils/test_propagation.py).
"""

import json
import re
import textwrap
import time
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
from fault_proxy import ALWAYS
from fault_proxy import FaultProxy
from support import ansible_env
from support import member_session
from support import playbook
from support import write_inventory

MEMBERS = 1
# Seconds our modules wait (TRAILGUARD_PROPAGATION_TIMEOUT); the SIEM notification task waits in 5-second steps.
BOUND = 6
SIEM_BOUND = 10
TRAIL = "acme-organization-trail"
NOT_MONITORING = ("-e", "trailguard_cis_monitoring=false", "-e", "trailguard_access_groups=false")
# Each call that AWS refuses while a change propagates, with the answers it gets before it goes through.
TRANSIENT = {
    "cloudtrail:CreateTrail": [
        ("InvalidCloudWatchLogsRoleArnException", 1),
        ("InvalidCloudWatchLogsLogGroupArnException", 1),
        ("InsufficientEncryptionPolicyException", 1),
        ("InsufficientS3BucketPolicyException", 1),
        ("CloudTrailAccessNotEnabledException", 1),
    ],
    "cloudtrail:PutInsightSelectors": [
        ("InsufficientS3BucketPolicyException", 1),
        ("InsufficientEncryptionPolicyException", 1),
    ],
    "cloudtrail:RegisterOrganizationDelegatedAdmin": [("CloudTrailAccessNotEnabledException", 2)],
    "config:PutConfigurationRecorder": [("InvalidRoleException", 2)],
    "config:PutDeliveryChannel": [("InsufficientDeliveryPolicyException", 2)],
    "s3:PutBucketNotificationConfiguration": [("InvalidArgument", 2)],
}


def _run(work, name, url, inventory, args, aws_errors):
    with FaultProxy(url, log_path=work / f"{name}.jsonl", aws_errors=aws_errors) as proxy:
        env = ansible_env(proxy.url, TRAILGUARD_PROPAGATION_TIMEOUT=str(BOUND))
        started = time.monotonic()
        result = playbook(proxy.url, inventory, "org_cloudtrail.yml", *args, check=False, env=env)
        seconds = time.monotonic() - started
    (work / f"{name}.log").write_text(result.stdout + result.stderr)
    return {"result": result, "seconds": seconds, "requests": proxy.requests}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("propagation")
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(variable, value)
            org = seed_org.seed(members=MEMBERS)
            inventory = write_inventory(work / "inventory", org)
            audit, member = org["log_archive"]["account_id"], org["members"][0]["account_id"]
            # The SIEM kit is the log-archive play's last role: that play fails, and the run ends.
            lasting_notification = _run(
                work,
                "lasting-notification",
                url,
                inventory,
                NOT_MONITORING + ("-e", f"siem_kit_propagation_timeout={SIEM_BOUND // 2}"),
                {"s3:PutBucketNotificationConfiguration": ("InvalidArgument", ALWAYS)},
            )
            # The SIEM kit off, so that the converging run still has its notification to set.
            lasting_trail = _run(
                work,
                "lasting-trail",
                url,
                inventory,
                NOT_MONITORING + ("-e", "trailguard_siem_kit=false"),
                {"cloudtrail:CreateTrail": ("InsufficientEncryptionPolicyException", ALWAYS)},
            )
            converging = _run(
                work,
                "converging",
                url,
                inventory,
                NOT_MONITORING
                + (
                    "-e",
                    "trailguard_aws_config=true",
                    "-e",
                    f"siem_kit_propagation_timeout={SIEM_BOUND}",
                    "-e",
                    f"trail_delegated_admin_account_id={audit}",
                    "-e",
                    json.dumps({"trail_insight_selectors": ["ApiCallRateInsight"]}),
                ),
                TRANSIENT,
            )
            yield {
                "lasting-notification": lasting_notification,
                "lasting-trail": lasting_trail,
                "converging": converging,
                "org": org,
                "audit": audit,
                "member": member,
                "url": url,
            }
    finally:
        emulator.stop(state_dir)


def _output(run):
    return run["result"].stdout + run["result"].stderr


def _fatal(run, host):
    """The message of the last failure of `host` (ansible.cfg shows results as YAML, indented under the line)."""
    failures = re.findall(rf"^fatal: \[{re.escape(host)}\]: FAILED! => *\n((?:^ .*\n)+)", _output(run) + "\n", re.M)
    assert failures, f"no failure of {host}:\n{_output(run)[-6000:]}"
    return yaml.safe_load(textwrap.dedent(failures[-1]))["msg"]


def _answers(run, action):
    """What each request of `action` got: the injected error code, or the HTTP status of the emulator's answer."""
    return [
        record["injected"] or record["status"]
        for record in run["requests"]
        if action == f"{record['service']}:{record['action']}"
    ]


# ---------------------------------------------------------------- a refusal that lasts


def test_a_lasting_refusal_of_the_trail_fails_after_the_bound_naming_the_key(runs):
    run = runs["lasting-trail"]
    assert run["result"].returncode != 0
    message = _fatal(run, "management")
    assert re.match(rf"Failed to create trail after waiting {BOUND} s \(\d+ attempts\)", message), message
    key = re.search(r"The policy of KMS key (arn:aws:kms:us-east-1:(\d{12}):key/[0-9a-f-]+) does not let", message)
    assert key and key.group(2) == runs["audit"], message
    assert f"encrypt log files for trail {TRAIL}" in message
    assert "If that changed just now, run again, or wait longer with propagation_timeout" in message
    assert "An error occurred (InsufficientEncryptionPolicyException) when calling the CreateTrail operation" in message
    # Retried with growing waits, within the bound: more than one attempt, far fewer than a busy loop would make.
    attempts = _answers(run, "cloudtrail:CreateTrail")
    assert 3 <= len(attempts) <= 20 and set(attempts) == {"InsufficientEncryptionPolicyException"}


def test_a_lasting_refusal_of_the_notification_says_what_s3_needs(runs):
    run = runs["lasting-notification"]
    assert run["result"].returncode != 0
    message = _fatal(run, "audit")
    assert message.startswith(
        f"S3 still refused to notify queue arn:aws:sqs:us-east-1:{runs['audit']}:acme-siem-cloudtrail"
    )
    assert "the queue policy must let s3.amazonaws.com send to it" in message
    assert "must let s3.amazonaws.com use it (kms:GenerateDataKey, kms:Decrypt)" in message
    assert message.endswith("Unable to validate the following destination configurations")
    # siem_kit_propagation_timeout 5: one try, then one more after 5 s.
    assert _answers(run, "s3:PutBucketNotificationConfiguration") == ["InvalidArgument"] * 2
    assert "FAILED - RETRYING: [audit]: Notify the queue of every new object" in _output(run)


# ---------------------------------------------------------------- refusals while changes propagate


def test_the_playbook_converges_through_every_propagation_error(runs):
    run = runs["converging"]
    assert run["result"].returncode == 0, _output(run)[-8000:]
    for action, answers in TRANSIENT.items():
        refusals = [code for code, times in answers for _time in range(times)]
        got = _answers(run, action)
        assert got[: len(refusals)] == refusals, (action, got)
        assert got[len(refusals)] == 200, (action, got)
    print(f"\nconverged through {sum(len(_answers(run, a)) for a in TRANSIENT)} calls in {run['seconds']:.0f} s")


def test_what_was_refused_at_first_is_in_place(runs):
    assert runs["converging"]["result"].returncode == 0
    org, url = runs["org"], runs["url"]
    cloudtrail = boto3.client("cloudtrail", endpoint_url=url)
    trail = cloudtrail.get_trail(Name=TRAIL)["Trail"]
    assert trail["IsOrganizationTrail"] and trail["KmsKeyId"].split(":")[4] == runs["audit"]
    assert [s["InsightType"] for s in cloudtrail.get_insight_selectors(TrailName=TRAIL)["InsightSelectors"]] == [
        "ApiCallRateInsight"
    ]
    admins = boto3.client("organizations", endpoint_url=url).list_delegated_administrators(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )["DelegatedAdministrators"]
    assert [admin["Id"] for admin in admins] == [runs["audit"]]
    for account_id in (org["management"]["account_id"], runs["audit"], runs["member"]):
        session = (
            boto3.session.Session()
            if account_id == org["management"]["account_id"]
            else member_session(url, account_id)
        )
        config = session.client("config", endpoint_url=url, region_name=emulator.DEFAULT_REGION)
        assert config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]["recording"]
        assert config.describe_delivery_channels()["DeliveryChannels"][0]["s3BucketName"] == "acme-cloudtrail"
    s3 = member_session(url, runs["audit"]).client("s3", endpoint_url=url)
    queues = s3.get_bucket_notification_configuration(Bucket="acme-cloudtrail")["QueueConfigurations"]
    assert [queue["QueueArn"] for queue in queues] == [f"arn:aws:sqs:us-east-1:{runs['audit']}:acme-siem-cloudtrail"]
