"""Unit tests for the s3_bucket_settings module.

The pure functions and ensure_bucket run against MagicMock clients (every write, its order, and the absence of
writes in check mode are visible); main() runs against moto's in-process mock, with the emulator's patches.
"""

import json
from unittest.mock import MagicMock

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import s3 as s3_utils
from ansible_collections.trailguard.cloudtrail.plugins.modules import s3_bucket_settings as module

LOGS, ACCESS = "tg-cloudtrail", "tg-cloudtrail-access-logs"
ALL_BLOCKED = {
    "block_public_acls": True,
    "ignore_public_acls": True,
    "block_public_policy": True,
    "restrict_public_buckets": True,
}
RETENTION = {
    "ID": "tg-retention",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "Expiration": {"Days": 180},
    "NoncurrentVersionExpiration": {"NoncurrentDays": 180},
}
GLACIER = {
    "ID": "tg-glacier",
    "Status": "Enabled",
    "Filter": {"And": {"Prefix": "", "ObjectSizeGreaterThan": 131072}},
    "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
}
FOREIGN_RULE = {"ID": "team-cleanup", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
FOREIGN_STATEMENT = {
    "Sid": "AuditorsRead",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{LOGS}/*",
}


LOG_DELIVERY = {
    "Sid": "TgServerAccessLogs",
    "Effect": "Allow",
    "Principal": {"Service": "logging.s3.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"arn:aws:s3:::{ACCESS}/{LOGS}/*",
}


def statement(sid, bucket=LOGS):
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def bucket(name=LOGS, **overrides):
    """A buckets[] entry with the defaults Ansible's argument spec fills in."""
    values = {
        "name": name,
        "object_lock_enabled": False,
        "object_lock_default_retention": None,
        "versioning": None,
        "public_access_block": None,
        "object_ownership": None,
        "encryption": None,
        "lifecycle_rules": None,
        "lifecycle_rule_id_prefix": None,
        "logging": None,
        "tags": None,
        "purge_tags": True,
        "policy": None,
        "policy_sid_prefix": None,
    }
    values.update(overrides)
    return values


# ---------------------------------------------------------------- validation (pure)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"name": "Bad_Name"}, "buckets[0].name must be a valid S3 bucket name"),
        ({"object_lock_default_retention": {"mode": "GOVERNANCE", "days": 1}}, "needs object_lock_enabled=true"),
        (
            {"object_lock_enabled": True, "object_lock_default_retention": {"mode": "GOVERNANCE", "days": 0}},
            "days must be 1 or more",
        ),
        (
            {"encryption": {"sse_algorithm": "AES256", "kms_key_id": "k", "bucket_key_enabled": False}},
            "only valid with sse_algorithm aws:kms",
        ),
        ({"lifecycle_rules": [RETENTION]}, "lifecycle_rule_id_prefix is required"),
        ({"lifecycle_rules": [RETENTION], "lifecycle_rule_id_prefix": "other-"}, "must start with"),
        ({"lifecycle_rules": [RETENTION, RETENTION], "lifecycle_rule_id_prefix": "tg-"}, "used more than once"),
        (
            {"lifecycle_rules": [dict(RETENTION, Status="On")], "lifecycle_rule_id_prefix": "tg-"},
            "Status must be Enabled or Disabled",
        ),
        ({"policy": json.dumps({"Version": "2012-10-17"})}, "an object with a Statement"),
        (
            {"policy": json.dumps(policy(statement("TgTls"), FOREIGN_STATEMENT)), "policy_sid_prefix": "Tg"},
            "these do not: ['AuditorsRead']",
        ),
        ({"policy": json.dumps(policy(statement("TgTls"))), "policy_sid_prefix": ""}, "needs a Sid"),
    ],
)
def test_bad_settings_are_refused_before_any_call(overrides, expected):
    entry = bucket(**overrides)
    error = module.validate_bucket(0, entry, [entry["name"]])
    assert error and expected in error


def test_a_bucket_listed_twice_is_refused():
    assert "listed more than once" in module.validate_bucket(1, bucket(), [LOGS, LOGS])


def test_good_settings_pass():
    entry = bucket(
        lifecycle_rules=[RETENTION, GLACIER],
        lifecycle_rule_id_prefix="tg-",
        policy=json.dumps(policy(statement("TgTls"))),
        policy_sid_prefix="Tg",
    )
    assert module.validate_bucket(0, entry, [LOGS]) is None


# ---------------------------------------------------------------- comparisons (pure)


def test_an_empty_prefix_and_an_absent_one_are_the_same_rule():
    returned = {
        "ID": "tg-glacier",
        "Status": "Enabled",
        "Filter": {"And": {"ObjectSizeGreaterThan": 131072}},
        "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
    }
    assert s3_utils.normalize_lifecycle_rule(GLACIER) == s3_utils.normalize_lifecycle_rule(returned)
    assert s3_utils.normalize_lifecycle_rule(dict(RETENTION, Filter={})) == s3_utils.normalize_lifecycle_rule(RETENTION)
    assert s3_utils.normalize_lifecycle_rule(dict(RETENTION, Filter={"Prefix": "a/"})) != (
        s3_utils.normalize_lifecycle_rule(RETENTION)
    )


def test_owned_statements_are_replaced_and_the_others_kept():
    current = policy(statement("TgOld"), FOREIGN_STATEMENT)
    merged = s3_utils.merge_owned_statements(current, policy(statement("TgTls")), "Tg")
    assert [s["Sid"] for s in merged["Statement"]] == ["TgTls", "AuditorsRead"]
    # A single statement given as an object counts too.
    single = dict(Version="2012-10-17", Statement=FOREIGN_STATEMENT)
    assert s3_utils.merge_owned_statements(single, policy(), "Tg")["Statement"] == [FOREIGN_STATEMENT]


def test_the_public_access_block_compares_all_four_flags():
    assert module.current_public_access_block({"BlockPublicAcls": True}) == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    assert module.wanted_public_access_block(ALL_BLOCKED) == module.current_public_access_block(
        {name: True for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    )


def test_only_the_owned_lifecycle_rules_are_compared_and_replaced():
    entry = bucket(lifecycle_rules=[RETENTION], lifecycle_rule_id_prefix="tg-")
    current = module.empty_bucket("us-east-1")
    current["lifecycle"] = {"Rules": [RETENTION, FOREIGN_RULE]}
    assert module.plan_bucket(entry, current) == []
    current["lifecycle"] = {"Rules": [RETENTION, dict(GLACIER), FOREIGN_RULE]}
    ((setting, before, after),) = module.plan_bucket(entry, current)
    assert (
        setting == "lifecycle_rules"
        and sorted(before) == ["tg-glacier", "tg-retention"]
        and list(after) == ["tg-retention"]
    )
    assert module.wanted_lifecycle_rules(current["lifecycle"]["Rules"], [RETENTION], "tg-") == [RETENTION, FOREIGN_RULE]


# ---------------------------------------------------------------- ensure_bucket against a MagicMock client


def full_bucket():
    return bucket(
        versioning=True,
        public_access_block=ALL_BLOCKED,
        object_ownership="BucketOwnerEnforced",
        encryption={"sse_algorithm": "AES256", "kms_key_id": None, "bucket_key_enabled": False},
        lifecycle_rules=[RETENTION],
        lifecycle_rule_id_prefix="tg-",
        logging={"target_bucket": ACCESS, "target_prefix": f"{LOGS}/"},
        tags={"Project": "tg"},
        policy=json.dumps(policy(statement("TgTls"))),
        policy_sid_prefix="Tg",
    )


def test_check_mode_plans_a_new_bucket_and_writes_nothing():
    client = MagicMock()
    created, changes = module.ensure_bucket(client, full_bucket(), None, "us-east-1", check_mode=True)
    assert created
    assert [setting for setting, _before, _after in changes] == [
        "object_ownership",
        "public_access_block",
        "encryption",
        "versioning",
        "lifecycle_rules",
        "logging",
        "tags",
        "policy",
    ]
    assert not client.method_calls


def test_a_new_bucket_is_created_then_set_with_the_policy_last():
    client = MagicMock()
    client.get_bucket_lifecycle_configuration.return_value = {"Rules": []}
    entry = dict(
        full_bucket(), object_lock_enabled=True, object_lock_default_retention={"mode": "GOVERNANCE", "days": 30}
    )
    module.ensure_bucket(client, entry, None, "eu-west-1", check_mode=False)
    names = [call[0] for call in client.method_calls]
    assert names == [
        "create_bucket",
        "put_object_lock_configuration",
        "put_bucket_ownership_controls",
        "put_public_access_block",
        "put_bucket_encryption",
        "put_bucket_versioning",
        "put_bucket_lifecycle_configuration",
        "put_bucket_logging",
        "put_bucket_tagging",
        "put_bucket_policy",
    ]
    assert client.create_bucket.call_args.kwargs == {
        "Bucket": LOGS,
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
        "ObjectLockEnabledForBucket": True,
    }
    assert client.put_object_lock_configuration.call_args.kwargs["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}},
    }


def test_an_unchanged_bucket_gets_no_write_and_a_drift_only_its_own():
    entry = full_bucket()
    current = module.empty_bucket("us-east-1")
    current.update(
        versioning="Enabled",
        public_access_block=module.wanted_public_access_block(ALL_BLOCKED),
        object_ownership="BucketOwnerEnforced",
        encryption={"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False},
        lifecycle={"Rules": [RETENTION, FOREIGN_RULE], "TransitionDefaultMinimumObjectSize": "varies_by_storage_class"},
        logging={"TargetBucket": ACCESS, "TargetPrefix": f"{LOGS}/"},
        tags={"Project": "tg"},
        policy=policy(FOREIGN_STATEMENT, statement("TgTls")),
    )
    client = MagicMock()
    assert module.ensure_bucket(client, entry, current, "us-east-1", check_mode=False) == (False, [])
    assert not client.method_calls

    # A rule of ours with another expiry: only the lifecycle is put, with the other rule and the default size kept.
    current["lifecycle"]["Rules"][0] = dict(RETENTION, Expiration={"Days": 30})
    created, changes = module.ensure_bucket(client, entry, current, "us-east-1", check_mode=False)
    assert not created and [setting for setting, _b, _a in changes] == ["lifecycle_rules"]
    assert client.put_bucket_lifecycle_configuration.call_args.kwargs == {
        "Bucket": LOGS,
        "LifecycleConfiguration": {"Rules": [RETENTION, FOREIGN_RULE]},
        "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",
    }
    assert [call[0] for call in client.method_calls] == ["put_bucket_lifecycle_configuration"]


def test_versioning_false_suspends_only_an_enabled_bucket():
    entry = bucket(versioning=False)
    current = module.empty_bucket("us-east-1")
    assert module.plan_bucket(entry, current) == []
    current["versioning"] = "Enabled"
    assert module.plan_bucket(entry, current) == [("versioning", "Enabled", "Suspended")]


# ---------------------------------------------------------------- checks before any write


def test_object_lock_on_an_existing_bucket_without_it_is_refused():
    current = module.empty_bucket("us-east-1")
    error = module.check_bucket("buckets[1] (x)", bucket(object_lock_enabled=True), current, "us-east-1", None)
    assert "already exists without Object Lock" in error
    current["object_lock"] = {"ObjectLockEnabled": "Enabled"}
    assert module.check_bucket("w", bucket(object_lock_enabled=True), current, "us-east-1", None) is None
    # A bucket still to be created gets it.
    assert module.check_bucket("w", bucket(object_lock_enabled=True), None, "us-east-1", None) is None


def kms_bucket(key):
    return bucket(encryption={"sse_algorithm": "aws:kms", "kms_key_id": key, "bucket_key_enabled": True})


def test_a_key_in_another_region_is_refused_without_a_call():
    kms = MagicMock()
    key = "arn:aws:kms:us-west-2:123456789012:key/abc"
    error = module.check_bucket("w", kms_bucket(key), None, "us-east-1", kms)
    assert "is in region us-west-2, but the bucket is in region us-east-1" in error
    assert not kms.method_calls


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"KeyMetadata": {"KeyState": "Enabled"}}, None),
        ({"KeyMetadata": {"KeyState": "Disabled"}}, "the key is Disabled, not Enabled"),
    ],
)
def test_the_key_must_be_enabled(answer, expected):
    kms = MagicMock()
    kms.describe_key.return_value = answer
    error = module.check_bucket("w", kms_bucket("arn:aws:kms:us-east-1:123456789012:key/abc"), None, "us-east-1", kms)
    assert error == expected or expected in error


def test_a_missing_key_is_refused_outside_check_mode_and_one_it_may_not_describe_is_not_checked():
    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

    kms = MagicMock()
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    kms.describe_key.side_effect = ClientError({"Error": {"Code": "NotFoundException"}}, "DescribeKey")
    assert "no such KMS key" in module.check_bucket("w", kms_bucket(key), None, "us-east-1", kms)
    # In check mode it may be the key an earlier task would create.
    assert module.check_bucket("w", kms_bucket(key), None, "us-east-1", kms, check_mode=True) is None
    kms.describe_key.side_effect = ClientError({"Error": {"Code": "AccessDeniedException"}}, "DescribeKey")
    assert module.check_bucket("w", kms_bucket(key), None, "us-east-1", kms) is None


def test_a_log_target_must_exist_in_the_same_region():
    entry = bucket(logging={"target_bucket": ACCESS, "target_prefix": ""})
    assert "does not exist" in module.check_logging_target("w", entry, None, "us-east-1", {ACCESS: None})
    assert "same region" in module.check_logging_target("w", entry, None, "us-east-1", {ACCESS: "eu-west-1"})
    assert module.check_logging_target("w", entry, None, "us-east-1", {ACCESS: "us-east-1"}) is None


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def aws():
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key(Description="trail key")["KeyMetadata"]["Arn"]
        yield boto3.client("s3", region_name="us-east-1"), kms, key


def args(key, **overrides):
    access = bucket(
        ACCESS,
        versioning=True,
        public_access_block=ALL_BLOCKED,
        object_ownership="BucketOwnerEnforced",
        encryption={"sse_algorithm": "AES256"},
        lifecycle_rules=[dict(RETENTION, ID="tg-access-log-retention")],
        lifecycle_rule_id_prefix="tg-",
        tags={"Project": "tg"},
        # moto, like S3, accepts the log target only when its policy lets S3 server access logging write.
        policy=policy(LOG_DELIVERY, statement("TgTls", ACCESS)),
        policy_sid_prefix="Tg",
    )
    logs = bucket(
        LOGS,
        object_lock_enabled=True,
        object_lock_default_retention={"mode": "GOVERNANCE", "days": 30},
        versioning=True,
        public_access_block=ALL_BLOCKED,
        object_ownership="BucketOwnerEnforced",
        encryption={"sse_algorithm": "aws:kms", "kms_key_id": key, "bucket_key_enabled": True},
        lifecycle_rules=[RETENTION, GLACIER],
        lifecycle_rule_id_prefix="tg-",
        logging={"target_bucket": ACCESS, "target_prefix": f"{LOGS}/"},
        tags={"Project": "tg"},
        policy=policy(statement("TgTls")),
        policy_sid_prefix="Tg",
    )
    # Only what a task would write: Ansible's argument spec fills in the rest.
    entries = [{k: v for k, v in entry.items() if v is not None} for entry in (access, logs)]
    for entry in entries:
        entry.update(overrides.get(entry["name"], {}))
    return {"buckets": entries}


def names(s3):
    return sorted(b["Name"] for b in s3.list_buckets()["Buckets"])


def test_check_mode_then_apply_then_idempotent(aws, run_module):
    s3, _kms, key = aws
    result = run_module(module.main, args(key), check_mode=True, diff=True)
    assert result["changed"] and [b["created"] for b in result["buckets"]] == [True, True]
    assert result["diff"]["after"][LOGS]["bucket"] == "present"
    assert [s["Sid"] for s in result["diff"]["after"][LOGS]["policy"]["Statement"]] == ["TgTls"]
    assert names(s3) == []

    result = run_module(module.main, args(key))
    assert result["changed"] and names(s3) == [LOGS, ACCESS]
    assert result["buckets"][1] == {
        "name": LOGS,
        "region": "us-east-1",
        "created": True,
        "changed": [
            "object_lock_default_retention",
            "object_ownership",
            "public_access_block",
            "encryption",
            "versioning",
            "lifecycle_rules",
            "logging",
            "tags",
            "policy",
        ],
    }
    lock = s3.get_object_lock_configuration(Bucket=LOGS)["ObjectLockConfiguration"]
    assert lock == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}}
    sse = s3.get_bucket_encryption(Bucket=LOGS)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    assert sse["BucketKeyEnabled"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]
    assert sorted(rule["ID"] for rule in rules) == ["tg-glacier", "tg-retention"]
    assert s3.get_bucket_logging(Bucket=LOGS)["LoggingEnabled"] == {"TargetBucket": ACCESS, "TargetPrefix": f"{LOGS}/"}
    assert [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=ACCESS)["Policy"])["Statement"]] == [
        "TgServerAccessLogs",
        "TgTls",
    ]
    assert s3.get_bucket_tagging(Bucket=ACCESS)["TagSet"] == [{"Key": "Project", "Value": "tg"}]

    for check_mode in (True, False):
        result = run_module(module.main, args(key), check_mode=check_mode, diff=True)
        assert not result["changed"], result["diff"]
        assert result["diff"] == {"before": {}, "after": {}}


def test_drift_is_reported_and_repaired_and_others_rules_and_statements_are_kept(aws, run_module):
    s3, _kms, key = aws
    run_module(module.main, args(key))
    rules = s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]
    s3.put_bucket_lifecycle_configuration(
        Bucket=LOGS, LifecycleConfiguration={"Rules": [r for r in rules if r["ID"] != "tg-glacier"] + [FOREIGN_RULE]}
    )
    s3.put_bucket_policy(Bucket=LOGS, Policy=json.dumps(policy(FOREIGN_STATEMENT)))

    result = run_module(module.main, args(key), check_mode=True, diff=True)
    assert result["changed"] and result["buckets"][1]["changed"] == ["lifecycle_rules", "policy"]
    assert result["buckets"][0]["changed"] == []
    assert list(result["diff"]["after"]) == [LOGS]
    assert "tg-glacier" not in result["diff"]["before"][LOGS]["lifecycle_rules"]
    assert "tg-glacier" in result["diff"]["after"][LOGS]["lifecycle_rules"]

    run_module(module.main, args(key))
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]}
    assert sorted(rules) == ["team-cleanup", "tg-glacier", "tg-retention"]
    assert rules["tg-glacier"]["Filter"]["And"]["ObjectSizeGreaterThan"] == 131072
    sids = [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=LOGS)["Policy"])["Statement"]]
    assert sorted(sids) == ["AuditorsRead", "TgTls"]
    assert not run_module(module.main, args(key))["changed"]


def test_a_changed_rule_filter_replaces_the_rule_rather_than_adding_one(aws, run_module):
    s3, _kms, key = aws
    run_module(module.main, args(key))
    smaller = dict(GLACIER, Filter={"And": {"Prefix": "", "ObjectSizeGreaterThan": 0}})
    result = run_module(module.main, args(key, **{LOGS: {"lifecycle_rules": [RETENTION, smaller]}}))
    assert result["buckets"][1]["changed"] == ["lifecycle_rules"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=LOGS)["Rules"]
    assert [r["Filter"]["And"]["ObjectSizeGreaterThan"] for r in rules if "And" in r.get("Filter", {})] == [0]
    assert len(rules) == 2


def test_object_lock_asked_of_an_existing_bucket_changes_nothing_anywhere(aws, run_module):
    s3, _kms, key = aws
    s3.create_bucket(Bucket=LOGS)
    result = run_module(module.main, args(key))
    assert result["failed"] and "buckets[1] (tg-cloudtrail): object_lock_enabled is true" in result["msg"]
    # The access-log bucket, listed first, was not created either.
    assert names(s3) == [LOGS]


def test_a_disabled_key_changes_nothing(aws, run_module):
    s3, kms, key = aws
    kms.disable_key(KeyId=key.split("/")[-1])
    result = run_module(module.main, args(key))
    assert result["failed"] and "the key is Disabled" in result["msg"]
    assert names(s3) == []


def test_a_bucket_of_another_region_cannot_use_the_key(aws, run_module):
    s3, _kms, key = aws
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=LOGS, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}, ObjectLockEnabledForBucket=True
    )
    result = run_module(module.main, args(key))
    assert result["failed"] and "but the bucket is in region eu-west-1" in result["msg"]
    assert names(s3) == [LOGS]


def test_a_missing_log_target_outside_the_list_is_an_error_even_in_check_mode(aws, run_module):
    s3, _kms, key = aws
    only_logs = {"buckets": [args(key)["buckets"][1]]}
    result = run_module(module.main, only_logs, check_mode=True)
    assert result["failed"] and f"the bucket {ACCESS} does not exist" in result["msg"]
    assert names(s3) == []
