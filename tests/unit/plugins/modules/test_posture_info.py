"""posture_info: the whole module against moto's in-process mock.

The `organization` fixture builds what the roles build, with the same policy
builders: a KMS key and the log bucket in the log-archive account, the
organization trail in the management account, both SCPs on the root. Each
test then breaks one thing and checks that exactly that turns red.
"""

import json

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import posture_info
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

REGION = "us-east-1"
MANAGEMENT = "123456789012"
BUCKET = "acme-cloudtrail"
ACCESS_LOGS = "acme-cloudtrail-access-logs"
TRAIL = "acme-organization-trail"
LOG_GROUP = f"/aws/cloudtrail/{TRAIL}"
ALIAS = "alias/acme-cloudtrail"
SCPS = ("trailguard-deny-cloudtrail-tampering", "trailguard-protect-log-archive")
BUCKET_SIDS = [
    "TrailguardCloudTrailAclCheck",
    "TrailguardCloudTrailWrite",
    "TrailguardMemberListOwnPrefix",
    "TrailguardMemberReadOwnPrefix",
    "TrailguardDenyInsecureTransport",
    "TrailguardDenyOutsideOrganization",
    "TrailguardDenyDeletesWithoutMFA",
]
KEY_SIDS = [
    "TrailguardKeyAdministration",
    "TrailguardCloudTrailEncryptLogs",
    "TrailguardCloudTrailDescribeKey",
    "TrailguardOrganizationDecryptLogs",
    "TrailguardCloudWatchLogsUse",
]


def client(service, account=None):
    """A client in the management account, or in `account` through OrganizationAccountAccessRole."""
    if account in (None, MANAGEMENT):
        return boto3.client(service, region_name=REGION)
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="unit-test"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def new_account(org, name, parent_id, root_id):
    status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    org.move_account(AccountId=status["AccountId"], SourceParentId=root_id, DestinationParentId=parent_id)
    return status["AccountId"]


def build_log_archive(audit, org_id, trail_arn, log_group_arn):
    kms = client("kms", audit)
    key = kms.create_key(
        Policy=json.dumps(
            policies.kms_key_policy(
                audit, org_id, MANAGEMENT, trail_arn, REGION, cloudwatch_log_group_arn=log_group_arn
            )
        )
    )["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])

    s3 = client("s3", audit)
    for name in (BUCKET, ACCESS_LOGS):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "trailguard-retention",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
                    "Expiration": {"Days": 180},
                }
            ]
        },
    )
    logging_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{ACCESS_LOGS}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=ACCESS_LOGS, Policy=json.dumps(logging_policy))
    s3.put_bucket_logging(
        Bucket=BUCKET,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": ACCESS_LOGS, "TargetPrefix": f"{BUCKET}/"}},
    )
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(policies.audit_bucket_policy(BUCKET, org_id, MANAGEMENT, trail_arn)),
    )
    return key["Arn"]


def build_trail(key_arn):
    logs = client("logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    role = client("iam").create_role(
        RoleName="TrailguardCloudTrailToCloudWatchLogs",
        AssumeRolePolicyDocument=json.dumps(policies.service_role_trust("cloudtrail.amazonaws.com")),
    )["Role"]["Arn"]
    cloudtrail = client("cloudtrail")
    trail = cloudtrail.create_trail(
        Name=TRAIL,
        S3BucketName=BUCKET,
        IsOrganizationTrail=True,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key_arn,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{MANAGEMENT}:log-group:{LOG_GROUP}:*",
        CloudWatchLogsRoleArn=role,
    )
    selectors = event_selectors.advanced_event_selectors([BUCKET])
    cloudtrail.put_event_selectors(
        TrailName=TRAIL,
        AdvancedEventSelectors=[
            {
                "Name": selector["name"],
                "FieldSelectors": [{"Field": f["field"], "Equals": f["equals"]} for f in selector["field_selectors"]],
            }
            for selector in selectors
        ],
    )
    cloudtrail.start_logging(Name=TRAIL)
    return trail["TrailARN"]


def attach_scps(org, target_id, key_arn):
    ids = []
    contents = (
        policies.scp_deny_trail_tampering(),
        policies.scp_protect_log_archive(BUCKET, key_arn),
    )
    for name, content in zip(SCPS, contents):
        policy = org.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=json.dumps(content)
        )["Policy"]["PolicySummary"]
        org.attach_policy(PolicyId=policy["Id"], TargetId=target_id)
        ids.append(policy["Id"])
    return ids


@pytest.fixture(autouse=True)
def shared_botocore_loader(monkeypatch):
    """Speed only: the module makes a boto3 session per client, and each would re-read botocore's service models."""
    loader = botocore.loaders.create_loader()
    monkeypatch.setattr(botocore.session, "create_loader", lambda *args, **kwargs: loader)


@pytest.fixture
def organization():
    """A compliant organization: management, audit in /Security, a member in /Workloads/Prod and one in /Sandbox."""
    with mock_aws():
        org = client("organizations")
        org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root_id = org.list_roots()["Roots"][0]["Id"]
        org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
        security = org.create_organizational_unit(ParentId=root_id, Name="Security")["OrganizationalUnit"]["Id"]
        workloads = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
        prod = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
        sandbox = org.create_organizational_unit(ParentId=root_id, Name="Sandbox")["OrganizationalUnit"]["Id"]
        audit = new_account(org, "audit", security, root_id)
        prod_1 = new_account(org, "prod-1", prod, root_id)
        sandbox_1 = new_account(org, "sandbox-1", sandbox, root_id)

        trail_arn = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/{TRAIL}"
        log_group_arn = f"arn:aws:logs:{REGION}:{MANAGEMENT}:log-group:{LOG_GROUP}"
        key_arn = build_log_archive(audit, org_id, trail_arn, log_group_arn)
        assert build_trail(key_arn) == trail_arn
        scp_ids = attach_scps(org, root_id, key_arn)
        yield {
            "org": org,
            "id": org_id,
            "root": root_id,
            "ous": {"/Workloads": workloads, "/Workloads/Prod": prod, "/Sandbox": sandbox},
            "audit": audit,
            "prod": prod_1,
            "sandbox": sandbox_1,
            "key_arn": key_arn,
            "scp_ids": scp_ids,
        }


def module_args(org, **overrides):
    args = {
        "trail": {"name": TRAIL, "log_group_name": LOG_GROUP},
        "log_archive_account": {"account_id": org["audit"]},
        "bucket": {
            "name": BUCKET,
            "access_log_bucket_name": ACCESS_LOGS,
            "policy_sids": BUCKET_SIDS,
            "glacier_transition_days": 14,
            "expiration_days": 180,
        },
        "kms_key": {"id": ALIAS, "policy_sids": KEY_SIDS},
        "scps": [{"name": name, "targets": ["root"]} for name in SCPS],
        "accounts": [
            {"account_id": MANAGEMENT, "name": "management"},
            {"account_id": org["audit"], "name": "audit"},
            {"account_id": org["prod"], "name": "prod-1"},
            {"account_id": org["sandbox"], "name": "sandbox-1"},
        ],
    }
    args.update(overrides)
    return args


def statuses(report, account_id=None):
    """{check id: status}, for one account's checks when account_id is given."""
    return {
        item["id"]: item["status"]
        for item in report["checks"]
        if account_id is None or item["account_id"] == account_id and item["group"] == "account"
    }


def failing(report):
    return sorted((item["id"], item["account_id"]) for item in report["checks"] if item["status"] == "fail")


# ---------------------------------------------------------------- the compliant organization


def test_a_compliant_organization_has_no_red_check(run_module, organization):
    result = run_module(posture_info.main, module_args(organization))
    report = result["report"]
    assert result["changed"] is False
    assert failing(report) == []
    assert report["summary"]["status"] == "pass"
    # The only checks that are not green: the manual MFA Delete step, settings left off, SCPs on the management account.
    not_green = sorted((item["id"], item["status"]) for item in report["checks"] if item["status"] != "pass")
    assert not_green == [
        ("account.scp_coverage", "not_applicable"),
        ("alarms.present", "not_configured"),
        ("athena.accounts", "not_configured"),
        ("bucket.mfa_delete", "manual"),
        ("bucket.object_lock", "not_configured"),
        ("trail.s3_data_events", "not_configured"),
    ]
    summary = report["summary"]
    assert summary["accounts"] == summary["accounts_covered"] == 4
    assert summary["accounts_failing"] == 0 and summary["accounts_not_in_inventory"] == []
    assert summary["checks"] == sum(
        summary[status] for status in ("pass", "fail", "manual", "not_configured", "not_applicable")
    )
    assert report["organization"] == {
        "id": organization["id"],
        "management_account_id": MANAGEMENT,
        "log_archive_account_id": organization["audit"],
    }


def test_the_matrix_has_a_row_per_account_and_the_resources_in_their_owners_rows(run_module, organization):
    report = run_module(posture_info.main, module_args(organization))["report"]
    columns = [column["id"] for column in report["columns"]]
    rows = {row["name"]: row for row in report["accounts"]}
    assert list(rows) == ["management", "audit", "prod-1", "sandbox-1"]
    assert [rows[name]["role"] for name in rows] == ["management", "log_archive", "member", "member"]
    assert rows["prod-1"]["ou_path"] == "/Workloads/Prod" and rows["audit"]["ou_path"] == "/Security"

    def cells(name):
        return dict(zip(columns, rows[name]["cells"]))

    assert {column for column, cell in cells("management").items() if cell} == {
        "account.org_trail",
        "account.legacy_trails",
        "account.scp_coverage",
        "trail",
        "scps",
        "alarms",
    }
    assert {column for column, cell in cells("audit").items() if cell} == {
        "account.org_trail",
        "account.legacy_trails",
        "account.scp_coverage",
        "bucket",
        "kms_key",
        "athena",
    }
    assert {column for column, cell in cells("prod-1").items() if cell} == {
        "account.org_trail",
        "account.legacy_trails",
        "account.scp_coverage",
    }
    bucket = cells("audit")["bucket"]
    assert bucket["status"] == "manual" and bucket["label"] == "9/10"
    assert "[manual] True S3 MFA Delete" in bucket["detail"]
    assert cells("management")["trail"] == dict(cells("management")["trail"], status="pass", label="9/9")
    assert rows["prod-1"]["status"] == "pass" and rows["audit"]["status"] == "manual"


def test_check_mode_reads_the_same(run_module, organization):
    normal = run_module(posture_info.main, module_args(organization))["report"]
    checked = run_module(posture_info.main, module_args(organization), check_mode=True)
    assert checked["changed"] is False
    assert statuses(checked["report"]) == statuses(normal)


def test_without_accounts_the_management_and_log_archive_accounts_are_checked(run_module, organization):
    report = run_module(posture_info.main, module_args(organization, accounts=[]))["report"]
    assert [row["account_id"] for row in report["accounts"]] == [MANAGEMENT, organization["audit"]]
    assert sorted(report["summary"]["accounts_not_in_inventory"]) == sorted(
        [f"prod-1 ({organization['prod']})", f"sandbox-1 ({organization['sandbox']})"]
    )
    assert any(line.startswith("Not in the inventory") for line in report["summary_lines"])


# ---------------------------------------------------------------- one thing broken at a time


def test_a_legacy_trail_in_a_member_is_red_for_that_member_only(run_module, organization):
    s3 = client("s3", organization["prod"])
    s3.create_bucket(Bucket="prod-legacy-logs")
    client("cloudtrail", organization["prod"]).create_trail(Name="legacy", S3BucketName="prod-legacy-logs")
    report = run_module(posture_info.main, module_args(organization))["report"]
    assert failing(report) == [("account.legacy_trails", organization["prod"])]
    detail = next(item["detail"] for item in report["checks"] if item["status"] == "fail")
    assert detail.startswith("1 legacy trail(s): legacy (us-east-1, stopped).")
    assert report["summary"]["accounts_failing"] == 1
    assert report["summary_lines"][2].startswith(
        f"FAIL prod-1 ({organization['prod']}) - No legacy account-level trails"
    )


def add_legacy_trail(account, name, region):
    """A logging account-level trail homed in `region`, in the management account or through the member's role."""
    if account == MANAGEMENT:
        aws = boto3.session.Session(region_name=region)
    else:
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="unit-test"
        )["Credentials"]
        aws = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
    bucket = f"{name}-{account}"
    aws.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    aws.client("cloudtrail").create_trail(Name=name, S3BucketName=bucket)
    aws.client("cloudtrail").start_logging(Name=name)


def test_legacy_trails_of_every_home_region_and_of_the_management_account(run_module, organization):
    """The search account_trails makes: one ListTrails per account, whatever the trails' home regions."""
    add_legacy_trail(MANAGEMENT, "management-old", "us-west-2")
    add_legacy_trail(organization["audit"], "archive-old", "eu-west-1")
    report = run_module(posture_info.main, module_args(organization))["report"]
    assert failing(report) == sorted(
        [("account.legacy_trails", MANAGEMENT), ("account.legacy_trails", organization["audit"])]
    )
    details = {item["account_id"]: item["detail"] for item in report["checks"] if item["status"] == "fail"}
    assert details[MANAGEMENT].startswith("1 legacy trail(s): management-old (us-west-2, logging).")
    assert details[organization["audit"]].startswith("1 legacy trail(s): archive-old (eu-west-1, logging).")
    # legacy_trail_regions keeps the trails of those home regions only, as account_trails' regions does.
    narrowed = run_module(posture_info.main, module_args(organization, legacy_trail_regions=["eu-west-1"]))["report"]
    assert failing(narrowed) == [("account.legacy_trails", organization["audit"])]


@pytest.mark.parametrize("partition, region", [("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")])
def test_arns_are_built_in_the_callers_partition(monkeypatch, partition, region):
    """The bucket's ARN, and the trail's ARN the policies must name, come from the caller's partition."""
    other_trail = f"arn:{partition}:cloudtrail:{region}:111111111111:trail/other"
    policy = {
        "Statement": [
            {
                "Sid": "TrailguardCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:{partition}:s3:::{BUCKET}/AWSLogs/o-abcdefghij/*",
                "Condition": {"StringEquals": {"aws:SourceArn": other_trail}},
            }
        ]
    }
    stubs = {
        "describe_organization": lambda _client: {"Id": "o-abcdefghij", "MasterAccountId": MANAGEMENT},
        "read_organization_tree": lambda _client: {"root_id": "r-ab12", "ous": {}, "labels": {}, "accounts": {}},
        "read_key": lambda _client, _key: {"metadata": None},
        "read_bucket": lambda _client, _name: {"exists": True, "versioning": {}, "policy": policy},
        "read_trail": lambda _client, _name: {"trail": None},
        "read_scp_targets": lambda _client, _names: {},
        "read_alarms": lambda *_args: {"alarms": {}, "metric_filters": []},
        "search_account_trails": lambda *_args: [],
    }
    for name, stub in stubs.items():
        monkeypatch.setattr(posture_info, name, stub)
    params = {
        "trail": {"name": TRAIL, "cloudwatch_logs": True, "log_group_name": None, "s3_data_events": False},
        "log_archive_account": {"account_id": "222222222222"},
        "bucket": {"name": BUCKET, "policy_sids": [], "deny_insecure_transport": True},
        "kms_key": {"id": ALIAS, "policy_sids": []},
        "scps": [],
        "alarm_names": [],
        "accounts": [],
        "legacy_trail_regions": [],
        "max_workers": 1,
        "assume_role_name": "OrganizationAccountAccessRole",
    }
    sessions = type("Sessions", (), {"client": lambda self, *args: None})()
    clients = dict.fromkeys(("organizations", "cloudtrail", "cloudwatch", "logs"))
    caller = {"Account": MANAGEMENT, "Arn": f"arn:{partition}:iam::{MANAGEMENT}:user/runner"}
    report = posture_info.posture(params, clients, sessions, caller, region, "2026-01-01T00:00:00Z")
    bucket = {item["id"]: item for item in report["checks"] if item["group"] == "bucket"}
    assert {item["resource"] for item in bucket.values()} == {f"arn:{partition}:s3:::{BUCKET}"}
    trail_arn = f"arn:{partition}:cloudtrail:{region}:{MANAGEMENT}:trail/{TRAIL}"
    assert bucket["bucket.policy"]["detail"] == (
        f"TrailguardCloudTrailWrite has aws:SourceArn {other_trail}, not the trail {trail_arn}"
    )


def test_a_stopped_trail_leaves_every_account_uncovered(run_module, organization):
    client("cloudtrail").stop_logging(Name=TRAIL)
    report = run_module(posture_info.main, module_args(organization))["report"]
    assert failing(report) == sorted(
        [("trail.logging", MANAGEMENT)]
        + [
            ("account.org_trail", account)
            for account in (MANAGEMENT, organization["audit"], organization["prod"], organization["sandbox"])
        ]
    )
    assert report["summary"]["accounts_covered"] == 0


def test_no_trail(run_module, organization):
    client("cloudtrail").delete_trail(Name=TRAIL)
    report = run_module(posture_info.main, module_args(organization))["report"]
    trail_statuses = {item["id"]: item["status"] for item in report["checks"] if item["group"] == "trail"}
    assert set(trail_statuses.values()) == {"fail"} and len(trail_statuses) == 10
    assert statuses(report)["alarms.present"] == "not_configured"


def test_scps_attached_to_one_ou_cover_only_its_accounts(run_module, organization):
    org = organization["org"]
    for policy_id in organization["scp_ids"]:
        org.detach_policy(PolicyId=policy_id, TargetId=organization["root"])
        org.attach_policy(PolicyId=policy_id, TargetId=organization["ous"]["/Workloads"])
    args = module_args(organization, scps=[{"name": name, "targets": ["/Workloads"]} for name in SCPS])
    report = run_module(posture_info.main, args)["report"]
    assert failing(report) == sorted(
        [("account.scp_coverage", organization["audit"]), ("account.scp_coverage", organization["sandbox"])]
    )
    prod = next(
        item
        for item in report["checks"]
        if item["id"] == "account.scp_coverage" and item["account_id"] == organization["prod"]
    )
    assert prod["detail"] == f"{SCPS[0]} via /Workloads; {SCPS[1]} via /Workloads"


def test_an_scp_missing_from_a_configured_target(run_module, organization):
    args = module_args(
        organization, scps=[{"name": SCPS[0], "targets": ["root", "/Sandbox"]}, {"name": "nope", "targets": ["root"]}]
    )
    report = run_module(posture_info.main, args)["report"]
    checks = {item["id"]: item for item in report["checks"] if item["group"] == "scps"}
    assert checks[f"scps.{SCPS[0]}"]["status"] == "fail"
    assert checks[f"scps.{SCPS[0]}"]["detail"] == "not attached to /Sandbox; attached to root"
    assert checks["scps.nope"]["detail"] == "there is no SCP named nope"
    # No account is covered by an SCP that does not exist.
    assert {item["status"] for item in report["checks"] if item["id"] == "account.scp_coverage"} == {
        "fail",
        "not_applicable",
    }


def test_bucket_settings_changed_behind_trailguards_back(run_module, organization):
    s3 = client("s3", organization["audit"])
    s3.delete_bucket_policy(Bucket=BUCKET)
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    s3.put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={})
    report = run_module(posture_info.main, module_args(organization))["report"]
    assert failing(report) == sorted(
        (check_id, organization["audit"])
        for check_id in (
            "bucket.policy",
            "bucket.tls",
            "bucket.public_access_block",
            "bucket.lifecycle",
            "bucket.access_logging",
        )
    )


def test_a_key_without_rotation(run_module, organization):
    client("kms", organization["audit"]).disable_key_rotation(KeyId=organization["key_arn"])
    report = run_module(posture_info.main, module_args(organization))["report"]
    assert failing(report) == [("kms_key.rotation", organization["audit"])]


def test_alarms_must_exist_and_be_fed_by_the_trails_log_group(run_module, organization):
    args = module_args(organization, alarm_names=["trailguard-cis-root-account-usage"])
    report = run_module(posture_info.main, args)["report"]
    alarms = next(item for item in report["checks"] if item["id"] == "alarms.present")
    assert alarms["status"] == "fail" and alarms["detail"] == "missing: trailguard-cis-root-account-usage"

    client("cloudwatch").put_metric_alarm(
        AlarmName="trailguard-cis-root-account-usage",
        MetricName="RootAccountUsage",
        Namespace="Trailguard/CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    report = run_module(posture_info.main, args)["report"]
    alarms = next(item for item in report["checks"] if item["id"] == "alarms.present")
    assert alarms["status"] == "fail" and "emits the metric of trailguard-cis-root-account-usage" in alarms["detail"]

    client("logs").put_metric_filter(
        logGroupName=LOG_GROUP,
        filterName="trailguard-cis-root-account-usage",
        filterPattern='{ $.userIdentity.type = "Root" }',
        metricTransformations=[
            {"metricName": "RootAccountUsage", "metricNamespace": "Trailguard/CIS", "metricValue": "1"}
        ],
    )
    report = run_module(posture_info.main, args)["report"]
    assert statuses(report)["alarms.present"] == "pass"


def test_an_account_outside_the_organization(run_module, organization):
    args = module_args(organization)
    args["accounts"].append({"account_id": "999999999999", "name": "stranger"})
    report = run_module(posture_info.main, args)["report"]
    row = report["accounts"][-1]
    assert row["account_status"] == "NOT_IN_ORGANIZATION" and row["status"] == "fail"
    assert ("account.org_trail", "999999999999") in failing(report)
    assert ("account.scp_coverage", "999999999999") in failing(report)


# ---------------------------------------------------------------- errors


def test_a_member_account_cannot_read_the_posture(run_module, organization, monkeypatch):
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{organization['prod']}:role/OrganizationAccountAccessRole", RoleSessionName="unit-test"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    result = run_module(posture_info.main, module_args(organization))
    assert result["failed"] is True
    assert "Only the management account of organization" in result["msg"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"trail": {"name": "a"}}, "trail.name must be a valid trail name"),
        (
            {"log_archive_account": {"account_id": "12345"}},
            "log_archive_account.account_id must be a 12-digit AWS account ID",
        ),
        (
            {"log_archive_account": {"account_id": "222222222222", "role_arn": "not-an-arn"}},
            "log_archive_account.role_arn must be an ARN",
        ),
        ({"bucket": {"name": "Bad_Bucket"}}, "bucket.name must be a valid S3 bucket name"),
        (
            {"bucket": {"name": "ok-bucket", "access_log_bucket_name": "x"}},
            "bucket.access_log_bucket_name must be a valid S3",
        ),
        ({"bucket": {"name": "ok-bucket", "expiration_days": -1}}, "bucket.expiration_days must be a number of days"),
        ({"accounts": [{"account_id": "abc"}]}, "accounts[0].account_id must be a 12-digit AWS account ID"),
        (
            {"accounts": [{"account_id": "111111111111"}, {"account_id": "111111111111"}]},
            "accounts must list each account once; listed more than once: 111111111111",
        ),
        ({"scps": [{"name": "x", "targets": ["Workloads"]}]}, "scps[0].targets[0] must be 'root', a root ID"),
        ({"scps": [{"name": "x", "targets": []}]}, "scps[0].targets must list at least one target"),
        ({"max_workers": 0}, "max_workers must be at least 1, got 0"),
    ],
)
def test_invalid_options_fail_before_any_aws_call(run_module, overrides, message):
    args = {
        "trail": {"name": TRAIL},
        "log_archive_account": {"account_id": "222222222222"},
        "bucket": {"name": BUCKET},
        "kms_key": {"id": ALIAS},
    }
    args.update(overrides)
    # No mock_aws here: an AWS call would fail on the dummy credentials, not with the validation message.
    result = run_module(posture_info.main, args)
    assert result["failed"] is True
    assert result["msg"].startswith(message)


def test_log_group_name():
    arn = f"arn:aws:logs:{REGION}:{MANAGEMENT}:log-group:{LOG_GROUP}:*"
    assert posture_info.log_group_name(arn) == LOG_GROUP
    assert posture_info.log_group_name(arn[:-2]) == LOG_GROUP
    assert posture_info.log_group_name(None) is None
    assert posture_info.log_group_name("arn:aws:sns:us-east-1:1:topic") is None
