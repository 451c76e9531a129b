"""The Athena policies' statements (plugins/plugin_utils/policies.py); their effects are tests/policy."""

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

KEY = "arn:aws:kms:us-east-1:222222222222:key/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
WORK_GROUP = "arn:aws-us-gov:athena:us-gov-west-1:222222222222:workgroup/acme-cloudtrail"


def sids(policy):
    return [statement["Sid"] for statement in policy["Statement"]]


def test_the_results_bucket_denies_plain_http_other_accounts_and_other_keys():
    policy = policies.athena_results_bucket_policy("acme-athena-results", "222222222222", KEY)
    assert sids(policy) == [
        "TrailguardDenyInsecureTransport",
        "TrailguardDenyOtherAccounts",
        "TrailguardDenyOtherEncryption",
        "TrailguardDenyOtherKeys",
    ]
    assert all(statement["Effect"] == "Deny" for statement in policy["Statement"])
    keys = policy["Statement"][3]["Condition"]
    assert keys == {
        "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY},
    }
    without_tls = policies.athena_results_bucket_policy(
        "acme-athena-results", "222222222222", KEY, deny_insecure_transport=False
    )
    assert "TrailguardDenyInsecureTransport" not in sids(without_tls)


def test_the_results_key_is_administered_by_its_account_only():
    policy = policies.athena_results_key_policy("222222222222", partition="aws-cn")
    assert policy["Statement"] == [
        {
            "Sid": "TrailguardKeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws-cn:iam::222222222222:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]


def test_the_reader_trust_lists_each_principal_once():
    trust = policies.athena_reader_trust(["arn:aws:iam::222222222222:role/b", "arn:aws:iam::222222222222:role/a"] * 2)
    assert trust["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::222222222222:role/a", "arn:aws:iam::222222222222:role/b"]
    }
    assert "Resource" not in trust["Statement"][0]


def test_the_reader_policy_is_built_in_the_workgroups_partition_and_region():
    policy = policies.athena_reader_policy(
        WORK_GROUP,
        "acme_cloudtrail",
        "acme-cloudtrail",
        "o-a1b2c3d4e5",
        "acme-athena-results",
        KEY,
        key_prefix="trails",
    )
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert (
        statements["TrailguardReadTheCatalog"]["Resource"][0]
        == "arn:aws-us-gov:glue:us-gov-west-1:222222222222:catalog"
    )
    assert statements["TrailguardReadTheLogs"]["Resource"] == (
        "arn:aws-us-gov:s3:::acme-cloudtrail/trails/AWSLogs/o-a1b2c3d4e5/*/CloudTrail/*"
    )
    assert statements["TrailguardListTheLogs"]["Condition"] == {
        "StringLike": {"s3:prefix": "trails/AWSLogs/o-a1b2c3d4e5/*"}
    }
    assert statements["TrailguardUseTheResultsKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-gov-west-1.amazonaws.com"}
    }
    actions = {
        action
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert not {
        action for action in actions if action.split(":")[1].startswith(("Create", "Update", "Delete", "Put"))
    } - {"s3:PutObject"}
