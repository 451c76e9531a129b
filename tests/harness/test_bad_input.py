"""Bad input fails the main playbook in its first play, with a message naming the variable, and changes nothing.

One organization (management, audit, one member) is seeded in the emulator. Each case of CASES runs
playbooks/org_cloudtrail.yml with one bad setting (extra vars, an inventory change or the caller's credentials)
and must fail in the preflight play - no second play starts - with a message that names the variable and says
what is valid. The emulator's state is snapshotted through the read APIs (tools/snapshot.py) before the first case
and again as each case ends: every snapshot must equal the first, byte for byte.

The cases run four at a time against the one emulator, as they only read. A snapshot taken when a case has ended
holds everything that case wrote, and no case deletes anything, so "equal after this case" proves it for the case.
The organization without all features is a second organization, in a second emulator; the organization whose
management account already has AWS Control Tower's organization trail is a third. With
trailguard_allow_additional_org_trail the run goes on there, and keeps the other trail as it was.

Cases that are not about the monitoring parts run with them switched off (CIS alarms, SIEM kit, access groups), as
their checks would only add tasks before the one under test.
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
import snapshot
from support import (
    MONITORING_OFF,
    ansible_env,
    member_session,
    playbook,
    write_inventory,
)

# AWS Control Tower's organization trail (landing zone 3.0 and later), in the management account.
CONTROL_TOWER_TRAIL = "aws-controltower-BaselineCloudTrail"

# An IAM role ARN of 78 characters; 64 of them make both SCPs longer than the 5,120 characters AWS allows.
LONG_BREAK_GLASS_ARNS = [
    f"arn:aws:iam::123456789012:role/break-glass/emergency-access-role-number-{n:04d}" for n in range(64)
]


@dataclass(frozen=True)
class Case:
    id: str
    expected: tuple  # fragments of the failure message; the first one is the variable's name
    extra_vars: dict = field(default_factory=dict)
    inventory: object = None  # a function(inventory dict, org) that changes the inventory
    member_caller: bool = False  # run with a member account's credentials
    secret: str = ""  # a value that must not appear anywhere in the output
    emulator: str = "main"  # the organization it runs against (EMULATORS)


def _host(inventory, group, index=0):
    return list(inventory["all"]["children"][group]["hosts"].values())[index]


def _set_host(group, **values):
    def change(inventory, _org):
        _host(inventory, group).update(values)

    return change


def _log_archive_is_management(inventory, org):
    _host(inventory, "log_archive")["account_id"] = org["management"]["account_id"]


def _no_log_archive(inventory, _org):
    del inventory["all"]["children"]["log_archive"]


CASES = [
    # ---- the inventory
    Case(
        "account_id_not_12_digits",
        ("account_id", "12-digit", "=12345"),
        inventory=_set_host("members", account_id="12345"),
    ),
    Case(
        "same_account_in_two_roles", ("account_id", "no account may appear twice"), inventory=_log_archive_is_management
    ),
    Case(
        "no_log_archive_host",
        ("log_archive", "exactly one host in the `management` group and one in `log_archive`"),
        inventory=_no_log_archive,
    ),
    Case(
        "member_not_in_the_organization",
        ("account_id", "must be an active account of organization", "=999999999999"),
        inventory=_set_host("members", account_id="999999999999"),
    ),
    Case(
        "account_id_missing",
        ("account_id", "12-digit", "Not 12 digits: ['"),
        inventory=lambda inventory, _org: _host(inventory, "members").pop("account_id"),
    ),
    Case(
        "assume_role_name_invalid",
        ("assume_role_name", "1 to 64 letters", "=bad name!"),
        inventory=_set_host("members", assume_role_name="bad name!"),
    ),
    Case(
        "assume_role_arn_not_an_arn",
        ("assume_role_arn", "an IAM role ARN such as", "=OrganizationAccountAccessRole"),
        inventory=_set_host("log_archive", assume_role_arn="OrganizationAccountAccessRole"),
    ),
    # ---- the organization and the caller
    Case("caller_not_the_management_account", ("management account", "The caller is account"), member_caller=True),
    Case(
        "trail_delegated_admin_not_a_member",
        ("trail_delegated_admin_account_id", "active member account"),
        extra_vars={"trail_delegated_admin_account_id": "999999999999"},
    ),
    # ---- organization-wide settings
    Case(
        "prefix_invalid",
        ("trailguard_prefix", "lowercase letters, digits and hyphens"),
        extra_vars={"trailguard_prefix": "Acme_Corp"},
    ),
    Case(
        "prefix_too_long_for_the_bucket_name",
        ("audit_bucket_name", "3 to 63"),
        extra_vars={"trailguard_prefix": "a" * 60},
    ),
    Case("region_invalid", ("trailguard_region", "AWS region name"), extra_vars={"trailguard_region": "us-east"}),
    Case(
        "break_glass_not_an_arn",
        ("trailguard_break_glass_arns", "IAM role or user ARN"),
        extra_vars={"trailguard_break_glass_arns": ["BreakGlass"]},
    ),
    # ---- the KMS key
    Case(
        "kms_key_alias_without_prefix",
        ("kms_key_alias", "'alias/' followed by"),
        extra_vars={"kms_key_alias": "acme-key"},
    ),
    # ---- the log bucket
    Case(
        "bucket_name_invalid",
        ("audit_bucket_name", "valid S3 bucket names"),
        extra_vars={"audit_bucket_name": "Acme_Logs"},
    ),
    Case(
        "bucket_name_over_63_characters", ("audit_bucket_name", "3 to 63"), extra_vars={"audit_bucket_name": "b" * 64}
    ),
    Case(
        "glacier_transition_not_before_expiry",
        ("audit_bucket_glacier_transition_days (200)", "less than audit_bucket_expiration_days (180)"),
        extra_vars={"audit_bucket_glacier_transition_days": 200},
    ),
    Case(
        "object_lock_retention_over_expiry",
        ("audit_bucket_object_lock_days (365)", "between 1 and audit_bucket_expiration_days"),
        extra_vars={"audit_bucket_object_lock_enabled": True, "audit_bucket_object_lock_days": 365},
    ),
    Case(
        "object_lock_mode_unknown",
        ("audit_bucket_object_lock_mode", "GOVERNANCE, COMPLIANCE"),
        extra_vars={"audit_bucket_object_lock_mode": "STRICT"},
    ),
    Case(
        "expiration_days_not_a_number",
        ("audit_bucket_expiration_days", "unable to convert to int"),
        extra_vars={"audit_bucket_expiration_days": "forever"},
    ),
    # ---- the trail
    Case("trail_name_invalid", ("trail_name (a--b)", "no two of '._-' in a row"), extra_vars={"trail_name": "a--b"}),
    Case(
        "log_retention_not_allowed",
        ("trail_log_group_retention_days (100)", "365, 400"),
        extra_vars={"trail_log_group_retention_days": 100},
    ),
    Case(
        "trail_region_apart_from_key_and_bucket",
        ("trail_kms_key_arn", "trail_region (eu-west-1)"),
        extra_vars={"trail_region": "eu-west-1"},
    ),
    Case(
        "log_group_key_in_another_region",
        ("trail_log_group_kms_key_arn", "log group's own region"),
        extra_vars={
            "trail_log_group_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        },
    ),
    Case(
        "insight_selector_unknown",
        ("trail_insight_selectors", "ApiCallRateInsight, ApiErrorRateInsight"),
        extra_vars={"trail_insight_selectors": ["ApiCallCountInsight"]},
    ),
    # ---- monitoring, SIEM kit, access groups (switched on for their case)
    Case(
        "subscription_protocol_unknown",
        ("cis_monitoring_subscriptions", "must be one of: email, https, got: sms"),
        extra_vars={
            "trailguard_cis_monitoring": True,
            "cis_monitoring_subscriptions": [{"protocol": "sms", "endpoint": "+15555550100"}],
        },
    ),
    Case(
        "siem_consumer_not_an_arn",
        ("siem_kit_consumer_principal_arn", "arn:aws:iam::<account-id>:role/<name>"),
        extra_vars={"trailguard_siem_kit": True, "siem_kit_consumer_principal_arn": "splunk"},
    ),
    Case(
        "siem_external_id_invalid",
        ("siem_kit_external_id", "its value is not shown"),
        extra_vars={"trailguard_siem_kit": True, "siem_kit_external_id": "secret value with spaces"},
        secret="secret value with spaces",
    ),
    Case(
        "access_groups_same_name",
        ("access_groups_auditors_name", "two different IAM group names"),
        extra_vars={
            "trailguard_access_groups": True,
            "access_groups_auditors_name": "TrailguardCloudTrailAdministrators",
        },
    ),
    # ---- the guardrails (scp_attach in check mode)
    Case(
        "guardrail_ou_path_missing",
        ("guardrails_targets[0]", "OU path '/Nope' does not exist", "Workloads"),
        extra_vars={"guardrails_targets": ["/Nope"]},
    ),
    Case(
        "guardrail_unknown_account",
        ("guardrails_targets[0]", "account 999999999999 is not a member"),
        extra_vars={"guardrails_targets": ["999999999999"]},
    ),
    Case(
        "guardrail_targets_empty", ("guardrails_targets", "at least one target"), extra_vars={"guardrails_targets": []}
    ),
    Case(
        "scp_over_5120_characters",
        # The SCP's name: the guardrails role makes both SCPs in one task.
        ("The SCP trailguard-", "guardrails_exempt_principal_arns", "the AWS limit for a policy is 5120"),
        extra_vars={"trailguard_break_glass_arns": LONG_BREAK_GLASS_ARNS},
    ),
    # ---- the deploy role (trailguard_deploy_role_name)
    Case(
        "deploy_role_trusted_arn_of_another_account",
        ("trailguard_deploy_role_trusted_arns", "of the management account 123456789012", "not valid:"),
        extra_vars={
            "trailguard_deploy_role_name": "TrailguardDeploy",
            "trailguard_deploy_role_trusted_arns": ["arn:aws:iam::999999999999:role/TrailguardRunner"],
        },
    ),
    Case(
        "deploy_role_not_trusting_the_caller",
        (
            "trailguard_deploy_role_trusted_arns",
            "could not assume the deploy role",
            "arn:aws:sts::123456789012:user/moto",
        ),
        extra_vars={
            "trailguard_deploy_role_name": "TrailguardDeploy",
            "trailguard_deploy_role_trusted_arns": ["arn:aws:iam::123456789012:role/TrailguardRunner"],
        },
    ),
    # ---- AWS Config (switched on for its case)
    Case(
        "config_key_prefix_with_awslogs",
        ("aws_config_key_prefix (logs/AWSLogs)", "only the part before AWSLogs/"),
        extra_vars={"trailguard_aws_config": True, "aws_config_key_prefix": "logs/AWSLogs"},
    ),
    # AWS::Config::DeliveryChannel reference: AWS Config does not deliver to a bucket with Object Lock enabled.
    Case(
        "config_with_object_lock",
        (
            "trailguard_aws_config and audit_bucket_object_lock_enabled cannot both be true",
            "AWS Config does not deliver to a bucket with Object Lock enabled",
            "To keep Object Lock, set trailguard_aws_config to false",
        ),
        extra_vars={"trailguard_aws_config": True, "audit_bucket_object_lock_enabled": True},
    ),
    # ---- the other organizations
    Case(
        "organization_without_all_features",
        ("feature set CONSOLIDATED_BILLING", "it must be ALL"),
        emulator="consolidated_billing",
    ),
    Case(
        "organization_trail_not_ours",
        (
            "trailguard_allow_additional_org_trail is false",
            f":trail/{CONTROL_TOWER_TRAIL}",
            "doubles the cost of management events",
        ),
        emulator="control_tower",
    ),
]


def _write_inventory(directory, org, change=None):
    path = write_inventory(directory, org)
    if change:
        inventory = yaml.safe_load(path.read_text())
        change(inventory, org)
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def _snapshot(patch, url):
    patch.setenv("AWS_ENDPOINT_URL", url)
    return snapshot.snapshot()


def _job(patch, work, url, org, case):
    """Write the case's inventory and extra vars; return what its run needs (all made here, in the main thread)."""
    directory = work / case.id
    inventory = _write_inventory(directory, org, case.inventory)
    extra_vars = directory / "extra_vars.json"
    extra_vars.write_text(json.dumps({**MONITORING_OFF, **case.extra_vars}))
    env = ansible_env(url)
    if case.member_caller:
        patch.setenv("AWS_ENDPOINT_URL", url)
        credentials = member_session(url, org["members"][0]["account_id"]).get_credentials()
        env.update(
            AWS_ACCESS_KEY_ID=credentials.access_key,
            AWS_SECRET_ACCESS_KEY=credentials.secret_key,
            AWS_SESSION_TOKEN=credentials.token,
        )
    return url, inventory, ("-e", f"@{extra_vars}"), env


def _add_control_tower_trail(url, org):
    """AWS Control Tower's organization trail: multi-region, logging to a bucket in the log-archive account."""
    bucket = f"aws-controltower-logs-{org['log_archive']['account_id']}-us-east-1"
    member_session(url, org["log_archive"]["account_id"]).client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
    cloudtrail = boto3.client("cloudtrail", endpoint_url=url)
    trail = cloudtrail.create_trail(
        Name=CONTROL_TOWER_TRAIL,
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        EnableLogFileValidation=True,
    )
    cloudtrail.start_logging(Name=trail["TrailARN"])
    return trail["TrailARN"]


# Each organization the cases run against, in an emulator of its own: the seed's feature set, and what else it has.
EMULATORS = {"main": "ALL", "consolidated_billing": "CONSOLIDATED_BILLING", "control_tower": "ALL"}


@pytest.fixture(scope="module")
def emulators(tmp_path_factory):
    """Each organization of EMULATORS, seeded in its own emulator: {name: {url, org, before}}."""
    work = tmp_path_factory.mktemp("bad_input")
    started = {}
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, feature_set in EMULATORS.items():
                state_dir = work / f"emulator-{name}"
                url = emulator.start(state_dir=state_dir)
                started[name] = {"url": url, "state_dir": state_dir, "work": work}
                for variable, value in emulator.emulator_env(url, base={}).items():
                    patch.setenv(variable, value)
                org = seed_org.seed(members=1, feature_set=feature_set)
                if name == "control_tower":
                    started[name]["control_tower_trail_arn"] = _add_control_tower_trail(url, org)
                started[name].update(org=org, before=_snapshot(patch, url))
        yield started
    finally:
        for environment in started.values():
            emulator.stop(environment["state_dir"])


@pytest.fixture(scope="module")
def outcomes(emulators):
    """Each case's playbook result, the snapshot taken when it ended and the one before any case."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in emulator.emulator_env(emulators["main"]["url"], base={}).items():
            patch.setenv(name, value)
        jobs = {}
        for case in CASES:
            environment = emulators[case.emulator]
            jobs[case.id] = _job(patch, environment["work"], environment["url"], environment["org"], case)
        results = {}
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {}
            for case in CASES:
                url, inventory, args, env = jobs[case.id]
                futures[pool.submit(playbook, url, inventory, "org_cloudtrail.yml", *args, check=False, env=env)] = case
            for future in as_completed(futures):  # snapshots are taken here, in the main thread, one at a time
                case = futures[future]
                environment = emulators[case.emulator]
                results[case.id] = (future.result(), _snapshot(patch, environment["url"]), environment["before"])
    return results


def _failure(stdout):
    """The message of the run's last error (not the task it came from), whitespace-normalized."""
    return " ".join(stdout[stdout.rindex("[ERROR]: ") :].split("\nOrigin: ")[0].split())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_fails_in_preflight_and_changes_nothing(outcomes, case):
    result, after, before = outcomes[case.id]
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"{case.id} did not fail:\n{result.stdout[-3000:]}"
    plays = re.findall(r"^PLAY \[(.*)\]", result.stdout, flags=re.M)
    assert len(plays) == 1 and plays[0].startswith("Check the inventory"), f"{case.id} got past the preflight: {plays}"
    failure = _failure(result.stdout)
    for fragment in case.expected:
        assert fragment in failure, f"{case.id}: {fragment!r} is not in the failure:\n{failure}"
    assert not case.secret or case.secret not in output
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True), f"{case.id} changed the emulator"


def test_there_are_at_least_30_distinct_bad_inputs():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)) >= 30


def test_an_organization_trail_not_ours_is_kept_beside_ours_when_allowed(outcomes, emulators, tmp_path, monkeypatch):
    """After the refused run (outcomes), the same organization with trailguard_allow_additional_org_trail."""
    assert outcomes["organization_trail_not_ours"][0].returncode != 0
    environment = emulators["control_tower"]
    url, org, control_tower_arn = environment["url"], environment["org"], environment["control_tower_trail_arn"]
    for name, value in emulator.emulator_env(url, base={}).items():
        monkeypatch.setenv(name, value)
    cloudtrail = boto3.client("cloudtrail", endpoint_url=url)
    before = cloudtrail.get_trail(Name=control_tower_arn)["Trail"]

    extra_vars = tmp_path / "extra_vars.json"
    extra_vars.write_text(json.dumps({**MONITORING_OFF, "trailguard_allow_additional_org_trail": True}))
    playbook(url, _write_inventory(tmp_path / "inventory", org), "org_cloudtrail.yml", "-e", f"@{extra_vars}")

    organization_trails = {
        trail["Name"] for trail in cloudtrail.describe_trails()["trailList"] if trail["IsOrganizationTrail"]
    }
    assert organization_trails == {CONTROL_TOWER_TRAIL, "acme-organization-trail"}
    assert cloudtrail.get_trail(Name=control_tower_arn)["Trail"] == before
    assert cloudtrail.get_trail_status(Name=control_tower_arn)["IsLogging"] is True
