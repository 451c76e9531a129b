"""The Jinja2 tests the roles' validate.yml files use, and the SCP target classifier they share with the modules."""

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import classify_scp_target
from ansible_collections.trailguard.cloudtrail.plugins.test import validation as test_plugins

TESTS = test_plugins.TestModule().tests()
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

CASES = {
    "account_id": (["123456789012", 123456789012], ["12345678901", "1234567890123", " 123456789012", ""]),
    "bucket_name": (
        ["example-cloudtrail", "a.b-c", "abc"],
        ["ab", "Example", "a..b", "192.168.1.1", "xn--abc", "logs-s3alias", "-abc", "a" * 64],
    ),
    "iam_name": (["TrailguardDeploy", "a+b=c,d.e@f_g-h"], ["", "a b", "a/b", "a" * 65]),
    "iam_principal_arn": (
        [
            "arn:aws:iam::123456789012:role/Vendor",
            "arn:aws-us-gov:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:root",
        ],
        ["arn:aws:sts::123456789012:assumed-role/Vendor/session", "arn:aws:iam::*:role/x", "123456789012"],
    ),
    "kms_alias": (
        ["alias/trailguard-cloudtrail", "alias/a/b_c"],
        ["alias/aws/s3", "trailguard", "alias/", "alias/a b"],
    ),
    "kms_key_arn": (
        [KEY_ARN, "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234"],
        [
            "arn:aws:kms:us-east-1:123456789012:alias/trailguard",
            "arn:aws:kms::123456789012:key/1234",
            "arn:aws:kms:us-east-1:1234:key/1234",
            "arn:aws:s3:us-east-1:123456789012:key/1234",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
    ),
    "log_group_name": (["/aws/cloudtrail/organization", "a#b.c_d-e"], ["", "a b", "a:b", "a" * 513]),
    "managed_policy": (
        ["AWSCloudTrail_ReadOnlyAccess", "service-role/AWS_ConfigRole", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
        ["", "a b", "arn:aws:iam::1234:policy/x"],
    ),
    "organization_id": (
        ["o-exampleorgid", "o-a1b2c3d4e5"],
        ["o-short", "O-EXAMPLEORGID", "exampleorgid", "", "r-ab12"],
    ),
    "partition": (["aws", "aws-cn", "aws-us-gov"], ["", "AWS", "azure", "aws-"]),
    "region": (["us-east-1", "us-gov-west-1", "ap-southeast-2"], ["", "us-east", "US-EAST-1", "us-east-1 "]),
    "scp_target": (
        ["root", "r-ab12", "ou-ab12-cdef3456", "/Workloads", "/Workloads/Prod", "123456789012"],
        ["ROOT", "Workloads", "12345678901", ""],
    ),
    "trail_arn": (
        [
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/organization",
            "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/a.b",
        ],
        [
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/a b",
            "arn:aws:cloudtrail::123456789012:trail/organization",
            "arn:aws:s3:us-east-1:123456789012:trail/organization",
            "organization",
        ],
    ),
    "trail_name": (
        ["organization", "org_trail.1", "a-b"],
        ["ab", "a..b", "-ab", "192.168.1.1", "arn:aws:cloudtrail:us-east-1:123456789012:trail/organization"],
    ),
}


def test_every_test_has_cases():
    assert sorted(TESTS) == sorted(CASES)


@pytest.mark.parametrize("name, value", [(name, value) for name, (good, _bad) in CASES.items() for value in good])
def test_accepts(name, value):
    assert TESTS[name](value) is True


@pytest.mark.parametrize(
    "name, value", [(name, value) for name, (_good, bad) in CASES.items() for value in bad + [None]]
)
def test_rejects(name, value):
    assert TESTS[name](value) is False


@pytest.mark.parametrize(
    "value, kind",
    [
        ("root", "root"),
        ("r-ab12", "root"),
        ("ou-ab12-cdef3456", "ou"),
        ("/Workloads", "path"),
        ("/Workloads/Prod", "path"),
        ("123456789012", "account"),
        ("12345678901", None),
        ("Workloads", None),
        ("ROOT", None),
    ],
)
def test_classify_scp_target(value, kind):
    assert classify_scp_target(value) == kind


@pytest.mark.parametrize(
    "partition, region", [("aws", "us-east-1"), ("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")]
)
def test_the_arn_tests_accept_every_partition(partition, region):
    assert TESTS["partition"](partition) and TESTS["region"](region)
    assert TESTS["kms_key_arn"](f"arn:{partition}:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert TESTS["trail_arn"](f"arn:{partition}:cloudtrail:{region}:123456789012:trail/organization")
    assert TESTS["iam_principal_arn"](f"arn:{partition}:iam::123456789012:role/Vendor")
    assert TESTS["managed_policy"](f"arn:{partition}:iam::aws:policy/ReadOnlyAccess")
