"""The posture report's pure checks, its readers (MagicMock clients) and the report builder."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import posture_checks
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import FAIL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import MANUAL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import NOT_APPLICABLE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import NOT_CONFIGURED
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.posture_checks import PASS
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.s3 import AnsibleS3Error
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

MANAGEMENT = "111111111111"
AUDIT = "222222222222"
MEMBER = "333333333333"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/org-trail"
KEY_ARN = f"arn:aws:kms:us-east-1:{AUDIT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ORG = {"Id": "o-abcdefghij", "MasterAccountId": MANAGEMENT}
ADVANCED_MANAGEMENT = {
    "AdvancedEventSelectors": [
        {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    ]
}


def by_id(results):
    return {item["id"]: item for item in results}


def status_of(results):
    return {item["id"]: item["status"] for item in results}


# ---------------------------------------------------------------- policies


def bucket_policy(source_arn=TRAIL_ARN, org_prefix="o-abcdefghij"):
    condition = {"StringEquals": {"aws:SourceArn": source_arn}} if source_arn else {}
    return {
        "Statement": [
            {
                "Sid": "TrailguardCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": "arn:aws:s3:::logs",
                "Condition": condition,
            },
            {
                "Sid": "TrailguardCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudtrail.amazonaws.com"]},
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:aws:s3:::logs/AWSLogs/{MANAGEMENT}/*", f"arn:aws:s3:::logs/AWSLogs/{org_prefix}/*"],
                "Condition": condition,
            },
            {
                "Sid": "TrailguardDenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    }


SIDS = ["TrailguardCloudTrailAclCheck", "TrailguardCloudTrailWrite", "TrailguardDenyInsecureTransport"]


def test_policy_problems_for_a_good_policy():
    assert posture_checks.policy_problems(bucket_policy(), SIDS, TRAIL_ARN) == []


def test_policy_problems_names_each_problem():
    assert posture_checks.policy_problems(None, SIDS, TRAIL_ARN) == ["there is no policy"]
    assert posture_checks.policy_problems(bucket_policy(), SIDS + ["TrailguardOther"], TRAIL_ARN) == [
        "statement TrailguardOther is missing"
    ]
    assert posture_checks.policy_problems(bucket_policy(source_arn=None), SIDS, TRAIL_ARN) == [
        "TrailguardCloudTrailAclCheck lets CloudTrail in without an aws:SourceArn condition (confused deputy)",
        "TrailguardCloudTrailWrite lets CloudTrail in without an aws:SourceArn condition (confused deputy)",
    ]
    other = TRAIL_ARN.replace("org-trail", "other")
    assert posture_checks.policy_problems(bucket_policy(source_arn=other), SIDS[:1], TRAIL_ARN) == [
        f"TrailguardCloudTrailAclCheck has aws:SourceArn {other}, not the trail {TRAIL_ARN}",
        f"TrailguardCloudTrailWrite has aws:SourceArn {other}, not the trail {TRAIL_ARN}",
    ]


def test_source_arn_is_found_under_any_operator_and_a_deny_needs_none():
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Condition": {"ArnLike": {"AWS:SourceArn": [TRAIL_ARN]}},
            },
            {"Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}},
            {"Effect": "Allow", "Principal": "*"},
        ]
    }
    assert posture_checks.policy_problems(policy, [], TRAIL_ARN) == []


def test_denies_insecure_transport():
    assert posture_checks.denies_insecure_transport(bucket_policy()) is True
    policy = bucket_policy()
    policy["Statement"][2]["Condition"]["Bool"]["aws:SecureTransport"] = False
    assert posture_checks.denies_insecure_transport(policy) is True
    policy["Statement"][2]["Effect"] = "Allow"
    assert posture_checks.denies_insecure_transport(policy) is False
    assert posture_checks.denies_insecure_transport(None) is False


# ---------------------------------------------------------------- selectors


@pytest.mark.parametrize(
    "selectors, problem",
    [
        (ADVANCED_MANAGEMENT, None),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, None),
        ({"EventSelectors": [{}]}, None),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "m",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ],
                    }
                ]
            },
            "selector 'm' logs only read or only write management events",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "m",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                        ],
                    }
                ]
            },
            "selector 'm' leaves out some event sources: {'Field': 'eventSource', 'NotEquals': ['kms.amazonaws.com']}",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"Name": "d", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            "no advanced event selector logs management events",
        ),
        (
            {"EventSelectors": [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
            "management events from kms.amazonaws.com are left out",
        ),
        (
            {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
            "no event selector logs both read and write management events",
        ),
        ({}, "no event selector logs both read and write management events"),
    ],
)
def test_management_events_problem(selectors, problem):
    assert posture_checks.management_events_problem(selectors) == problem


def s3_advanced(read_only=False):
    fields = [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::logs/"]},
    ]
    if read_only:
        fields.append({"Field": "readOnly", "Equals": ["true"]})
    return {"AdvancedEventSelectors": [{"Name": "s3", "FieldSelectors": fields}]}


@pytest.mark.parametrize(
    "selectors, logged",
    [
        (s3_advanced(), True),
        (s3_advanced(read_only=True), False),
        (ADVANCED_MANAGEMENT, False),
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}, True),
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::"]}]}]}, True),
        (
            {"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one/"]}]}]},
            False,
        ),
        (
            {
                "EventSelectors": [
                    {
                        "ReadWriteType": "ReadOnly",
                        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                    }
                ]
            },
            False,
        ),
    ],
)
def test_s3_data_events_logged(selectors, logged):
    assert posture_checks.s3_data_events_logged(selectors) is logged


# ---------------------------------------------------------------- the trail


def trail_state(**overrides):
    trail = {
        "Name": "org-trail",
        "TrailARN": TRAIL_ARN,
        "HomeRegion": "us-east-1",
        "S3BucketName": "logs",
        "KmsKeyId": KEY_ARN,
        "IsOrganizationTrail": True,
        "IsMultiRegionTrail": True,
        "LogFileValidationEnabled": True,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:/aws/cloudtrail/org-trail:*",
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{MANAGEMENT}:role/ToLogs",
    }
    trail.update(overrides)
    return {"trail": trail, "status": {"IsLogging": True}, "selectors": ADVANCED_MANAGEMENT}


TRAIL_EXPECTED = {
    "name": "org-trail",
    "bucket_name": "logs",
    "kms_key_arn": KEY_ARN,
    "cloudwatch_logs": True,
    "log_group_name": "/aws/cloudtrail/org-trail",
    "s3_data_events": False,
}


def test_a_good_trail():
    results = posture_checks.trail_checks(trail_state(), TRAIL_EXPECTED, MANAGEMENT)
    assert status_of(results) == {
        "trail.exists": PASS,
        "trail.organization": PASS,
        "trail.multi_region": PASS,
        "trail.logging": PASS,
        "trail.log_file_validation": PASS,
        "trail.kms_encryption": PASS,
        "trail.s3_bucket": PASS,
        "trail.cloudwatch_logs": PASS,
        "trail.management_events": PASS,
        "trail.s3_data_events": NOT_CONFIGURED,
    }
    assert {item["account_id"] for item in results} == {MANAGEMENT}
    assert {item["resource"] for item in results} == {TRAIL_ARN}
    assert by_id(results)["trail.log_file_validation"]["controls"] == [
        "CIS 3.2 (v1.4-v5.0)",
        "CIS 4.2 (v6.0-v7.0)",
        "FSBP CloudTrail.4",
    ]


def test_a_missing_trail_fails_every_trail_check():
    results = posture_checks.trail_checks({"trail": None}, TRAIL_EXPECTED, MANAGEMENT)
    assert len(results) == 10 and {item["status"] for item in results} == {FAIL}
    assert results[0]["detail"] == "there is no trail 'org-trail' in the management account"


@pytest.mark.parametrize(
    "overrides, check_id, detail",
    [
        ({"IsOrganizationTrail": False}, "trail.organization", "IsOrganizationTrail is false"),
        ({"IsMultiRegionTrail": False}, "trail.multi_region", "IsMultiRegionTrail is false"),
        ({"LogFileValidationEnabled": False}, "trail.log_file_validation", "LogFileValidationEnabled is false"),
        ({"KmsKeyId": None}, "trail.kms_encryption", "the trail has no KmsKeyId"),
        (
            {"KmsKeyId": "arn:aws:kms:us-east-1:1:key/other"},
            "trail.kms_encryption",
            "KmsKeyId is arn:aws:kms:us-east-1:1:key/other, not",
        ),
        (
            {"S3BucketName": "elsewhere"},
            "trail.s3_bucket",
            "the trail delivers to s3://elsewhere, not to the log bucket logs",
        ),
        (
            {"CloudWatchLogsRoleArn": None},
            "trail.cloudwatch_logs",
            "the trail has no CloudWatch Logs log group or delivery role",
        ),
        (
            {"CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:/other:*"},
            "trail.cloudwatch_logs",
            f"the trail delivers to arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:/other:*, not to /aws/cloudtrail/",
        ),
    ],
)
def test_each_trail_setting_fails_on_its_own(overrides, check_id, detail):
    results = posture_checks.trail_checks(trail_state(**overrides), TRAIL_EXPECTED, MANAGEMENT)
    assert [item["id"] for item in results if item["status"] == FAIL] == [check_id]
    assert by_id(results)[check_id]["detail"].startswith(detail)


def test_a_stopped_trail_and_missing_management_events():
    state = trail_state()
    state["status"] = {"IsLogging": False}
    state["selectors"] = {}
    results = status_of(posture_checks.trail_checks(state, TRAIL_EXPECTED, MANAGEMENT))
    assert [check_id for check_id, status in results.items() if status == FAIL] == [
        "trail.logging",
        "trail.management_events",
    ]


def test_a_key_unknown_to_the_caller_only_needs_to_be_set():
    results = posture_checks.trail_checks(trail_state(), dict(TRAIL_EXPECTED, kms_key_arn=None), MANAGEMENT)
    assert by_id(results)["trail.kms_encryption"]["status"] == PASS


def test_cloudwatch_logs_and_s3_data_events_left_off():
    expected = dict(TRAIL_EXPECTED, cloudwatch_logs=False)
    off = trail_state(CloudWatchLogsLogGroupArn=None, CloudWatchLogsRoleArn=None)
    assert by_id(posture_checks.trail_checks(off, expected, MANAGEMENT))["trail.cloudwatch_logs"]["status"] == NOT_CONFIGURED
    assert by_id(posture_checks.trail_checks(trail_state(), expected, MANAGEMENT))["trail.cloudwatch_logs"]["status"] == PASS

    wanted = dict(TRAIL_EXPECTED, s3_data_events=True)
    assert by_id(posture_checks.trail_checks(trail_state(), wanted, MANAGEMENT))["trail.s3_data_events"]["status"] == FAIL
    state = trail_state()
    state["selectors"] = {
        "AdvancedEventSelectors": ADVANCED_MANAGEMENT["AdvancedEventSelectors"]
        + s3_advanced()["AdvancedEventSelectors"]
    }
    assert by_id(posture_checks.trail_checks(state, wanted, MANAGEMENT))["trail.s3_data_events"]["status"] == PASS
    assert by_id(posture_checks.trail_checks(state, TRAIL_EXPECTED, MANAGEMENT))["trail.s3_data_events"]["status"] == PASS


# ---------------------------------------------------------------- the bucket


def bucket_state(**overrides):
    state = {
        "exists": True,
        "versioning": {"Status": "Enabled"},
        "policy": bucket_policy(),
        "encryption": [
            {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN},
                "BucketKeyEnabled": True,
            }
        ],
        "public_access_block": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        "lifecycle": [
            {
                "ID": "trailguard-retention",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
                "Expiration": {"Days": 180},
            }
        ],
        "logging": {"TargetBucket": "logs-access-logs", "TargetPrefix": "logs/"},
        "object_lock": None,
    }
    state.update(overrides)
    return state


BUCKET_EXPECTED = {
    "name": "logs",
    "access_log_bucket_name": "logs-access-logs",
    "policy_sids": SIDS,
    "deny_insecure_transport": True,
    "glacier_transition_days": 14,
    "expiration_days": 180,
    "object_lock_enabled": False,
    "object_lock_mode": None,
    "object_lock_days": None,
}


def bucket_results(state=None, expected=None, key_ids=(KEY_ARN,)):
    return posture_checks.bucket_checks(
        state or bucket_state(), dict(BUCKET_EXPECTED, **(expected or {})), AUDIT, list(key_ids), TRAIL_ARN, ORG["Id"]
    )


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
def test_the_bucket_arn_is_in_the_callers_partition(partition):
    results = posture_checks.bucket_checks(
        bucket_state(), BUCKET_EXPECTED, AUDIT, [KEY_ARN], TRAIL_ARN, ORG["Id"], partition=partition
    )
    assert {item["resource"] for item in results} == {f"arn:{partition}:s3:::logs"}
    missing = posture_checks.bucket_checks({"exists": False}, BUCKET_EXPECTED, AUDIT, partition=partition)
    assert {item["resource"] for item in missing} == {f"arn:{partition}:s3:::logs"}


def test_a_good_bucket():
    results = bucket_results()
    assert status_of(results) == {
        "bucket.exists": PASS,
        "bucket.policy": PASS,
        "bucket.tls": PASS,
        "bucket.encryption": PASS,
        "bucket.versioning": PASS,
        "bucket.public_access_block": PASS,
        "bucket.lifecycle": PASS,
        "bucket.access_logging": PASS,
        "bucket.object_lock": NOT_CONFIGURED,
        "bucket.mfa_delete": MANUAL,
    }
    assert {item["resource"] for item in results} == {"arn:aws:s3:::logs"}
    assert (
        by_id(results)["bucket.lifecycle"]["detail"]
        == "rule trailguard-retention: Glacier after 14 days (objects of 128 KB or more, S3's default), expiry after "
        "180 days"
    )


def test_mfa_delete_is_a_manual_step_never_a_failure():
    manual = by_id(bucket_results())["bucket.mfa_delete"]
    assert manual["status"] == MANUAL
    assert f"only the root user of account {AUDIT}" in manual["detail"]
    assert "--versioning-configuration Status=Enabled,MFADelete=Enabled" in manual["detail"]
    assert "FSBP S3.20" in manual["controls"]
    on = bucket_state(versioning={"Status": "Enabled", "MFADelete": "Enabled"})
    assert by_id(bucket_results(on))["bucket.mfa_delete"]["status"] == PASS
    # Even with versioning off, MFA Delete stays a manual step: versioning has its own red check.
    off = status_of(bucket_results(bucket_state(versioning={})))
    assert off["bucket.mfa_delete"] == MANUAL and off["bucket.versioning"] == FAIL


def test_a_missing_bucket_fails_every_bucket_check():
    results = bucket_results({"exists": False})
    assert len(results) == 11 and {item["status"] for item in results} == {FAIL}
    assert results[0]["detail"] == f"there is no bucket logs in the log-archive account {AUDIT}"


@pytest.mark.parametrize(
    "overrides, failed, detail",
    [
        ({"policy": None}, ["bucket.policy", "bucket.tls"], "there is no policy"),
        ({"policy": bucket_policy(org_prefix="o-other")}, ["bucket.policy"], "no CloudTrail write statement covers"),
        ({"encryption": None}, ["bucket.encryption"], "default encryption is not set, not SSE-KMS"),
        (
            {"encryption": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            ["bucket.encryption"],
            "default encryption is AES256, not SSE-KMS",
        ),
        (
            {
                "encryption": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "other"}}
                ]
            },
            ["bucket.encryption"],
            f"SSE-KMS with other, not the trail key {KEY_ARN}",
        ),
        ({"versioning": {"Status": "Suspended"}}, ["bucket.versioning"], "versioning is Suspended"),
        ({"public_access_block": {"BlockPublicAcls": True}}, ["bucket.public_access_block"], "off: IgnorePublicAcls"),
        ({"public_access_block": None}, ["bucket.public_access_block"], "off: BlockPublicAcls, IgnorePublicAcls"),
        ({"lifecycle": None}, ["bucket.lifecycle"], "no enabled whole-bucket rule"),
        ({"logging": {}}, ["bucket.access_logging"], "server access logging is off"),
        (
            {"logging": {"TargetBucket": "other"}},
            ["bucket.access_logging"],
            "access logs go to other, not to logs-access-logs",
        ),
    ],
)
def test_each_bucket_setting_fails_on_its_own(overrides, failed, detail):
    results = bucket_results(bucket_state(**overrides))
    assert [item["id"] for item in results if item["status"] == FAIL] == failed
    assert by_id(results)[failed[0]]["detail"].startswith(detail)


@pytest.mark.parametrize(
    "rule, expected, ok",
    [
        ({}, {}, True),
        ({"Status": "Disabled"}, {}, False),
        ({"Filter": {"Prefix": "AWSLogs/"}}, {}, False),
        ({"Expiration": {"Days": 90}}, {}, False),
        ({"Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}, {}, False),
        ({"Transitions": [{"Days": 14, "StorageClass": "STANDARD_IA"}]}, {}, False),
        ({"Expiration": {"Days": 90}}, {"expiration_days": None, "glacier_transition_days": None}, True),
        ({"Expiration": {}}, {"expiration_days": None, "glacier_transition_days": None}, False),
    ],
)
def test_lifecycle_rule(rule, expected, ok):
    base = dict(bucket_state()["lifecycle"][0])
    base.update(rule)
    status = by_id(bucket_results(bucket_state(lifecycle=[base]), expected))["bucket.lifecycle"]["status"]
    assert status == (PASS if ok else FAIL)


def test_lifecycle_transition_and_expiry_in_two_rules_with_the_effective_sizes():
    """The audit_bucket role's rules: the expiry for every object, Glacier only above a minimum size."""
    expiry = {"ID": "trailguard-retention", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 180}}
    glacier = {
        "ID": "trailguard-glacier-transition",
        "Status": "Enabled",
        "Filter": {"And": {"Prefix": "", "ObjectSizeGreaterThan": 131072}},
        "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
    }
    result = by_id(bucket_results(bucket_state(lifecycle=[expiry, glacier])))["bucket.lifecycle"]
    assert result["status"] == PASS
    assert result["detail"] == (
        "rule trailguard-glacier-transition: Glacier after 14 days (objects over 131072 bytes); "
        "rule trailguard-retention: expiry after 180 days"
    )
    # An expiry that spares some sizes keeps those logs forever; a tag filter is not the whole bucket.
    sized = dict(expiry, Filter={"ObjectSizeGreaterThan": 1024})
    assert by_id(bucket_results(bucket_state(lifecycle=[sized, glacier])))["bucket.lifecycle"]["status"] == FAIL
    tagged = dict(glacier, Filter={"And": {"Prefix": "", "Tags": [{"Key": "k", "Value": "v"}]}})
    assert by_id(bucket_results(bucket_state(lifecycle=[expiry, tagged])))["bucket.lifecycle"]["status"] == FAIL


def test_tls_left_off():
    policy = bucket_policy()
    policy["Statement"] = policy["Statement"][:2]
    expected = {"deny_insecure_transport": False, "policy_sids": SIDS[:2]}
    assert by_id(bucket_results(bucket_state(policy=policy), expected))["bucket.tls"]["status"] == NOT_CONFIGURED
    assert by_id(bucket_results(bucket_state(), expected))["bucket.tls"]["status"] == PASS
    assert by_id(bucket_results(bucket_state(policy=policy), {"policy_sids": SIDS[:2]}))["bucket.tls"]["status"] == FAIL


LOCKED = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 90}}}


@pytest.mark.parametrize(
    "lock, expected, status",
    [
        (None, {}, NOT_CONFIGURED),
        (LOCKED, {}, PASS),
        (None, {"object_lock_enabled": True}, FAIL),
        (LOCKED, {"object_lock_enabled": True, "object_lock_mode": "GOVERNANCE", "object_lock_days": 90}, PASS),
        (LOCKED, {"object_lock_enabled": True, "object_lock_mode": "COMPLIANCE", "object_lock_days": 90}, FAIL),
        (LOCKED, {"object_lock_enabled": True, "object_lock_mode": "GOVERNANCE", "object_lock_days": 30}, FAIL),
    ],
)
def test_object_lock_as_configured(lock, expected, status):
    assert by_id(bucket_results(bucket_state(object_lock=lock), expected))["bucket.object_lock"]["status"] == status


def test_bucket_checks_without_known_key_or_access_log_bucket():
    other_key = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "other"}}]
    results = bucket_results(
        bucket_state(encryption=other_key, logging={"TargetBucket": "any"}),
        {"access_log_bucket_name": None},
        key_ids=(),
    )
    assert status_of(results)["bucket.encryption"] == PASS
    assert status_of(results)["bucket.access_logging"] == PASS


# ---------------------------------------------------------------- the key


def key_policy(source_arn=TRAIL_ARN):
    return {
        "Statement": [
            {
                "Sid": "TrailguardKeyAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{AUDIT}:root"},
            },
            {
                "Sid": "TrailguardCloudTrailEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceArn": source_arn}},
            },
        ]
    }


KEY_EXPECTED = {"id": "alias/logs", "policy_sids": ["TrailguardKeyAdministration", "TrailguardCloudTrailEncryptLogs"]}


def key_state(**overrides):
    state = {
        "metadata": {"Arn": KEY_ARN, "KeyId": "1234", "KeyState": "Enabled"},
        "rotation": True,
        "policy": key_policy(),
    }
    state.update(overrides)
    return state


def test_key_checks():
    assert status_of(posture_checks.key_checks(key_state(), KEY_EXPECTED, AUDIT, TRAIL_ARN)) == {
        "kms_key.exists": PASS,
        "kms_key.rotation": PASS,
        "kms_key.policy": PASS,
    }
    missing = posture_checks.key_checks({"metadata": None}, KEY_EXPECTED, AUDIT, TRAIL_ARN)
    assert {item["status"] for item in missing} == {FAIL} and len(missing) == 3
    broken = key_state(
        metadata={"Arn": KEY_ARN, "KeyId": "1234", "KeyState": "PendingDeletion"},
        rotation=False,
        policy=key_policy("x"),
    )
    results = by_id(posture_checks.key_checks(broken, KEY_EXPECTED, AUDIT, TRAIL_ARN))
    assert {item["status"] for item in results.values()} == {FAIL}
    assert results["kms_key.exists"]["detail"] == f"{KEY_ARN} is PendingDeletion: CloudTrail cannot use it"
    assert (
        results["kms_key.policy"]["detail"]
        == f"TrailguardCloudTrailEncryptLogs has aws:SourceArn x, not the trail {TRAIL_ARN}"
    )


# ---------------------------------------------------------------- SCPs and alarms


TREE = {
    "root_id": "r-abcd",
    "ous": {"/": "r-abcd", "/Workloads": "ou-abcd-11111111", "/Workloads/Prod": "ou-abcd-22222222"},
    "labels": {"r-abcd": "root", "ou-abcd-11111111": "/Workloads", "ou-abcd-22222222": "/Workloads/Prod"},
    "accounts": {
        MANAGEMENT: {"name": "management", "status": "ACTIVE", "ou_path": "/", "ancestors": ["r-abcd"]},
        AUDIT: {"name": "audit", "status": "ACTIVE", "ou_path": "/", "ancestors": ["r-abcd"]},
        MEMBER: {
            "name": "prod",
            "status": "ACTIVE",
            "ou_path": "/Workloads/Prod",
            "ancestors": ["ou-abcd-22222222", "ou-abcd-11111111", "r-abcd"],
        },
        "444444444444": {"name": "gone", "status": "SUSPENDED", "ou_path": "/", "ancestors": ["r-abcd"]},
    },
}


@pytest.mark.parametrize(
    "target, resolved",
    [
        ("root", "r-abcd"),
        ("/", "r-abcd"),
        ("/Workloads/", "ou-abcd-11111111"),
        ("/Nope", None),
        ("ou-abcd-22222222", "ou-abcd-22222222"),
        (MEMBER, MEMBER),
    ],
)
def test_resolve_target(target, resolved):
    assert posture_checks.resolve_target(target, TREE) == resolved


def test_scp_checks():
    assert status_of(posture_checks.scp_checks([], {}, TREE, MANAGEMENT)) == {"scps.none": NOT_CONFIGURED}
    expected = [
        {"name": "a", "targets": ["root"]},
        {"name": "b", "targets": ["/Workloads", "/Nope", MEMBER]},
        {"name": "c", "targets": ["root"]},
    ]
    results = by_id(
        posture_checks.scp_checks(expected, {"a": {"r-abcd"}, "b": {"ou-abcd-11111111"}, "c": None}, TREE, MANAGEMENT)
    )
    assert results["scps.a"]["status"] == PASS and results["scps.a"]["detail"] == "attached to root"
    assert results["scps.a"]["title"] == "SCP a attached" and results["scps.a"]["resource"] == "a"
    assert results["scps.b"]["detail"] == f"not attached to /Nope (no such OU), {MEMBER}; attached to /Workloads"
    assert results["scps.c"]["detail"] == "there is no SCP named c"


def test_alarm_checks():
    log_group = f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:/trail:*"
    assert posture_checks.alarm_checks([], {}, log_group, MANAGEMENT)[0]["status"] == NOT_CONFIGURED
    assert posture_checks.alarm_checks(["a"], {}, None, MANAGEMENT)[0]["status"] == FAIL
    state = {
        "alarms": {
            "a": {"Namespace": "NS", "MetricName": "A"},
            "b": {"Namespace": "NS", "MetricName": "B"},
        },
        "metric_filters": [{"metricTransformations": [{"metricNamespace": "NS", "metricName": "A"}]}],
    }
    assert posture_checks.alarm_checks(["a"], state, log_group, MANAGEMENT)[0]["status"] == PASS
    failed = posture_checks.alarm_checks(["a", "b", "c"], state, log_group, MANAGEMENT)[0]
    assert failed["status"] == FAIL
    assert failed["detail"] == "missing: c; no metric filter on the trail's log group emits the metric of b (NS/B)"


# ---------------------------------------------------------------- every account


SCPS = [{"name": "a", "targets": ["root"]}, {"name": "b", "targets": ["/Workloads"]}]
ATTACHED = {"a": {"r-abcd"}, "b": {"ou-abcd-11111111"}}
CLEAN = {"trails": []}


def account_results(account_id, role="member", problem=None, scan=None, scps=None):
    account = {"account_id": account_id, "role": role}
    scan = CLEAN if scan is None else scan
    scps = SCPS if scps is None else scps
    return by_id(posture_checks.account_checks(account, TREE, ORG, problem, scan, scps, ATTACHED))


def test_a_member_covered_through_its_ous():
    results = account_results(MEMBER)
    assert {item["status"] for item in results.values()} == {PASS}
    assert results["account.org_trail"]["detail"] == "ACTIVE member, in /Workloads/Prod"
    assert results["account.scp_coverage"]["detail"] == "a via root; b via /Workloads"


def test_the_management_account_is_out_of_scp_reach():
    results = account_results(MANAGEMENT, role="management")
    assert results["account.scp_coverage"]["status"] == NOT_APPLICABLE


def test_account_checks_that_fail():
    assert account_results(AUDIT)["account.scp_coverage"]["detail"] == "not covered by b"
    assert account_results("444444444444")["account.org_trail"]["detail"] == "the account is SUSPENDED, not ACTIVE"
    stranger = account_results("999999999999")
    assert (
        stranger["account.org_trail"]["detail"] == "account 999999999999 is not a member of organization o-abcdefghij"
    )
    assert stranger["account.scp_coverage"]["detail"] == "not in the organization, so no SCP applies"
    assert (
        account_results(MEMBER, problem="the trail is stopped")["account.org_trail"]["detail"] == "the trail is stopped"
    )
    assert account_results(MEMBER, scps=[])["account.scp_coverage"]["status"] == NOT_CONFIGURED


def test_legacy_trails_and_scan_errors():
    scan = {"trails": [{"name": "old", "arn": "arn", "home_region": "eu-west-1", "is_logging": False}]}
    legacy = account_results(MEMBER, scan=scan)["account.legacy_trails"]
    assert legacy["status"] == FAIL
    assert legacy["detail"].startswith("1 legacy trail(s): old (eu-west-1, stopped). They log")
    # A home region that could not be read is named on its trails.
    unread = {
        "name": "far",
        "arn": "arn2",
        "home_region": "ap-south-2",
        "error": "could not be read in its home region",
    }
    legacy = account_results(MEMBER, scan={"trails": scan["trails"] + [unread]})["account.legacy_trails"]
    assert legacy["detail"].startswith(
        "2 legacy trail(s): old (eu-west-1, stopped), far (ap-south-2, could not be read in its home region). They log"
    )
    error = account_results(MEMBER, scan={"error": "Failed to assume role: AccessDenied"})["account.legacy_trails"]
    assert error["status"] == FAIL
    assert error["detail"] == "could not list the account's trails: Failed to assume role: AccessDenied"


def test_organization_trail_problem():
    good = posture_checks.trail_checks(trail_state(), TRAIL_EXPECTED, MANAGEMENT)
    assert posture_checks.organization_trail_problem(good) is None
    # Validation off does not stop coverage; a single-region trail does.
    no_validation = posture_checks.trail_checks(trail_state(LogFileValidationEnabled=False), TRAIL_EXPECTED, MANAGEMENT)
    assert posture_checks.organization_trail_problem(no_validation) is None
    single = posture_checks.trail_checks(trail_state(IsMultiRegionTrail=False), TRAIL_EXPECTED, MANAGEMENT)
    assert posture_checks.organization_trail_problem(single).startswith(
        "the organization trail is not usable: IsMultiRegionTrail"
    )


# ---------------------------------------------------------------- readers


def test_read_bucket_stops_at_a_missing_bucket(client_error):
    s3 = MagicMock()
    s3.get_bucket_versioning.side_effect = client_error("NoSuchBucket")
    assert posture.read_bucket(s3, "logs") == {"exists": False}
    s3.get_bucket_policy.assert_not_called()


def test_read_key_and_missing_settings(client_error):
    kms = MagicMock()
    kms.describe_key.side_effect = client_error("NotFoundException")
    assert posture.read_key(kms, "alias/logs") == {"metadata": None}
    kms.get_key_policy.assert_not_called()


def test_read_bucket_gives_none_for_each_setting_not_set(client_error):
    s3 = MagicMock()
    s3.get_bucket_versioning.return_value = {"Status": "Enabled", "MFADelete": "Disabled", "ResponseMetadata": {}}
    s3.get_bucket_logging.return_value = {}
    for method, code in (
        ("get_bucket_policy", "NoSuchBucketPolicy"),
        ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
        ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
        ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
        ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ):
        getattr(s3, method).side_effect = client_error(code)
    assert posture.read_bucket(s3, "logs") == {
        "exists": True,
        "versioning": {"Status": "Enabled", "MFADelete": "Disabled"},
        "policy": None,
        "encryption": None,
        "public_access_block": None,
        "lifecycle": None,
        "logging": {},
        "object_lock": None,
    }


def test_other_errors_become_the_services_errors(client_error):
    s3 = MagicMock()
    s3.get_bucket_versioning.side_effect = client_error("AccessDenied")
    with pytest.raises(AnsibleS3Error, match="Failed to get bucket versioning"):
        posture.read_bucket(s3, "logs")


def test_readers_skip_calls_for_nothing_configured():
    organizations, cloudwatch, logs = MagicMock(), MagicMock(), MagicMock()
    assert posture.read_scp_targets(organizations, []) == {}
    assert posture.read_alarms(cloudwatch, logs, [], "/trail") == {"alarms": {}, "metric_filters": []}
    organizations.assert_not_called()
    cloudwatch.get_paginator.assert_not_called()
    logs.get_paginator.assert_not_called()


# ---------------------------------------------------------------- the report


def test_build_report():
    org_checks = (
        posture_checks.trail_checks(trail_state(), TRAIL_EXPECTED, MANAGEMENT)
        + bucket_results()
        + posture_checks.key_checks(key_state(), KEY_EXPECTED, AUDIT, TRAIL_ARN)
        + posture_checks.scp_checks(SCPS, ATTACHED, TREE, MANAGEMENT)
        + posture_checks.alarm_checks([], {}, None, MANAGEMENT)
    )
    accounts = [
        {"account_id": MANAGEMENT, "name": "mgmt", "role": "management"},
        {"account_id": AUDIT, "name": "", "role": "log_archive"},
        {"account_id": MEMBER, "name": "prod", "role": "member"},
    ]
    legacy = {"trails": [{"name": "old", "arn": "arn", "home_region": "us-east-1", "is_logging": True}]}
    per_account = {
        account["account_id"]: posture_checks.account_checks(
            account, TREE, ORG, None, legacy if account["account_id"] == MEMBER else CLEAN, SCPS, ATTACHED
        )
        for account in accounts
    }
    report = posture_checks.build_report(ORG, accounts, org_checks, per_account, TREE, "2026-01-01T00:00:00Z", max_lines=1)

    assert [column["id"] for column in report["columns"]] == [
        "account.org_trail",
        "account.legacy_trails",
        "account.scp_coverage",
        "trail",
        "bucket",
        "kms_key",
        "scps",
        "alarms",
        "athena",
    ]
    management, audit, member = report["accounts"]
    assert audit["name"] == "audit"  # the organization's name when the inventory gives none
    assert [cell and cell["label"] for cell in management["cells"]] == [
        "ok",
        "ok",
        "n/a",
        "9/9",
        None,
        None,
        "2/2",
        "off",
        None,
    ]
    assert [cell and cell["status"] for cell in audit["cells"]] == [PASS, PASS, FAIL, None, MANUAL, PASS, None, None, None]
    assert audit["cells"][4]["label"] == "8/9"
    assert [cell and cell["status"] for cell in member["cells"]] == [PASS, FAIL, PASS, None, None, None, None, None, None]
    assert member["status"] == FAIL and management["status"] == PASS and audit["status"] == FAIL
    assert member["cells"][1]["detail"].startswith("[fail] No legacy account-level trails: 1 legacy trail(s): old")

    summary = report["summary"]
    assert summary["status"] == FAIL
    assert (summary[FAIL], summary[MANUAL], summary[NOT_CONFIGURED], summary[NOT_APPLICABLE]) == (2, 1, 3, 1)
    assert summary["checks"] == len(report["checks"]) == len(org_checks) + 9
    assert (summary["accounts"], summary["accounts_covered"], summary["accounts_failing"]) == (3, 3, 2)
    # An ACTIVE account the inventory does not list is named; a suspended one is not.
    assert summary["accounts_not_in_inventory"] == []
    lines = report["summary_lines"]
    assert lines[0].startswith("Trailguard posture: FAIL - ")
    assert lines[1] == "Accounts: 3 of 3 covered by the organization trail, 2 with failing checks"
    assert lines[2].startswith(f"FAIL audit ({AUDIT}) - Both SCPs apply")  # failures first, then manual steps
    assert lines[3] == "... and 2 more in the report"
    assert report["organization"] == {
        "id": ORG["Id"],
        "management_account_id": MANAGEMENT,
        "log_archive_account_id": AUDIT,
    }


def test_build_report_names_organization_accounts_missing_from_the_inventory():
    accounts = [{"account_id": MANAGEMENT, "role": "management"}]
    report = posture_checks.build_report(ORG, accounts, [], {MANAGEMENT: []}, TREE, "now")
    assert report["summary"]["accounts_not_in_inventory"] == [f"audit ({AUDIT})", f"prod ({MEMBER})"]
    assert report["summary"]["status"] == PASS
    assert report["accounts"][0]["cells"] == [None] * 9
    assert "Not in the inventory, so not checked" in report["summary_lines"][2]


def test_worst():
    assert posture_checks.worst([PASS, MANUAL, NOT_CONFIGURED]) == MANUAL
    assert posture_checks.worst([PASS, FAIL]) == FAIL
    assert posture_checks.worst([NOT_CONFIGURED, NOT_APPLICABLE]) == NOT_CONFIGURED
    assert posture_checks.worst([]) == NOT_APPLICABLE


def test_every_check_has_a_known_group_and_columns_cover_the_groups():
    groups = {group for group, _title, _controls in posture_checks.CHECKS.values()}
    assert groups == {"trail", "bucket", "kms_key", "scps", "alarms", "athena", "account"}
    assert set(posture_checks.GROUP_OWNERS) | {"account"} == groups
    for group, _title, controls in posture_checks.CHECKS.values():
        assert all(control.startswith(("CIS ", "FSBP ")) for control in controls)


# ---------------------------------------------------------------- who is exempt from the MFA statement

BROAD_ROLE = f"arn:aws:iam::{AUDIT}:role/OrganizationAccountAccessRole"
DEPLOY_ROLE = f"arn:aws:iam::{AUDIT}:role/TrailguardDeploy"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"


def exemption(exempt=None, partition="aws"):
    """exemption_checks of a bucket whose policy is the builder's, exempting `exempt`; one check expected."""
    policy = policies.audit_bucket_policy(
        "logs", ORG["Id"], MANAGEMENT, TRAIL_ARN, exempt_principal_arns=exempt or [], partition=partition
    )
    broad = BROAD_ROLE.replace("arn:aws:", f"arn:{partition}:")
    results = posture_checks.exemption_checks({"exists": True, "policy": policy}, broad, AUDIT, "logs", partition)
    assert [item["id"] for item in results] == ["bucket.exempt_principals"]
    assert results[0]["resource"] == f"arn:{partition}:s3:::logs" and results[0]["group"] == "bucket"
    return results[0]


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov"])
def test_the_broad_role_exempt_is_amber(partition):
    item = exemption([BREAK_GLASS, BROAD_ROLE.replace("arn:aws:", f"arn:{partition}:")], partition)
    assert item["status"] == posture_checks.WARN
    assert item["detail"].startswith(f"arn:{partition}:iam::{AUDIT}:role/OrganizationAccountAccessRole is exempt")
    assert "trailguard_deploy_role_name" in item["detail"]


def test_the_broad_role_exempt_through_a_wildcard_is_amber():
    assert exemption([f"arn:aws:iam::{AUDIT}:role/*"])["status"] == posture_checks.WARN


def test_the_switch_over_run_is_amber_until_the_broad_role_is_no_longer_exempt():
    assert exemption([BROAD_ROLE, DEPLOY_ROLE])["status"] == posture_checks.WARN


def test_only_a_deploy_role_exempt_passes():
    item = exemption([BREAK_GLASS, DEPLOY_ROLE])
    assert item["status"] == PASS
    assert item["detail"] == f"exempt: {BREAK_GLASS}, {DEPLOY_ROLE}; not the broad role {BROAD_ROLE}"


def test_no_principal_exempt_passes():
    assert exemption([])["detail"] == "no principal is exempt"


def test_no_mfa_statement_is_not_configured_and_no_bucket_is_left_to_bucket_checks():
    results = posture_checks.exemption_checks({"exists": True, "policy": bucket_policy()}, BROAD_ROLE, AUDIT, "logs")
    assert status_of(results) == {"bucket.exempt_principals": NOT_CONFIGURED}
    assert posture_checks.exemption_checks({"exists": False}, BROAD_ROLE, AUDIT, "logs") == []


def test_warn_is_worse_than_manual_and_counted_in_its_cell():
    assert posture_checks.worst([PASS, MANUAL, posture_checks.WARN]) == posture_checks.WARN
    assert posture_checks.worst([posture_checks.WARN, FAIL]) == FAIL
    checks = [
        {"id": "a", "title": "A", "status": PASS, "detail": ""},
        {"id": "b", "title": "B", "status": posture_checks.WARN, "detail": "why"},
    ]
    cell = posture_checks._cell("bucket", checks)  # pylint: disable=protected-access
    assert (cell["status"], cell["label"]) == (posture_checks.WARN, "1/2")


def organizations_client(children):
    """A MagicMock Organizations client whose listings describe `children`: {parent ID: (OUs, accounts)}."""
    client = MagicMock()

    def paginator(operation):
        def paginate(ParentId=None):  # pylint: disable=invalid-name
            ous, accounts = children.get(ParentId, ([], []))
            results = {
                "list_roots": {"Roots": [{"Id": "r-ab12"}]},
                "list_organizational_units_for_parent": {"OrganizationalUnits": ous},
                "list_accounts_for_parent": {"Accounts": accounts},
            }
            return MagicMock(build_full_result=MagicMock(return_value=results[operation]))

        return MagicMock(paginate=paginate)

    client.get_paginator.side_effect = paginator
    return client


def test_read_organization_tree_reads_state_before_the_deprecated_status():
    client = organizations_client(
        {
            "r-ab12": ([{"Id": "ou-ab12-workload1", "Name": "Workloads"}], [{"Id": "111111111111", "Name": "mgmt"}]),
            "ou-ab12-workload1": (
                [],
                [
                    {"Id": "222222222222", "Name": "new", "State": "SUSPENDED", "Status": "ACTIVE"},
                    {"Id": "333333333333", "Name": "old", "Status": "SUSPENDED"},
                ],
            ),
        }
    )
    tree = posture.read_organization_tree(client)
    assert tree["ous"] == {"/": "r-ab12", "/Workloads": "ou-ab12-workload1"}
    assert tree["labels"]["ou-ab12-workload1"] == "/Workloads"
    assert tree["accounts"]["111111111111"] == {"name": "mgmt", "status": "", "ou_path": "/", "ancestors": ["r-ab12"]}
    assert tree["accounts"]["222222222222"]["status"] == "SUSPENDED"
    assert tree["accounts"]["222222222222"]["ancestors"] == ["ou-ab12-workload1", "r-ab12"]
    assert tree["accounts"]["333333333333"]["status"] == "SUSPENDED"
