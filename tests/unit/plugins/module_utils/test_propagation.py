"""Unit tests for plugins/module_utils/propagation.py and the wrappers it decorates.

A fake clock stands in for time.monotonic and time.sleep, so the bound is tested without sleeping: each sleep
moves the clock on by what was asked.
"""

from unittest.mock import MagicMock

import pytest
from botocore.exceptions import EndpointConnectionError

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import cloudtrail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import config
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import organizations
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import propagation

TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
KEY_ARN = "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::111122223333:role/CloudTrailToCloudWatchLogs"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/org-trail:*"
CREATE = {
    "Name": "org-trail",
    "S3BucketName": "acme-cloudtrail",
    "KmsKeyId": KEY_ARN,
    "CloudWatchLogsRoleArn": ROLE_ARN,
    "CloudWatchLogsLogGroupArn": LOG_GROUP_ARN,
}
TRAIL_CODES = (
    "InsufficientEncryptionPolicyException",
    "InsufficientS3BucketPolicyException",
    "InvalidCloudWatchLogsRoleArnException",
    "InvalidCloudWatchLogsLogGroupArnException",
    "CloudTrailAccessNotEnabledException",
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(name="clock")
def fixture_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(propagation.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(propagation.time, "sleep", clock.sleep)
    return clock


# ---------------------------------------------------------------- the decorator


@pytest.mark.parametrize("code", TRAIL_CODES)
def test_a_propagation_error_is_retried_until_it_passes(clock, code, client_error):
    client = MagicMock()
    refusal = client_error(code, "CreateTrail")
    client.create_trail.side_effect = [refusal, refusal, {"TrailARN": TRAIL_ARN}]
    assert cloudtrail.create_trail(client, **CREATE) == {"TrailARN": TRAIL_ARN}
    assert client.create_trail.call_count == 3
    assert len(clock.sleeps) == 2
    # Jittered waits from 1/40 of the bound: the first is at most 3 s, the second at most 6 s.
    assert clock.sleeps[0] <= 3 and clock.sleeps[1] <= 6


def test_waits_grow_to_a_quarter_of_the_bound_and_stop_at_the_bound(clock, monkeypatch, client_error):
    monkeypatch.setattr(propagation.BackoffIterator, "__next__", _no_jitter)
    client = MagicMock()
    client.create_trail.side_effect = client_error("InsufficientEncryptionPolicyException", "CreateTrail")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError) as raised:
        cloudtrail.create_trail(client, propagation_timeout=120, **CREATE)
    # 3, 6, 12, 24, then 30 (a quarter of 120) until 120 s are spent; the last wait is cut to the bound.
    assert clock.sleeps == [3, 6, 12, 24, 30, 30, 15]
    assert sum(clock.sleeps) == 120
    assert client.create_trail.call_count == 8
    assert "after waiting 120 s (8 attempts)" in raised.value.message


def _no_jitter(self):
    value = min(self.current_delay, self.max_delay)
    self.current_delay *= self.backoff
    return value


def test_a_permanent_error_fails_after_the_bound_with_the_cause(clock, client_error):
    client = MagicMock()
    client.create_trail.side_effect = client_error("InsufficientEncryptionPolicyException", "CreateTrail")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError) as raised:
        cloudtrail.create_trail(client, propagation_timeout=30, **CREATE)
    assert 29.999 <= sum(clock.sleeps) <= 30.001
    message = raised.value.message
    assert message.startswith("Failed to create trail after waiting 30 s (")
    assert f"The policy of KMS key {KEY_ARN} does not let cloudtrail.amazonaws.com encrypt" in message
    assert "for trail org-trail" in message and "bucket acme-cloudtrail" in message
    assert "propagation_timeout (or TRAILGUARD_PROPAGATION_TIMEOUT)" in message
    # The AWS error itself is kept, so the module's failure shows AWS's code and message after ours.
    assert raised.value.exception.response["Error"]["Code"] == "InsufficientEncryptionPolicyException"
    assert str(raised.value).endswith(
        "AWS's answer: An error occurred (InsufficientEncryptionPolicyException) when calling the CreateTrail "
        "operation: InsufficientEncryptionPolicyException happened"
    )


@pytest.mark.parametrize(
    "code, cause",
    [
        ("InsufficientS3BucketPolicyException", "The policy of bucket acme-cloudtrail does not let"),
        ("InvalidCloudWatchLogsRoleArnException", f"CloudTrail cannot assume role {ROLE_ARN}"),
        (
            "InvalidCloudWatchLogsLogGroupArnException",
            f"The policy of role {ROLE_ARN} does not let CloudTrail write to log group {LOG_GROUP_ARN}",
        ),
        ("CloudTrailAccessNotEnabledException", "Trusted access for cloudtrail.amazonaws.com is not enabled"),
    ],
)
def test_each_cloudtrail_error_names_its_cause(clock, code, cause, client_error):
    client = MagicMock()
    client.create_trail.side_effect = client_error(code, "CreateTrail")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError, match="after waiting 5 s") as raised:
        cloudtrail.create_trail(client, propagation_timeout=5, **CREATE)
    assert cause in raised.value.message


def test_an_update_names_the_trail_by_its_arn_and_the_trail_s_own_key(clock, client_error):
    client = MagicMock()
    client.update_trail.side_effect = client_error("InsufficientEncryptionPolicyException", "UpdateTrail")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError) as raised:
        cloudtrail.update_trail(client, TRAIL_ARN, propagation_timeout=5, IsOrganizationTrail=True)
    assert raised.value.message.startswith("Failed to update trail after waiting 5 s")
    assert (
        "The policy of the trail's KMS key does not let cloudtrail.amazonaws.com encrypt log files for trail "
        f"{TRAIL_ARN}"
    ) in raised.value.message
    client.update_trail.assert_called_with(Name=TRAIL_ARN, IsOrganizationTrail=True)


def test_insight_selectors_wait_for_the_bucket_policy(clock, client_error):
    client = MagicMock()
    client.put_insight_selectors.side_effect = [
        client_error("InsufficientS3BucketPolicyException", "PutInsightSelectors"),
        {},
    ]
    selectors = [{"InsightType": "ApiCallRateInsight"}]
    cloudtrail.put_insight_selectors(client, TRAIL_ARN, selectors, propagation_timeout=10)
    assert client.put_insight_selectors.call_count == 2
    client.put_insight_selectors.assert_called_with(TrailName=TRAIL_ARN, InsightSelectors=selectors)


@pytest.mark.parametrize(
    "error",
    [
        "AccessDeniedException",
        "InvalidKmsKeyIdException",
        EndpointConnectionError(endpoint_url="https://cloudtrail.us-east-1.amazonaws.com"),
    ],
    ids=["AccessDenied", "another CloudTrail error", "no error code"],
)
def test_other_errors_fail_at_once(clock, error, client_error):
    client = MagicMock()
    client.create_trail.side_effect = client_error(error, "CreateTrail") if isinstance(error, str) else error
    with pytest.raises(cloudtrail.AnsibleCloudTrailError) as raised:
        cloudtrail.create_trail(client, **CREATE)
    assert raised.value.message == "Failed to create trail"
    assert client.create_trail.call_count == 1
    assert clock.sleeps == []


def test_calls_that_aws_does_not_refuse_for_propagation_are_not_retried(clock, client_error):
    """StartLogging's API reference lists none of these errors, so one would be a real problem."""
    client = MagicMock()
    client.start_logging.side_effect = client_error("InsufficientEncryptionPolicyException", "StartLogging")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError) as raised:
        cloudtrail.start_logging(client, TRAIL_ARN)
    assert raised.value.message == "Failed to start logging"
    assert client.start_logging.call_count == 1


def test_a_zero_bound_tries_once_and_still_names_the_cause(clock, client_error):
    client = MagicMock()
    client.create_trail.side_effect = client_error("InvalidCloudWatchLogsRoleArnException", "CreateTrail")
    with pytest.raises(cloudtrail.AnsibleCloudTrailError, match=r"after waiting 0 s \(1 attempt\) for"):
        cloudtrail.create_trail(client, propagation_timeout=0, **CREATE)
    assert client.create_trail.call_count == 1
    assert clock.sleeps == []


# ---------------------------------------------------------------- AWS Config and Organizations


def test_the_recorder_waits_for_its_role(clock, client_error):
    client = MagicMock()
    client.put_configuration_recorder.side_effect = [
        client_error("InvalidRoleException", "PutConfigurationRecorder"),
        {},
    ]
    recorder = {"name": "default", "roleARN": "arn:aws:iam::111122223333:role/TrailguardConfigRecorder"}
    assert config.put_recorder(client, recorder, propagation_timeout=10) is True
    assert client.put_configuration_recorder.call_count == 2


def test_the_recorder_names_the_role_it_cannot_use(clock, client_error):
    client = MagicMock()
    client.put_configuration_recorder.side_effect = client_error("InvalidRoleException", "PutConfigurationRecorder")
    role = "arn:aws:iam::111122223333:role/TrailguardConfigRecorder"
    with pytest.raises(config.AnsibleConfigError) as raised:
        config.put_recorder(client, {"name": "default", "roleARN": role}, propagation_timeout=10)
    assert raised.value.message.startswith("Failed to put configuration recorder after waiting 10 s")
    assert f"AWS Config cannot use role {role}: it must exist and its trust policy must allow" in raised.value.message


def test_the_cloudtrail_delegated_admin_waits_for_trusted_access(clock, client_error):
    client = MagicMock()
    client.register_organization_delegated_admin.side_effect = [
        client_error("CloudTrailAccessNotEnabledException", "RegisterOrganizationDelegatedAdmin"),
        {},
    ]
    assert organizations.register_cloudtrail_delegated_admin(client, "210987654321", propagation_timeout=10)
    assert client.register_organization_delegated_admin.call_count == 2
    client.register_organization_delegated_admin.side_effect = client_error(
        "CloudTrailAccessNotEnabledException", "RegisterOrganizationDelegatedAdmin"
    )
    with pytest.raises(organizations.AnsibleOrganizationsError, match="Trusted access for cloudtrail.amazonaws.com"):
        organizations.register_cloudtrail_delegated_admin(client, "210987654321", propagation_timeout=10)


# ---------------------------------------------------------------- the option


def test_the_option_defaults_to_two_minutes_and_the_environment_sets_it(monkeypatch):
    validator = ArgumentSpecValidator({"propagation_timeout": propagation.PROPAGATION_TIMEOUT_SPEC})
    monkeypatch.delenv(propagation.PROPAGATION_TIMEOUT_ENV, raising=False)
    assert validator.validate({}).validated_parameters["propagation_timeout"] == 120
    monkeypatch.setenv(propagation.PROPAGATION_TIMEOUT_ENV, "15")
    assert validator.validate({}).validated_parameters["propagation_timeout"] == 15
    assert validator.validate({"propagation_timeout": 7}).validated_parameters["propagation_timeout"] == 7


@pytest.mark.parametrize("value, error", [(0, None), (300, None), (-1, "propagation_timeout must be 0")])
def test_check_propagation_timeout(value, error):
    result = propagation.check_propagation_timeout(value)
    assert result == error if error is None else result.startswith(error)
