# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The posture report's pure checks: what was read (module_utils/posture.py) and what the roles promise, in; check
results, out. No AWS call, so each check is tested on plain dicts.

A check result is a dict: id, group, title, status, detail, controls (the CIS
AWS Foundations and AWS Foundational Security Best Practices controls it
serves), account_id and resource. Status is one of STATUSES; only FAIL is red,
WARN is amber: a weaker set-up than Trailguard can make, by choice.
build_report assembles the results into the report: a flat list of checks, an
accounts x columns matrix and a summary.
"""

import fnmatch

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import CLOUDTRAIL_SERVICE_PRINCIPAL
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import classify_scp_target

PASS = "pass"
FAIL = "fail"
# Works as configured, but weaker than an option would make it (the report says which): amber, never red.
WARN = "warn"
# Compliant only after a step Trailguard cannot take (true S3 MFA Delete needs the root user): never red.
MANUAL = "manual"
NOT_CONFIGURED = "not_configured"
NOT_APPLICABLE = "not_applicable"
# Worst first: a matrix cell shows the worst status of the checks it holds.
STATUSES = (FAIL, WARN, MANUAL, PASS, NOT_CONFIGURED, NOT_APPLICABLE)


def cis(*pairs):
    """CIS AWS Foundations ids as "CIS <id> (<versions>)"."""
    return [f"CIS {control} ({versions})" for control, versions in pairs]


# check id -> (group, title, controls). CIS renumbered its controls twice, so each id names the versions it holds
# for: v1.4-v2.0, v3.0-v5.0 and v6.0-v7.0. FSBP is AWS Foundational Security Best Practices.
CHECKS = {
    "trail.exists": ("trail", "Organization trail exists", []),
    "trail.organization": ("trail", "Trail is an organization trail", []),
    "trail.multi_region": (
        "trail",
        "Trail is multi-region",
        cis(("3.1", "v1.4-v5.0"), ("4.1", "v6.0-v7.0")) + ["FSBP CloudTrail.1"],
    ),
    "trail.logging": (
        "trail",
        "Trail is logging",
        cis(("3.1", "v1.4-v5.0"), ("4.1", "v6.0-v7.0")) + ["FSBP CloudTrail.1"],
    ),
    "trail.log_file_validation": (
        "trail",
        "Log file validation is on",
        cis(("3.2", "v1.4-v5.0"), ("4.2", "v6.0-v7.0")) + ["FSBP CloudTrail.4"],
    ),
    "trail.kms_encryption": (
        "trail",
        "Logs are encrypted with the Trailguard KMS key",
        cis(("3.7", "v1.4-v2.0"), ("3.5", "v3.0-v5.0"), ("4.5", "v6.0-v7.0")) + ["FSBP CloudTrail.2"],
    ),
    "trail.s3_bucket": ("trail", "Trail delivers to the central log bucket", []),
    "trail.cloudwatch_logs": (
        "trail",
        "Trail delivers to CloudWatch Logs",
        cis(("3.4", "v1.4-v2.0")) + ["FSBP CloudTrail.5"],
    ),
    "trail.management_events": (
        "trail",
        "Management events, read and write, are logged",
        cis(("3.1", "v1.4-v5.0"), ("4.1", "v6.0-v7.0")) + ["FSBP CloudTrail.1"],
    ),
    "trail.s3_data_events": (
        "trail",
        "S3 object-level data events are logged",
        cis(("3.10/3.11", "v1.4-v2.0"), ("3.8/3.9", "v3.0-v5.0"), ("4.8/4.9", "v6.0-v7.0")),
    ),
    "bucket.exists": ("bucket", "Log bucket exists", []),
    "bucket.policy": ("bucket", "Bucket policy has the Trailguard statements (confused-deputy conditions)", []),
    "bucket.tls": (
        "bucket",
        "Bucket policy denies requests without TLS",
        cis(("2.1.2", "v1.4"), ("2.1.1", "v2.0-v5.0"), ("3.1.1", "v6.0-v7.0")) + ["FSBP S3.5"],
    ),
    "bucket.encryption": (
        "bucket",
        "Default encryption is SSE-KMS with the trail key",
        cis(("2.1.1", "v1.4")) + ["FSBP S3.17"],
    ),
    "bucket.versioning": ("bucket", "Versioning is on", ["FSBP S3.14"]),
    "bucket.public_access_block": (
        "bucket",
        "Block Public Access is on (all four settings)",
        cis(("3.3", "v1.4-v2.0"), ("2.1.5", "v1.4"), ("2.1.4", "v2.0-v5.0"), ("3.1.4", "v6.0-v7.0"))
        + ["FSBP S3.8", "FSBP CloudTrail.6"],
    ),
    "bucket.lifecycle": ("bucket", "Lifecycle moves logs to Glacier and expires them", ["FSBP S3.13"]),
    "bucket.access_logging": (
        "bucket",
        "Server access logging is on",
        cis(("3.6", "v1.4-v2.0"), ("3.4", "v3.0-v5.0"), ("4.4", "v6.0-v7.0")) + ["FSBP CloudTrail.7", "FSBP S3.9"],
    ),
    "bucket.object_lock": ("bucket", "Object Lock as configured", ["FSBP S3.15"]),
    "bucket.mfa_delete": (
        "bucket",
        "True S3 MFA Delete (versioning setting)",
        cis(("2.1.3", "v1.4"), ("2.1.2", "v2.0-v5.0"), ("3.1.2", "v6.0-v7.0")) + ["FSBP S3.20"],
    ),
    "bucket.exempt_principals": (
        "bucket",
        "Only a dedicated deploy role is exempt from the MFA statement (not the broad role)",
        [],
    ),
    "kms_key.exists": ("kms_key", "Trail KMS key exists and is enabled", ["FSBP KMS.3"]),
    "kms_key.rotation": (
        "kms_key",
        "Automatic key rotation is on",
        cis(("3.8", "v1.4-v2.0"), ("3.6", "v3.0-v5.0"), ("4.6", "v6.0-v7.0")) + ["FSBP KMS.4"],
    ),
    "kms_key.policy": ("kms_key", "Key policy has the Trailguard statements (confused-deputy conditions)", []),
    "scps.attached": ("scps", "Service control policy attached", []),
    "alarms.present": (
        "alarms",
        "CloudWatch alarms present, fed by metric filters on the trail's log group",
        cis(("4.1-4.15", "v1.4-v5.0"), ("5.1-5.15", "v6.0-v7.0")),
    ),
    "alarms.tamper_rule": ("alarms", "EventBridge tamper rule present, enabled and delivering to its target", []),
    "account.org_trail": (
        "account",
        "Covered by the organization trail",
        cis(("3.1", "v1.4-v5.0"), ("4.1", "v6.0-v7.0")) + ["FSBP CloudTrail.1"],
    ),
    "account.legacy_trails": ("account", "No legacy account-level trails", []),
    "account.scp_coverage": ("account", "Both SCPs apply (attached to the account or an ancestor)", []),
    "athena.accounts": ("athena", "The Athena table's accounts match the organization", []),
}

# The matrix: one row per account, these columns. An account column holds that account's check;
# a group column holds the group's checks in the row of the account that owns the resource.
COLUMNS = (
    ("account.org_trail", "Organization trail"),
    ("account.legacy_trails", "Legacy trails"),
    ("account.scp_coverage", "SCP coverage"),
    ("trail", "Trail"),
    ("bucket", "Log bucket"),
    ("kms_key", "KMS key"),
    ("scps", "SCPs"),
    ("alarms", "Alarms"),
    ("athena", "Athena table"),
)
# The account whose row shows each group: "management" or "log_archive".
GROUP_OWNERS = {
    "trail": "management",
    "scps": "management",
    "alarms": "management",
    "bucket": "log_archive",
    "kms_key": "log_archive",
    "athena": "log_archive",
}


def check(spec, status, detail, account_id=None, resource=None, check_id=None, title=None):
    """One check result; `spec` is a CHECKS key, `check_id` and `title` override its id and title."""
    group, default_title, controls = CHECKS[spec]
    return {
        "id": check_id or spec,
        "group": group,
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "controls": list(controls),
        "account_id": account_id,
        "resource": resource,
    }


# ---------------------------------------------------------------- pure checks: helpers


class _Results(list):
    """Check results about one resource in one account."""

    def __init__(self, account_id, resource=None):
        super().__init__()
        self.account_id = account_id
        self.resource = resource

    def add(self, spec, status, detail, **kwargs):
        self.append(check(spec, status, detail, self.account_id, self.resource, **kwargs))

    def flag(self, spec, ok, good, bad):
        """PASS with `good` when ok, else FAIL with `bad`."""
        self.add(spec, PASS if ok else FAIL, good if ok else bad)

    def optional(self, spec, present, detail, off):
        """A setting the configuration leaves off: PASS when present anyway, else NOT_CONFIGURED."""
        self.add(spec, PASS if present else NOT_CONFIGURED, detail if present else off)

    def all_failed(self, group, detail):
        for spec, (spec_group, _title, _controls) in CHECKS.items():
            if spec_group == group:
                self.add(spec, FAIL, detail)
        return self


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(policy):
    return _as_list((policy or {}).get("Statement"))


def _principal_services(statement):
    principal = statement.get("Principal")
    return _as_list(principal.get("Service")) if isinstance(principal, dict) else []


def _cloudtrail_statements(policy):
    """The statements that let CloudTrail itself in."""
    return [
        s for s in _statements(policy) if s.get("Effect") == "Allow" and CLOUDTRAIL_SERVICE_PRINCIPAL in _principal_services(s)
    ]


def _source_arns(statement):
    """Every aws:SourceArn value in the statement's conditions, whatever the operator."""
    values = []
    for operator_values in (statement.get("Condition") or {}).values():
        for key, value in (operator_values or {}).items():
            if key.lower() == "aws:sourcearn":
                values += _as_list(value)
    return values


def policy_problems(policy, required_sids, trail_arn):
    """What is wrong with a resource policy Trailguard wrote: missing Sids, and CloudTrail
    statements without aws:SourceArn set to the trail (the confused-deputy condition)."""
    if not policy:
        return ["there is no policy"]
    sids = {statement.get("Sid") for statement in _statements(policy)}
    problems = [f"statement {sid} is missing" for sid in required_sids if sid not in sids]
    for statement in _cloudtrail_statements(policy):
        sid = statement.get("Sid") or "(no Sid)"
        arns = _source_arns(statement)
        if not arns:
            problems.append(f"{sid} lets CloudTrail in without an aws:SourceArn condition (confused deputy)")
        elif trail_arn and set(arns) != {trail_arn}:
            problems.append(f"{sid} has aws:SourceArn {', '.join(arns)}, not the trail {trail_arn}")
    return problems


def denies_insecure_transport(policy):
    """True when a Deny statement applies to requests with aws:SecureTransport = false."""
    for statement in _statements(policy):
        secure = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
        if statement.get("Effect") == "Deny" and str(secure).lower() == "false":
            return True
    return False


# ---------------------------------------------------------------- pure checks: the trail


def _field(selector, name):
    return next((field for field in selector.get("FieldSelectors", []) if field.get("Field") == name), None)


def management_events_problem(selectors):
    """None when the selectors log every management event, read and write; else what is missing."""
    advanced = selectors.get("AdvancedEventSelectors") or []
    for selector in advanced:
        category = _field(selector, "eventCategory")
        if not category or "Management" not in category.get("Equals", []):
            continue
        name = selector.get("Name", "")
        if _field(selector, "readOnly"):
            return f"selector {name!r} logs only read or only write management events"
        if _field(selector, "eventSource"):
            return f"selector {name!r} leaves out some event sources: {_field(selector, 'eventSource')}"
        return None
    if advanced:
        return "no advanced event selector logs management events"
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True) and selector.get("ReadWriteType", "All") == "All":
            excluded = selector.get("ExcludeManagementEventSources") or []
            return f"management events from {', '.join(excluded)} are left out" if excluded else None
    return "no event selector logs both read and write management events"


def s3_data_events_logged(selectors):
    """True when S3 object-level events, read and write, are logged for (almost) every bucket."""
    for selector in selectors.get("AdvancedEventSelectors") or []:
        category = _field(selector, "eventCategory") or {}
        resource_type = _field(selector, "resources.type") or {}
        if (
            "Data" in category.get("Equals", [])
            and "AWS::S3::Object" in resource_type.get("Equals", [])
            and not _field(selector, "readOnly")
        ):
            return True
    for selector in selectors.get("EventSelectors") or []:
        for resource in selector.get("DataResources") or []:
            every_bucket = any(
                value.rstrip("/").endswith(":s3:::") or value.rstrip("/").endswith(":s3")
                for value in resource.get("Values", [])
            )
            if (
                selector.get("ReadWriteType", "All") == "All"
                and resource.get("Type") == "AWS::S3::Object"
                and every_bucket
            ):
                return True
    return False


def trail_checks(state, expected, account_id):
    """The trail's checks.

    state:     read_trail's answer
    expected:  name, bucket_name, kms_key_arn (None: not known), cloudwatch_logs, log_group_name, s3_data_events
    """
    trail = state.get("trail")
    if not trail:
        return _Results(account_id, expected["name"]).all_failed(
            "trail", f"there is no trail {expected['name']!r} in the management account"
        )
    arn = trail["TrailARN"]
    results = _Results(account_id, arn)
    results.add("trail.exists", PASS, f"{arn} (home region {trail.get('HomeRegion') or arn.split(':')[3]})")
    results.flag(
        "trail.organization",
        trail.get("IsOrganizationTrail"),
        "logs every account of the organization",
        "IsOrganizationTrail is false: only the management account is logged",
    )
    results.flag(
        "trail.multi_region",
        trail.get("IsMultiRegionTrail"),
        "logs every region",
        "IsMultiRegionTrail is false: only the home region is logged",
    )
    results.flag(
        "trail.logging",
        (state.get("status") or {}).get("IsLogging"),
        "IsLogging is true",
        "the trail is stopped (IsLogging is false)",
    )
    results.flag(
        "trail.log_file_validation",
        trail.get("LogFileValidationEnabled"),
        "digest files are written",
        "LogFileValidationEnabled is false: changes to log files cannot be detected",
    )

    key, wanted_key = trail.get("KmsKeyId"), expected.get("kms_key_arn")
    if not key:
        results.add("trail.kms_encryption", FAIL, "the trail has no KmsKeyId: logs are only SSE-S3 encrypted")
    elif wanted_key and key != wanted_key:
        results.add("trail.kms_encryption", FAIL, f"KmsKeyId is {key}, not the Trailguard key {wanted_key}")
    else:
        results.add("trail.kms_encryption", PASS, f"KmsKeyId {key}")

    bucket, wanted_bucket = trail.get("S3BucketName"), expected["bucket_name"]
    results.flag(
        "trail.s3_bucket",
        bucket == wanted_bucket,
        f"s3://{bucket}",
        f"the trail delivers to s3://{bucket}, not to the log bucket {wanted_bucket}",
    )

    log_group, role = trail.get("CloudWatchLogsLogGroupArn") or "", trail.get("CloudWatchLogsRoleArn") or ""
    wanted_group = expected.get("log_group_name")
    if not expected.get("cloudwatch_logs", True):
        results.optional("trail.cloudwatch_logs", log_group, log_group, "turned off (trail_cloudwatch_logs_enabled)")
    elif not log_group or not role:
        results.add("trail.cloudwatch_logs", FAIL, "the trail has no CloudWatch Logs log group or delivery role")
    elif wanted_group and f":log-group:{wanted_group}:" not in f"{log_group}:":
        results.add("trail.cloudwatch_logs", FAIL, f"the trail delivers to {log_group}, not to {wanted_group}")
    else:
        results.add("trail.cloudwatch_logs", PASS, f"{log_group} with role {role}")

    selectors = state.get("selectors") or {}
    problem = management_events_problem(selectors)
    results.flag("trail.management_events", not problem, "every management event, read and write", problem)
    logged = s3_data_events_logged(selectors)
    if expected.get("s3_data_events"):
        results.flag(
            "trail.s3_data_events",
            logged,
            "object-level events of every bucket but the log buckets",
            "no selector logs S3 object-level events, read and write, of every bucket",
        )
    else:
        results.optional("trail.s3_data_events", logged, "logged", "turned off (trail_s3_data_events)")
    return results


# ---------------------------------------------------------------- pure checks: the log bucket


def _rule_filter(rule):
    """(prefix, tags, minimum size, maximum size) of a lifecycle rule's filter, in any of S3's shapes."""
    rule_filter = rule.get("Filter") or {}
    terms = rule_filter.get("And") or rule_filter
    tags = terms.get("Tags") or ([terms["Tag"]] if terms.get("Tag") else [])
    return (
        terms.get("Prefix", rule.get("Prefix", "")),
        tags,
        terms.get("ObjectSizeGreaterThan"),
        terms.get("ObjectSizeLessThan"),
    )


def _lifecycle_problem(rules, expected):
    """(None, the effective rules) when enabled whole-bucket rules move logs to Glacier and expire them after the
    expected days (any number when not given); else (the problem, None).

    The transition and the expiry may be in different rules. The transition's size filter is shown: without one,
    S3 transitions no object under 128 KB (its default minimum since September 2024), and most log files are
    smaller; the expiry must apply to every object.
    """
    transition_days, expiration_days = expected.get("glacier_transition_days"), expected.get("expiration_days")
    seen, glacier_rule, expiry_rule = [], None, None
    for rule in rules or []:
        prefix, tags, larger, smaller = _rule_filter(rule)
        if rule.get("Status") != "Enabled" or prefix or tags:
            continue
        glacier = {t.get("StorageClass"): t.get("Days") for t in rule.get("Transitions") or []}.get("GLACIER")
        expiry = (rule.get("Expiration") or {}).get("Days")
        parts = []
        if glacier is not None:
            size = f"objects over {larger} bytes" if larger is not None else "objects of 128 KB or more, S3's default"
            parts.append(f"Glacier after {glacier} days ({size}{f' and under {smaller} bytes' if smaller else ''})")
        if expiry is not None:
            parts.append(
                f"expiry after {expiry} days{'' if larger is None and smaller is None else ' (some sizes only)'}"
            )
        seen.append(f"rule {rule.get('ID', '?')}: {', '.join(parts) or 'no transition or expiry'}")
        if glacier is not None and glacier_rule is None and transition_days in (None, glacier):
            glacier_rule = seen[-1]
        if (
            expiry is not None
            and expiry_rule is None
            and expiration_days in (None, expiry)
            and larger is None
            and smaller is None
        ):
            expiry_rule = seen[-1]
    if glacier_rule and expiry_rule:
        return None, "; ".join(dict.fromkeys([glacier_rule, expiry_rule]))
    wanted = f"Glacier after {transition_days or 'N'} days and expiry after {expiration_days or 'N'} days"
    return f"no enabled whole-bucket rules with {wanted}; found {'; '.join(seen) or 'no enabled rule'}", None


def _mfa_delete_step(bucket, account_id):
    return (
        f"a manual step: only the root user of account {account_id}, signed in with its MFA device, can turn on "
        f"MFA Delete (aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration "
        "Status=Enabled,MFADelete=Enabled --mfa '<root MFA device ARN> <code>'). Until then the bucket policy's "
        "TrailguardDenyDeletesWithoutMFA statement requires MFA for deletes."
    )


def bucket_checks(state, expected, account_id, key_ids=(), trail_arn=None, organization_id=None, partition="aws"):
    """The log bucket's checks.

    state:      read_bucket's answer
    expected:   the module's `bucket` option
    key_ids:    the names the trail key goes by (ARN, key ID, alias); empty: not known
    partition:  the caller's partition (aws, aws-us-gov, aws-cn), for the bucket's ARN
    """
    name = expected["name"]
    results = _Results(account_id, f"arn:{partition}:s3:::{name}")
    if not state.get("exists"):
        return results.all_failed("bucket", f"there is no bucket {name} in the log-archive account {account_id}")
    results.add("bucket.exists", PASS, f"s3://{name}")

    policy = state.get("policy")
    sids = expected.get("policy_sids") or []
    problems = policy_problems(policy, sids, trail_arn)
    writes = [s for s in _cloudtrail_statements(policy) if "s3:PutObject" in _as_list(s.get("Action"))]
    resources = [resource for s in writes for resource in _as_list(s.get("Resource"))]
    if policy and organization_id and not any(r.endswith(f"/AWSLogs/{organization_id}/*") for r in resources):
        problems.append(f"no CloudTrail write statement covers the organization's prefix AWSLogs/{organization_id}/")
    results.flag(
        "bucket.policy",
        not problems,
        f"statements {', '.join(sids)} present; CloudTrail may write only for {trail_arn}",
        "; ".join(problems),
    )

    tls = denies_insecure_transport(policy)
    if expected.get("deny_insecure_transport", True):
        results.flag(
            "bucket.tls", tls, "denied by a statement on aws:SecureTransport", "nothing denies requests without TLS"
        )
    else:
        results.optional("bucket.tls", tls, "denied", "turned off (audit_bucket_deny_insecure_transport)")

    rule = (state.get("encryption") or [{}])[0] or {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    if algorithm != "aws:kms":
        results.add("bucket.encryption", FAIL, f"default encryption is {algorithm or 'not set'}, not SSE-KMS")
    elif key_ids and key not in key_ids:
        results.add("bucket.encryption", FAIL, f"SSE-KMS with {key}, not the trail key {key_ids[0]}")
    else:
        bucket_key = "on" if rule.get("BucketKeyEnabled") else "off"
        results.add("bucket.encryption", PASS, f"SSE-KMS with {key}; S3 Bucket Key {bucket_key}")

    versioning = state.get("versioning") or {}
    results.flag(
        "bucket.versioning",
        versioning.get("Status") == "Enabled",
        "versioning is Enabled",
        f"versioning is {versioning.get('Status') or 'not enabled'}",
    )

    block = state.get("public_access_block") or {}
    off = [
        key
        for key in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        if not block.get(key)
    ]
    results.flag("bucket.public_access_block", not off, "all four settings are on", f"off: {', '.join(off)}")

    problem, found = _lifecycle_problem(state.get("lifecycle"), expected)
    results.flag("bucket.lifecycle", not problem, found, problem)

    target = (state.get("logging") or {}).get("TargetBucket")
    wanted_target = expected.get("access_log_bucket_name")
    if not target:
        results.add("bucket.access_logging", FAIL, "server access logging is off")
    elif wanted_target and target != wanted_target:
        results.add("bucket.access_logging", FAIL, f"access logs go to {target}, not to {wanted_target}")
    else:
        results.add("bucket.access_logging", PASS, f"to s3://{target}/{state['logging'].get('TargetPrefix', '')}")

    lock = state.get("object_lock") or {}
    locked = lock.get("ObjectLockEnabled") == "Enabled"
    retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
    actual = f"{retention.get('Mode', 'no default retention')} {retention.get('Days', '-')} days"
    if not expected.get("object_lock_enabled"):
        results.optional(
            "bucket.object_lock", locked, f"enabled: {actual}", "not configured (audit_bucket_object_lock_enabled)"
        )
    elif not locked:
        results.add("bucket.object_lock", FAIL, "configured (audit_bucket_object_lock_enabled) but off on the bucket")
    else:
        mode, days = expected.get("object_lock_mode"), expected.get("object_lock_days")
        matches = (not mode or retention.get("Mode") == mode) and (not days or retention.get("Days") == days)
        results.flag("bucket.object_lock", matches, actual, f"default retention is {actual}, not {mode} {days} days")

    if versioning.get("MFADelete") == "Enabled":
        results.add("bucket.mfa_delete", PASS, "MFA Delete is enabled")
    else:
        results.add("bucket.mfa_delete", MANUAL, _mfa_delete_step(name, account_id))
    return results


def exemption_checks(state, broad_role_arn, account_id, bucket_name, partition="aws"):
    """Who is exempt from the bucket policy's MFA statement: amber when the broad role is.

    broad_role_arn: the role the playbook assumes in the log-archive account by default (OrganizationAccountAccessRole
    or trailguard_assume_role_name), which every principal of the management account allowed to assume it can use.
    The guardrail SCPs exempt the same principals (the playbook builds both from one list). Nothing when the
    bucket does not exist: bucket_checks reports that.
    """
    if not state.get("exists"):
        return []
    results = _Results(account_id, f"arn:{partition}:s3:::{bucket_name}")
    statement = next(
        (s for s in _statements(state.get("policy")) if s.get("Sid") == "TrailguardDenyDeletesWithoutMFA"), None
    )
    if statement is None:
        results.add("bucket.exempt_principals", NOT_CONFIGURED, "the bucket policy has no MFA statement")
        return results
    exempt = sorted(
        arn
        for key, value in ((statement.get("Condition") or {}).get("ArnNotLike") or {}).items()
        if key.lower() == "aws:principalarn"
        for arn in _as_list(value)
    )
    # ArnNotLike matches * and ? as wildcards, as fnmatchcase does.
    if any(fnmatch.fnmatchcase(broad_role_arn, arn) for arn in exempt):
        results.add(
            "bucket.exempt_principals",
            WARN,
            f"{broad_role_arn} is exempt: every principal of the management account that may assume it can delete "
            "logs and change the bucket's policy and retention without MFA. Set trailguard_deploy_role_name for a "
            "dedicated deploy role that only named principals may assume (two runs switch over to it).",
        )
    else:
        results.add(
            "bucket.exempt_principals",
            PASS,
            f"exempt: {', '.join(exempt)}; not the broad role {broad_role_arn}" if exempt else "no principal is exempt",
        )
    return results


# ---------------------------------------------------------------- pure checks: key, SCPs, alarms


def key_checks(state, expected, account_id, trail_arn=None):
    """The trail key's checks. state: read_key's answer; expected: the module's `kms_key` option."""
    metadata = state.get("metadata")
    if not metadata:
        return _Results(account_id, expected["id"]).all_failed(
            "kms_key", f"there is no KMS key {expected['id']} in the log-archive account {account_id}"
        )
    arn, key_state = metadata["Arn"], metadata.get("KeyState")
    sids = expected.get("policy_sids") or []
    problems = policy_problems(state.get("policy"), sids, trail_arn)
    results = _Results(account_id, arn)
    results.flag(
        "kms_key.exists",
        key_state == "Enabled",
        f"{expected['id']} is {arn}",
        f"{arn} is {key_state}: CloudTrail cannot use it",
    )
    results.flag("kms_key.rotation", state.get("rotation"), "automatic rotation is on", "automatic rotation is off")
    results.flag(
        "kms_key.policy",
        not problems,
        f"statements {', '.join(sids)} present; CloudTrail may use it only for {trail_arn}",
        "; ".join(problems),
    )
    return results


def resolve_target(target, tree):
    """A guardrails target (root, r-..., ou-..., /OU/path or account ID) as an ID; None for an unknown path."""
    if target == "root":
        return tree["root_id"]
    if classify_scp_target(target) == "path":
        return tree["ous"].get(target.rstrip("/") or "/")
    return target


def scp_checks(expected, targets_by_name, tree, account_id):
    """One check per expected SCP ({name, targets}): it exists and is attached to each target."""
    results = _Results(account_id)
    if not expected:
        results.add("scps.attached", NOT_CONFIGURED, "no guardrail SCP is configured", check_id="scps.none")
        return results
    for scp in expected:
        name = scp["name"]
        attached = targets_by_name.get(name)
        labels = ", ".join(sorted(tree["labels"].get(target, target) for target in attached or ())) or "nothing"
        missing = []
        for target in scp.get("targets") or []:
            target_id = resolve_target(target, tree)
            if target_id is None or target_id not in (attached or ()):
                missing.append(target if target_id else f"{target} (no such OU)")
        if attached is None:
            status, detail = FAIL, f"there is no SCP named {name}"
        else:
            status, detail = (
                (FAIL, f"not attached to {', '.join(missing)}; attached to {labels}")
                if missing
                else (PASS, f"attached to {labels}")
            )
        results.append(
            check(
                "scps.attached", status, detail, account_id, name, check_id=f"scps.{name}", title=f"SCP {name} attached"
            )
        )
    return results


def alarm_checks(names, state, log_group_arn, account_id):
    """The expected alarms exist, and each one's metric comes from a metric filter on the trail's log group."""
    results = _Results(account_id, log_group_arn)
    if not names:
        results.add("alarms.present", NOT_CONFIGURED, "monitoring is not configured (posture_expected_alarms is empty)")
        return results
    if not log_group_arn:
        results.add(
            "alarms.present", FAIL, "the trail delivers to no CloudWatch Logs log group, so no alarm sees its events"
        )
        return results
    metrics = {
        (transformation.get("metricNamespace"), transformation.get("metricName"))
        for metric_filter in state.get("metric_filters") or []
        for transformation in metric_filter.get("metricTransformations") or []
    }
    missing, unfed = [], []
    for name in names:
        alarm = state.get("alarms", {}).get(name)
        if alarm is None:
            missing.append(name)
        elif (alarm.get("Namespace"), alarm.get("MetricName")) not in metrics:
            unfed.append(f"{name} ({alarm.get('Namespace')}/{alarm.get('MetricName')})")
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    if unfed:
        problems.append(f"no metric filter on the trail's log group emits the metric of {', '.join(unfed)}")
    results.flag(
        "alarms.present", not problems, f"{len(names)} alarms, each fed by a metric filter", "; ".join(problems)
    )
    return results


def tamper_rule_checks(expected, states):
    """One check per expected tamper rule: it exists, is enabled and delivers to its target.

    expected: [{name, account_id, where (a label such as "management account, us-east-1"), target_arn}]
    states:   read_tamper_rule's answers, in the same order
    """
    results = []
    for rule, state in zip(expected, states):
        found = state.get("rule")
        if found is None:
            status, detail = FAIL, f"there is no rule {rule['name']} in the {rule['where']}"
        elif found.get("State") == "DISABLED":
            status, detail = FAIL, "the rule is disabled: it matches no event"
        elif rule["target_arn"] not in state.get("targets", []):
            targets = ", ".join(state.get("targets", [])) or "nothing"
            status, detail = FAIL, f"the rule delivers to {targets}, not to {rule['target_arn']}"
        else:
            status, detail = PASS, f"enabled, delivers to {rule['target_arn']}"
        results.append(
            check(
                "alarms.tamper_rule",
                status,
                detail,
                rule["account_id"],
                found.get("Arn") if found else rule["name"],
                check_id=f"alarms.tamper_rule.{rule['account_id']}.{rule['name']}",
                title=f"Tamper rule {rule['name']} ({rule['where']})",
            )
        )
    return results


# ---------------------------------------------------------------- pure checks: every account


def _coverage(member, account_id, organization, trail_problem):
    if member is None:
        return FAIL, f"account {account_id} is not a member of organization {organization['Id']}"
    if member["status"] != "ACTIVE":
        return FAIL, f"the account is {member['status']}, not ACTIVE"
    if trail_problem:
        return FAIL, trail_problem
    return PASS, f"ACTIVE member, in {member['ou_path']}"


def _legacy_trail(trail):
    if trail.get("error"):
        return f"{trail['name']} ({trail['home_region']}, {trail['error']})"
    return f"{trail['name']} ({trail['home_region']}, {'logging' if trail['is_logging'] else 'stopped'})"


def _legacy(scan):
    if "error" in scan:
        return FAIL, f"could not list the account's trails: {scan['error']}"
    if not scan["trails"]:
        return PASS, "no account-level trail"
    names = ", ".join(_legacy_trail(trail) for trail in scan["trails"])
    return FAIL, (
        f"{len(scan['trails'])} legacy trail(s): {names}. They log management events the organization trail already "
        "logs, and AWS bills those extra copies."
    )


def _scp_coverage(account, member, organization, scps, targets_by_name, tree):
    if account.get("role") == "management" or account["account_id"] == organization["MasterAccountId"]:
        return NOT_APPLICABLE, "SCPs never apply to the management account"
    if not scps:
        return NOT_CONFIGURED, "no guardrail SCP is configured"
    if member is None:
        return FAIL, "not in the organization, so no SCP applies"
    lineage = [account["account_id"]] + member["ancestors"]
    via, uncovered = [], []
    for scp in scps:
        attached = targets_by_name.get(scp["name"]) or set()
        source = next((target for target in lineage if target in attached), None)
        if source is None:
            uncovered.append(scp["name"])
        else:
            via.append(f"{scp['name']} via {tree['labels'].get(source, source)}")
    return (FAIL, f"not covered by {', '.join(uncovered)}") if uncovered else (PASS, "; ".join(via))


def account_checks(account, tree, organization, trail_problem, scan, scps, targets_by_name):
    """The per-account checks: covered by the organization trail, no legacy trails, both SCPs apply.

    account:        {account_id, name, role: management, log_archive or member}
    trail_problem:  None when the organization trail is healthy, else why it is not
    scan:           {"trails": accounts.search_account_trails(...)} or {"error": ...} for the account
    scps:           the expected SCPs ({name, targets}); targets_by_name: read_scp_targets' answer
    """
    account_id = account["account_id"]
    member = tree["accounts"].get(account_id)
    results = _Results(account_id, account_id)
    results.add("account.org_trail", *_coverage(member, account_id, organization, trail_problem))
    results.add("account.legacy_trails", *_legacy(scan))
    results.add("account.scp_coverage", *_scp_coverage(account, member, organization, scps, targets_by_name, tree))
    return results


def organization_trail_problem(checks):
    """Why the organization trail covers no account, from the trail's checks, or None."""
    vital = ("trail.exists", "trail.organization", "trail.multi_region", "trail.logging")
    failed = [item for item in checks if item["id"] in vital and item["status"] == FAIL]
    return f"the organization trail is not usable: {failed[0]['detail']}" if failed else None


# ---------------------------------------------------------------- the report


def worst(statuses):
    """The worst of the statuses (FAIL first); NOT_APPLICABLE for none."""
    statuses = set(statuses)
    return next((status for status in STATUSES if status in statuses), NOT_APPLICABLE)


LABELS = {PASS: "ok", FAIL: "fail", WARN: "warn", MANUAL: "manual", NOT_CONFIGURED: "off", NOT_APPLICABLE: "n/a"}


def _cell(column, checks):
    """A matrix cell: the worst status of its checks, a short label, and every check for the details."""
    if not checks:
        return None
    status = worst(item["status"] for item in checks)
    passed = sum(1 for item in checks if item["status"] == PASS)
    # Out of the checks that apply: a setting left off is not counted against the cell.
    counted = sum(1 for item in checks if item["status"] in (PASS, FAIL, WARN, MANUAL))
    return {
        "column": column,
        "status": status,
        "label": LABELS[status] if len(checks) == 1 or not counted else f"{passed}/{counted}",
        "detail": "\n".join(f"[{item['status']}] {item['title']}: {item['detail']}" for item in checks),
        "checks": [{key: item[key] for key in ("id", "title", "status", "detail")} for item in checks],
    }


def _summary_lines(summary, checks, names, max_lines):
    counts = ", ".join(f"{summary[status]} {status.replace('_', ' ')}" for status in STATUSES)
    lines = [
        f"Trailguard posture: {summary['status'].upper()} - {summary['checks']} checks: {counts}",
        f"Accounts: {summary['accounts_covered']} of {summary['accounts']} covered by the organization trail, "
        f"{summary['accounts_failing']} with failing checks",
    ]
    if summary["accounts_not_in_inventory"]:
        lines.append(f"Not in the inventory, so not checked: {', '.join(summary['accounts_not_in_inventory'])}")
    notable = [item for status in (FAIL, WARN, MANUAL) for item in checks if item["status"] == status]
    for item in notable[:max_lines]:
        where = f"{names.get(item['account_id'], item['account_id'])} ({item['account_id']})"
        lines.append(f"{item['status'].upper()} {where} - {item['title']}: {item['detail']}")
    if len(notable) > max_lines:
        lines.append(f"... and {len(notable) - max_lines} more in the report")
    return lines


def build_report(organization, accounts, org_checks, per_account, tree, generated_at, max_lines=20):
    """The report: a summary, the accounts x columns matrix, and every check.

    accounts:     the inventory's accounts ({account_id, name, role}), in order
    org_checks:   the trail, bucket, key, SCP and alarm checks
    per_account:  {account_id: its account checks}
    """
    owners = {
        "management": organization["MasterAccountId"],
        "log_archive": next((a["account_id"] for a in accounts if a.get("role") == "log_archive"), None),
    }
    rows, checks = [], list(org_checks)
    for account in accounts:
        account_id = account["account_id"]
        own = per_account.get(account_id, [])
        checks += own
        cells = []
        for column, _title in COLUMNS:
            if column.startswith("account."):
                cells.append(_cell(column, [item for item in own if item["id"] == column]))
            elif owners[GROUP_OWNERS[column]] == account_id:
                cells.append(_cell(column, [item for item in org_checks if item["group"] == column]))
            else:
                cells.append(None)
        member = tree["accounts"].get(account_id, {})
        rows.append(
            {
                "account_id": account_id,
                "name": account.get("name") or member.get("name") or account_id,
                "role": account.get("role") or "member",
                "ou_path": member.get("ou_path", ""),
                "account_status": member.get("status", "NOT_IN_ORGANIZATION"),
                "status": worst(cell["status"] for cell in cells if cell),
                "cells": cells,
            }
        )

    listed = {account["account_id"] for account in accounts}
    summary = {status: sum(1 for item in checks if item["status"] == status) for status in STATUSES}
    summary.update(
        status=FAIL if summary[FAIL] else PASS,
        checks=len(checks),
        accounts=len(rows),
        accounts_failing=sum(1 for row in rows if row["status"] == FAIL),
        accounts_covered=sum(1 for item in checks if item["id"] == "account.org_trail" and item["status"] == PASS),
        accounts_not_in_inventory=sorted(
            f"{info['name']} ({account_id})"
            for account_id, info in tree["accounts"].items()
            if account_id not in listed and info["status"] == "ACTIVE"
        ),
    )
    names = {row["account_id"]: row["name"] for row in rows}
    return {
        "generated_at": generated_at,
        "organization": {
            "id": organization["Id"],
            "management_account_id": owners["management"],
            "log_archive_account_id": owners["log_archive"],
        },
        "summary": summary,
        "summary_lines": _summary_lines(summary, checks, names, max_lines),
        "columns": [{"id": column, "title": title} for column, title in COLUMNS],
        "accounts": rows,
        "checks": checks,
    }


# ---------------------------------------------------------------- the Athena table over the logs


def athena_checks(table, expected, tree, account_id):
    """Whether the table's account projection lists every active account of the organization.

    expected: {database, name}, or None when Athena is off. An account missing from the enum is red: Athena never
    reads its logs. Accounts no longer active may stay listed (their logs are still in the bucket).
    """
    resource = f"{expected['database']}.{expected['name']}" if expected else None
    if not expected:
        return [check("athena.accounts", NOT_CONFIGURED, "Athena is off (trailguard_athena)", account_id)]
    if not table:
        return [check("athena.accounts", FAIL, f"The table {resource} does not exist", account_id, resource)]
    values = (table.get("Parameters") or {}).get("projection.account.values", "")
    listed = values.split(",") if values else []
    active = sorted(key for key, info in tree["accounts"].items() if info["status"] == "ACTIVE")
    missing = sorted(set(active) - set(listed))
    spaced = [value for value in listed if value != value.strip()]
    if missing or spaced:
        detail = "; ".join(
            part
            for part in (
                f"not in the table, so their logs are never read: {', '.join(missing)} (run the playbook)" if missing else "",
                f"values with spaces, which Athena matches to nothing: {spaced}" if spaced else "",
            )
            if part
        )
        return [check("athena.accounts", FAIL, detail, account_id, resource)]
    former = sorted(set(listed) - set(active))
    detail = f"All {len(active)} active accounts are in the table"
    if former:
        detail += f"; also listed, no longer active: {', '.join(former)}"
    return [check("athena.accounts", PASS, detail, account_id, resource)]
