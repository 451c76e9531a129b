"""Start moto's own server entry point after a few small fixes to moto 5.2.5.

Each patch makes moto behave like real AWS where it does not, so that the
amazon.aws/community.aws modules and ours see what they would see in AWS.
moto is pinned exactly in requirements-dev.txt because these touch its
internals; `patch_moto()` fails loudly if a patched name has moved.

Usage: python tools/moto_server.py -H 127.0.0.1 -p 5000   (same flags as moto_server)
"""

import functools
import json
import sys

import xmltodict

CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"


def _patch_s3_notification_filters():
    """Accept `Prefix`/`Suffix` filter rules and empty values, as real S3 does.

    community.aws.s3_bucket_notification always sends both rules, capitalised,
    with an empty suffix; stock moto asserts on lowercase non-empty names (500).
    The rules are stored as sent, so GET round-trips them; matching is
    case-insensitive.
    """
    from moto.s3.models import Notification
    from moto.s3.responses import S3Response

    original = S3Response._notification_config_from_body

    def _rules(parsed):
        config = parsed.get("NotificationConfiguration") or {}
        for name in ("Topic", "Queue", "CloudFunction"):
            notifications = config.get(f"{name}Configuration") or []
            if not isinstance(notifications, list):
                notifications = [notifications]
            for notification in notifications:
                rules = ((notification.get("Filter") or {}).get("S3Key") or {}).get("FilterRule") or []
                yield from (rules if isinstance(rules, list) else [rules])

    def notification_config_from_body(self):
        parsed = xmltodict.parse(self.body)
        sent = []
        for rule in _rules(parsed):
            sent.append((rule.get("Name"), rule.get("Value")))
            rule["Name"] = (rule.get("Name") or "").lower()
            rule["Value"] = rule.get("Value") or "-"  # placeholder, restored below
        self.body = xmltodict.unparse(parsed).encode("utf-8")
        config = original(self)
        # Restore the names and values exactly as the client sent them.
        restored = {"NotificationConfiguration": config}
        for rule, (name, value) in zip(_rules(restored), sent):
            rule["Name"] = name
            rule["Value"] = value or ""
        return config

    def key_matches(self, key_name):
        if "S3Key" not in self.filters:
            return True
        rules = {rule["Name"].lower(): rule.get("Value") or "" for rule in self.filters["S3Key"]["FilterRule"]}
        return key_name.startswith(rules.get("prefix", "")) and key_name.endswith(rules.get("suffix", ""))

    S3Response._notification_config_from_body = notification_config_from_body
    Notification._key_matches = key_matches


def _patch_s3_object_lock_read_back():
    """Return only the retention unit that was set (Days or Years), like S3.

    Stock moto returns both, with the unset one as 0, which makes
    amazon.aws.s3_bucket report a change on every run.
    """
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def get_object_lock_configuration(self):
        lock_enabled, mode, days, years = self.backend.get_object_lock_configuration(self.bucket_name)
        config = {"ObjectLockEnabled": "Enabled" if lock_enabled else "Disabled"}
        if mode:
            retention = {"Mode": mode}
            if days:
                retention["Days"] = days
            if years:
                retention["Years"] = years
            config["Rule"] = {"DefaultRetention": retention}
        self.data["Action"] = "GetObjectLockConfiguration"
        return self.serialized(ActionResult({"ObjectLockConfiguration": config}))

    S3Response.get_object_lock_configuration = get_object_lock_configuration


def _patch_cloudtrail_delegated_admin():
    """Let CloudTrail (and AWS Config) have a delegated administrator, as in AWS.

    Adds CloudTrail and Config to moto's allow-list for Organizations' delegated admins,
    and implements CloudTrail's own Register/DeregisterOrganizationDelegatedAdmin
    (the documented way to register one) on top of the Organizations backend.
    """
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.organizations.models import FakeDelegatedAdministrator
    from moto.organizations.models import organizations_backends

    # AWS Config's organization aggregator needs a delegated admin for config.amazonaws.com too.
    for principal in (CLOUDTRAIL_PRINCIPAL, "config.amazonaws.com"):
        if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)

    def _organizations(self):
        return organizations_backends[self.current_account][self.partition]

    def register_organization_delegated_admin(self):
        member = self._get_param("MemberAccountId")
        _organizations(self).register_delegated_administrator(AccountId=member, ServicePrincipal=CLOUDTRAIL_PRINCIPAL)
        return "{}"

    def deregister_organization_delegated_admin(self):
        member = self._get_param("DelegatedAdminAccountId")
        _organizations(self).deregister_delegated_administrator(AccountId=member, ServicePrincipal=CLOUDTRAIL_PRINCIPAL)
        return "{}"

    CloudTrailResponse.register_organization_delegated_admin = register_organization_delegated_admin
    CloudTrailResponse.deregister_organization_delegated_admin = deregister_organization_delegated_admin


def _patch_s3_bucket_policy_conditions():
    """Skip bucket-policy statements with conditions when moto checks object access.

    moto implements only StringEquals and counts every other condition operator
    as true, so a standard "deny without TLS" or "deny outside the organization"
    statement would deny every object request, even the owner's. Statements
    without conditions are still enforced. What the conditioned statements do is
    proven with a real IAM policy simulator in tests/policy instead.
    """
    from moto.iam.access_control import IAMPolicy
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        policy["Statement"] = [statement for statement in statements if "Condition" not in statement]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def _patch_cloudtrail_replace_semantics():
    """PutEventSelectors/PutInsightSelectors replace, and DeleteTrail takes an ARN, as in AWS.

    Stock moto appends insight selectors (so [] cannot turn Insights off), keeps
    advanced selectors when classic ones are put, and silently ignores
    DeleteTrail given a trail ARN (the form a delegated administrator must use).
    """
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.models import Trail

    def put_event_selectors(self, event_selectors, advanced_event_selectors):
        if advanced_event_selectors:
            self.event_selectors, self.advanced_event_selectors = [], advanced_event_selectors
        else:
            self.event_selectors, self.advanced_event_selectors = event_selectors or [], []

    def put_insight_selectors(self, insight_selectors):
        self.insight_selectors = list(insight_selectors or [])

    def delete_trail(self, name):
        trail = self.get_trail(name)  # by name or ARN; TrailNotFoundException when missing, like AWS
        del self.trails[trail.trail_name]

    Trail.put_event_selectors = put_event_selectors
    Trail.put_insight_selectors = put_insight_selectors
    CloudTrailBackend.delete_trail = delete_trail


def _patch_s3_acl_on_bucket_owner_enforced():
    """PutBucketAcl and PutObjectAcl fail on a BucketOwnerEnforced bucket, as in AWS.

    With Object Ownership BucketOwnerEnforced ACLs are disabled, and S3 answers
    every request that sets an ACL with 400 AccessControlListNotSupported. Stock
    moto stores the ACL, which hid that community.aws.s3_logging cannot log to
    such a bucket (it always adds a LogDelivery grant first). Only buckets whose
    ownership controls say BucketOwnerEnforced are affected; moto does not apply
    AWS's default for buckets created without ownership controls.
    """
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    def refuse_if_enforced(backend, bucket_name):
        if backend.get_bucket(bucket_name).ownership_rule == "BucketOwnerEnforced":
            raise S3ClientError("AccessControlListNotSupported", "The bucket does not allow ACLs")

    original_put_bucket_acl = S3Backend.put_bucket_acl
    original_put_object_acl = S3Backend.put_object_acl

    def put_bucket_acl(self, bucket_name, *args, **kwargs):
        refuse_if_enforced(self, bucket_name)
        return original_put_bucket_acl(self, bucket_name, *args, **kwargs)

    def put_object_acl(self, bucket_name, *args, **kwargs):
        refuse_if_enforced(self, bucket_name)
        return original_put_object_acl(self, bucket_name, *args, **kwargs)

    S3Backend.put_bucket_acl = put_bucket_acl
    S3Backend.put_object_acl = put_object_acl


def _patch_ec2_regions_of_the_callers_partition():
    """DescribeRegions lists only the enabled regions of the caller's partition, as in AWS.

    Stock moto also lists the GovCloud and China regions. An account of the aws
    partition never sees those, and with IAM enforcement on moto refuses its
    credentials there (InvalidClientTokenId), so a scan of "every enabled region"
    would fail in the emulator where it works in AWS. It also lists the opt-in
    regions the account has not opted in to (moto's own status "not-opted-in"),
    which AWS leaves out unless AllRegions is asked for: a scan of every enabled
    region would look in 34 regions instead of about 20.
    """
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
    from moto.utilities.utils import get_partition

    original = RegionsAndZonesBackend.describe_regions

    def describe_regions(self, region_names=None):
        partition = get_partition(self.region_name)
        return [
            region
            for region in original(self, region_names)
            if get_partition(region.name) == partition and region.opt_in_status != "not-opted-in"
        ]

    RegionsAndZonesBackend.describe_regions = describe_regions


def _patch_cloudtrail_list_trails_account_wide():
    """ListTrails lists every trail of the account, whatever the region asked, as in AWS.

    CloudTrail API Reference, ListTrails: "Lists trails that are in the current
    account", each with its Name, TrailARN and HomeRegion. Stock moto lists
    only the trails of the region asked and the multi-region ones, so a
    search had to ask every region. An organization trail is in every account
    of the organization too (CloudTrail User Guide, "Creating a trail for an
    organization": "a trail with the name that you give it is created in every
    AWS account that belongs to your organization"), so a member's ListTrails
    also lists it, under its owner's ARN.
    """
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.models import cloudtrail_backends
    from moto.organizations.models import organizations_backends
    from moto.utilities.utils import get_partition

    def trails_of(account_id, partition):
        account = dict.get(cloudtrail_backends, account_id) or {}  # not [account_id]: that creates it
        for backend in list(account.values()):
            if get_partition(backend.region_name) == partition:
                yield from list(backend.trails.values())

    def organization_accounts(account_id):
        management = (organizations_backends.master_accounts.get(account_id) or (account_id,))[0]
        members = [
            member
            for member, (owner, _partition) in organizations_backends.master_accounts.items()
            if owner == management
        ]
        return [management] + members

    def list_trails(self):
        partition = get_partition(self.region_name)
        found = {trail.arn: trail for trail in trails_of(self.account_id, partition)}
        for account_id in organization_accounts(self.account_id):
            for trail in trails_of(account_id, partition):
                if trail.is_org_trail:
                    found.setdefault(trail.arn, trail)
        return [found[arn] for arn in sorted(found)]

    CloudTrailBackend.list_trails = list_trails


# Control channel for GetTrailStatus (see _patch_cloudtrail_trail_status); tests post JSON here.
TRAIL_STATUS_PATH = "/moto-api/trailguard/cloudtrail/trail-status"
# CloudTrail User Guide, "Finding your CloudTrail log files": log files are published about every
# 5 minutes, digest files (log file validation) once an hour.
TRAIL_LOG_INTERVAL_SECONDS = 300
TRAIL_DIGEST_INTERVAL_SECONDS = 3600
TRAIL_STATUS_TIMES = (
    "LatestDeliveryTime",
    "LatestCloudWatchLogsDeliveryTime",
    "LatestDigestDeliveryTime",
    "LatestNotificationTime",
)
TRAIL_STATUS_ERRORS = (
    "LatestDeliveryError",
    "LatestCloudWatchLogsDeliveryError",
    "LatestDigestDeliveryError",
    "LatestNotificationError",
)
# Emulator-wide: seconds from StartLogging to a trail's first delivery; /moto-api/reset restores it.
_trail_delivery = {"FirstDeliverySeconds": TRAIL_LOG_INTERVAL_SECONDS}


def _epoch(value):
    """Seconds since the epoch of a number, an ISO 8601 string or a datetime (naive ones are UTC, as moto's)."""
    import datetime

    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def _latest_delivery(start, end, first_after, every):
    """The last of the deliveries at start + first_after, then every `every` seconds, up to end; None before the first."""
    first = start + first_after
    return None if end < first else first + (end - first) // every * every


def _trail_deliveries(trail, now):
    """The delivery times a trail has reached by `now`, as AWS would report them."""
    status = trail.status
    found = dict(getattr(status, "trailguard_before", {}))
    if status.started:
        start = _epoch(status.started)
        end = now if status.is_logging else _epoch(status.stopped)
        logs = _latest_delivery(start, end, _trail_delivery["FirstDeliverySeconds"], TRAIL_LOG_INTERVAL_SECONDS)
        if logs is not None:
            found["LatestDeliveryTime"] = logs
            if trail.cw_log_group_arn:
                found["LatestCloudWatchLogsDeliveryTime"] = logs
        if trail.log_validation:
            digest = _latest_delivery(start, end, TRAIL_DIGEST_INTERVAL_SECONDS, TRAIL_DIGEST_INTERVAL_SECONDS)
            if digest is not None:
                found["LatestDigestDeliveryTime"] = digest
    return found


def set_trail_status(trail_arn, **fields):
    """Set what GetTrailStatus reports for one trail (in process; the emulator's endpoint calls this).

    Each field of TRAIL_STATUS_TIMES (an ISO 8601 string, epoch seconds or a
    datetime) or TRAIL_STATUS_ERRORS (a string) is reported as given from now
    on, instead of the computed value; None removes it from the answer.
    """
    from moto.cloudtrail.models import cloudtrail_backends

    unknown = sorted(set(fields) - set(TRAIL_STATUS_TIMES + TRAIL_STATUS_ERRORS))
    if unknown:
        raise ValueError(f"unknown trail status fields {unknown}; known: {TRAIL_STATUS_TIMES + TRAIL_STATUS_ERRORS}")
    parts = trail_arn.split(":")
    trail = cloudtrail_backends[parts[4]][parts[3]].get_trail(trail_arn)  # TrailNotFoundException when missing
    overrides = trail.status.__dict__.setdefault("trailguard_overrides", {})
    for name, value in fields.items():
        overrides[name] = _epoch(value) if value is not None and name in TRAIL_STATUS_TIMES else value


def set_emulator_trail_status(url, trail_arn=None, first_delivery_seconds=None, **fields):
    """The client side of the control channel: set a trail's status, or the first-delivery delay, in the emulator at url."""
    import datetime
    import urllib.request

    body = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else value for name, value in fields.items()
    }
    if trail_arn:
        body["TrailARN"] = trail_arn
    if first_delivery_seconds is not None:
        body["FirstDeliverySeconds"] = first_delivery_seconds
    request = urllib.request.Request(
        url + TRAIL_STATUS_PATH, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec: the local emulator only
        return json.loads(response.read())


def _patch_cloudtrail_trail_status():
    """GetTrailStatus reports deliveries as AWS does, and what a test sets.

    CloudTrail API Reference, GetTrailStatus: LatestDeliveryTime is when
    CloudTrail last delivered log files to the bucket, LatestDeliveryError and
    LatestCloudWatchLogsDeliveryError are the errors of its last attempts. Stock
    moto reports a delivery at every call, even right after StartLogging, so
    "has this trail delivered yet?" could not be tested. Here a trail first
    delivers FirstDeliverySeconds (300) after StartLogging, then every 5
    minutes while it logs (CloudTrail User Guide, "Finding your CloudTrail log
    files": about every 5 minutes); to CloudWatch Logs at the same times when it
    has a log group; a digest file every hour with log file validation on.
    StartLogging on a logging trail changes nothing, as in AWS; after a stop and
    a start the old times stay until the next delivery.

    Control channel: POST JSON to /moto-api/trailguard/cloudtrail/trail-status
    (TRAIL_STATUS_PATH; set_emulator_trail_status() is a client):
      {"TrailARN": arn, "LatestDeliveryTime": "2026-01-01T00:00:00Z" | epoch | null,
       "LatestDeliveryError": "AccessDenied" | null, ...}
        fixes those fields of that trail (TRAIL_STATUS_TIMES, TRAIL_STATUS_ERRORS);
        null removes one from the answer. They last as long as the trail.
      {"FirstDeliverySeconds": 0}   the delay for every trail; /moto-api/reset restores 300.
    Answers 200 {"status": "ok"}, or 400 with the reason.
    """
    import datetime
    import time

    from moto.cloudtrail.models import Trail
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.moto_api._internal import urls as moto_api_urls
    from moto.moto_api._internal.models import MotoAPIBackend

    def iso(epoch):
        return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def description(trail):
        status = trail.status
        answer = {"IsLogging": status.is_logging, "TimeLoggingStarted": "", "TimeLoggingStopped": ""}
        if status.started:
            answer["StartLoggingTime"] = _epoch(status.started)
            answer["TimeLoggingStarted"] = iso(answer["StartLoggingTime"])
        if status.stopped:
            answer["StopLoggingTime"] = _epoch(status.stopped)
            answer["TimeLoggingStopped"] = iso(answer["StopLoggingTime"])
        answer.update(_trail_deliveries(trail, time.time()))
        for name, value in getattr(status, "trailguard_overrides", {}).items():
            if value is None:
                answer.pop(name, None)
            else:
                answer[name] = value
        # Documented as no longer in use; AWS still sends them.
        delivered = answer.get("LatestDeliveryTime")
        answer.update(
            LatestDeliveryAttemptTime=iso(delivered) if delivered else "",
            LatestDeliveryAttemptSucceeded="",
            LatestNotificationAttemptTime="",
            LatestNotificationAttemptSucceeded="",
        )
        return answer

    def get_trail_status(self):
        status = self.cloudtrail_backend.get_trail_status(self._get_param("Name"))  # moto's lookup and errors
        trail = next(
            t for t in self.cloudtrail_backend.describe_trails(include_shadow_trails=True) if t.status is status
        )
        return json.dumps(description(trail))

    original_start_logging = Trail.start_logging

    def start_logging(self):
        if self.status.is_logging:
            return
        if self.status.started:
            self.status.trailguard_before = _trail_deliveries(self, time.time())
        original_start_logging(self)

    def trail_status_endpoint(request, full_url, headers):
        if request.method != "POST":
            return 400, {}, json.dumps({"error": f"POST JSON to {TRAIL_STATUS_PATH}"})
        try:
            body = json.loads(request.data or b"{}")
            if "FirstDeliverySeconds" in body:
                _trail_delivery["FirstDeliverySeconds"] = float(body.pop("FirstDeliverySeconds"))
            if "TrailARN" in body:
                set_trail_status(body.pop("TrailARN"), **body)
            elif body:
                raise ValueError("a trail's fields need its TrailARN")
        except Exception as error:  # pylint: disable=broad-except  # any bad request is the caller's to see
            return 400, {}, json.dumps({"error": f"{type(error).__name__}: {error}"})
        return 200, {}, json.dumps({"status": "ok"})

    original_reset = MotoAPIBackend.reset

    def reset(self):
        _trail_delivery["FirstDeliverySeconds"] = TRAIL_LOG_INTERVAL_SECONDS
        original_reset(self)

    CloudTrailResponse.get_trail_status = get_trail_status
    Trail.start_logging = start_logging
    MotoAPIBackend.reset = reset
    moto_api_urls.url_paths["{0}" + TRAIL_STATUS_PATH] = trail_status_endpoint


S3_BUCKET_POLICY_MAX_BYTES = 20 * 1024


def _patch_s3_bucket_policy_size():
    """PutBucketPolicy refuses a policy over 20 KB, as S3 does.

    Amazon S3 User Guide, "Bucket policies and user policies": "Bucket policies
    are limited to 20 KB in size." The size counts the policy without its
    insignificant whitespace (20,480 bytes). The Error Responses page of the S3
    API Reference lists no code for it; S3 and S3-compatible servers answer 400
    PolicyTooLarge "Policy exceeds the maximum allowed document size.", which
    is what this answers. Stock moto stores a policy of any size, which hid a
    policy that grows with the number of accounts.
    """
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    original = S3Backend.put_bucket_policy

    def put_bucket_policy(self, bucket_name, policy):
        self.get_bucket(bucket_name)  # NoSuchBucket first, as before
        try:
            size = len(json.dumps(json.loads(policy), separators=(",", ":"), ensure_ascii=False).encode())
        except ValueError:
            size = len(policy)
        if size > S3_BUCKET_POLICY_MAX_BYTES:
            raise S3ClientError("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
        return original(self, bucket_name, policy)

    S3Backend.put_bucket_policy = put_bucket_policy


def _patch_config_delivery_channel_object_lock():
    """PutDeliveryChannel refuses a bucket with Object Lock enabled, as AWS Config does.

    AWS CloudFormation Template Reference, AWS::Config::DeliveryChannel: "AWS
    Config does not support the delivery channel to an Amazon S3 bucket where
    object lock is enabled." The AWS Config API Reference names no error for
    it. PutDeliveryChannel checks that Config can write to the bucket, and its
    documented answer when it cannot is InsufficientDeliveryPolicyException
    ("Your Amazon S3 bucket policy does not allow Config to write to it"), so
    that is the answer here, with a message that names the cause. Stock moto
    accepts the channel.
    """
    from moto.config.models import ConfigBackend
    from moto.core.exceptions import JsonRESTError
    from moto.s3.models import s3_backends

    original = ConfigBackend.put_delivery_channel

    def put_delivery_channel(self, delivery_channel):
        name = delivery_channel.get("s3BucketName")
        owner = s3_backends.bucket_accounts.get(name)  # (partition, account): bucket names are global
        bucket = s3_backends[owner[1]][owner[0]].buckets.get(name) if owner else None
        if bucket is not None and bucket.object_lock_enabled:
            raise JsonRESTError(
                "InsufficientDeliveryPolicyException",
                f"AWS Config cannot deliver to S3 bucket {name}: Object Lock is enabled on it, and AWS Config does "
                "not support a delivery channel to a bucket with Object Lock.",
            )
        return original(self, delivery_channel)

    ConfigBackend.put_delivery_channel = put_delivery_channel


def _patch_iam_cost_per_account():
    """Make an account's IAM state cheap until it is used, so the emulator holds organizations of 500 accounts.

    Stock moto resolves the account of every request by looking up the access key
    in each account's IAM backend of each of its 6 partitions, creating the
    missing ones; and each new IAM backend parses the whole AWS managed policy
    list (MOTO_IAM_LOAD_MANAGED_POLICIES) and builds its ~1,300 policy objects:
    about 2.5 s of CPU and 57 MB per account. Here the lookup only reads the
    backends that exist, and a backend builds its AWS managed policies the first
    time they are read, from a list parsed once. What a backend answers is
    unchanged.
    """
    import moto.iam.models as iam_models
    from moto.iam.models import AWSManagedPolicy
    from moto.iam.models import IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    @functools.lru_cache(maxsize=1)
    def parsed_aws_managed_policies():
        return json.loads(iam_models.aws_managed_policies_data)

    def get_account_id_from(access_key):
        for account_id, account in list(iam_models.iam_backends.items()):
            for partition in iam_models.PARTITION_NAMES:
                backend = dict.get(account, partition)  # not account[partition]: that creates it
                if backend is not None and access_key in backend.access_keys:
                    return account_id
        return iam_models.DEFAULT_ACCOUNT_ID

    def aws_managed_policies(self):
        if self.__dict__.get("_aws_managed_policies") is None:
            self.__dict__["_aws_managed_policies"] = (
                [
                    AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                    for name, data in parsed_aws_managed_policies().items()
                ]
                if load_iam_aws_managed_policies()
                else []
            )
        return self.__dict__["_aws_managed_policies"]

    def managed_policies(self):
        # The AWS managed policies plus the account's own, which create_policy adds to this dict.
        if self.__dict__.get("_managed_policies") is None:
            self.__dict__["_managed_policies"] = {policy.arn: policy for policy in self.aws_managed_policies}
        return self.__dict__["_managed_policies"]

    def setter(name):
        def set_value(self, value):
            self.__dict__[name] = value

        return set_value

    iam_models.get_account_id_from = get_account_id_from
    # __init__ assigns both from these; None means "build on first read".
    IAMBackend._init_aws_policies = lambda self: None
    IAMBackend._init_managed_policies = lambda self: None
    IAMBackend.aws_managed_policies = property(aws_managed_policies, setter("_aws_managed_policies"))
    IAMBackend.managed_policies = property(managed_policies, setter("_managed_policies"))


def _patch_cloudtrail_list_public_keys():
    """ListPublicKeys returns the key that signs digest files, as AWS documents (moto answers 500).

    AWS CloudTrail API Reference, "ListPublicKeys": the public keys whose private keys signed digest files in
    [StartTime, EndTime] (each defaults to now; a start after the end is InvalidTimeRangeException), each with
    its DER-encoded PKCS #1 Value, validity times and Fingerprint. The signer here is the test key of
    tools/cloudtrail_delivery.py, the stand-in for CloudTrail's delivery, in every region.
    """
    import base64
    import datetime

    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError

    import cloudtrail_delivery  # tools/, next to this file

    def moment(value, default):
        if value in (None, ""):
            return default
        if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
            return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)

    def list_public_keys(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = moment(self._get_param("StartTime"), now), moment(self._get_param("EndTime"), now)
        if start > end:
            raise JsonRESTError("InvalidTimeRangeException", "Occurs if the timestamp values are not valid.")
        keys = [
            {
                "Value": base64.b64encode(key["Value"]).decode(),
                "ValidityStartTime": key["ValidityStartTime"].timestamp(),
                "ValidityEndTime": key["ValidityEndTime"].timestamp(),
                "Fingerprint": key["Fingerprint"],
            }
            for key in cloudtrail_delivery.public_keys(start, end)
        ]
        return json.dumps({"PublicKeyList": keys})

    CloudTrailResponse.list_public_keys = list_public_keys


def _patch_s3_lifecycle_object_size_filters():
    """Keep a lifecycle rule's object-size filter, as S3 does.

    S3 User Guide, "Lifecycle configuration elements": a rule's Filter may hold
    ObjectSizeGreaterThan and ObjectSizeLessThan, alone or in an And with a
    prefix, and "Transitioning objects using Amazon S3 Lifecycle": such a filter
    takes precedence over the default 128 KB minimum. moto 5.2.5 drops both from
    the rule it stores, so GetBucketLifecycleConfiguration answered a rule S3
    would not have, and a size-filtered rule looked changed on every run.
    """
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    sizes = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")
    set_lifecycle = FakeBucket.set_lifecycle
    get_bucket_lifecycle = S3Response.get_bucket_lifecycle

    def _sizes(element):
        return {name: int(element[name]) for name in sizes if (element or {}).get(name) is not None}

    def set_lifecycle_keeping_sizes(self, rules):
        set_lifecycle(self, rules)
        for given, stored in zip(rules, self.rules):
            given_filter = given.get("Filter") or {}
            stored.trailguard_sizes = (_sizes(given_filter), _sizes(given_filter.get("And")))

    def get_bucket_lifecycle_with_sizes(self):
        stored_rules = self.backend.get_bucket_lifecycle(self.bucket_name) or []
        serialized = self.serialized

        def with_sizes(action_result):
            for shown, stored in zip(action_result.result["Rules"], stored_rules):
                alone, in_and = getattr(stored, "trailguard_sizes", ({}, {}))
                if alone:
                    shown.setdefault("Filter", {}).update(alone)
                if in_and:
                    shown.setdefault("Filter", {}).setdefault("And", {}).update(in_and)
            return serialized(action_result)

        self.serialized = with_sizes
        try:
            return get_bucket_lifecycle(self)
        finally:
            del self.serialized

    FakeBucket.set_lifecycle = set_lifecycle_keeping_sizes
    S3Response.get_bucket_lifecycle = get_bucket_lifecycle_with_sizes


def _patch_logs_metric_filters():
    """PutMetricFilter creates or replaces the filter of that name, as CloudWatch Logs does.

    CloudWatch Logs API Reference, PutMetricFilter: "Creates or updates a metric
    filter and associates it with the specified log group", with
    ResourceNotFoundException for a log group that does not exist; and
    DescribeMetricFilters: "The results are ASCII-sorted by filter name".
    Stock moto appends a second copy on every update (so a filter updated once
    survived its DeleteMetricFilter), accepts a missing log group and lists the
    filters in the order they were put.
    """
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.metric_filters import MetricFilters
    from moto.logs.models import LogsBackend

    def same(metric_filter, name, group):
        return metric_filter["filterName"] == name and metric_filter["logGroupName"] == group

    def add_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations):
        self.metric_filters = [f for f in self.metric_filters if not same(f, filter_name, log_group_name)]
        self.metric_filters.append(
            {
                "filterName": filter_name,
                "filterPattern": filter_pattern,
                "logGroupName": log_group_name,
                "metricTransformations": metric_transformations,
            }
        )

    def delete_filter(self, filter_name=None, log_group_name=None):
        self.metric_filters = [f for f in self.metric_filters if not same(f, filter_name, log_group_name)]
        return self.metric_filters

    put_metric_filter = LogsBackend.put_metric_filter
    describe_metric_filters = LogsBackend.describe_metric_filters

    def checked_put(self, filter_name, filter_pattern, log_group_name, metric_transformations):
        if log_group_name not in self.groups:
            raise ResourceNotFoundException()
        put_metric_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations)

    def sorted_describe(self, prefix=None, log_group_name=None, metric_name=None, metric_namespace=None):
        if log_group_name is not None and log_group_name not in self.groups:
            raise ResourceNotFoundException()
        found = describe_metric_filters(self, prefix, log_group_name, metric_name, metric_namespace)
        return sorted(found, key=lambda metric_filter: metric_filter["filterName"])

    MetricFilters.add_filter = add_filter
    MetricFilters.delete_filter = delete_filter
    LogsBackend.put_metric_filter = checked_put
    LogsBackend.describe_metric_filters = sorted_describe


def _patch_athena_workgroups_and_named_queries():
    """Athena workgroups and saved queries as the Athena API Reference documents them.

    moto 5.2.5 has no UpdateWorkGroup, BatchGetNamedQuery, UpdateNamedQuery or DeleteNamedQuery (it answers 500),
    answers GetWorkGroup for a workgroup that does not exist with a null WorkGroup, and deletes a workgroup that
    holds saved queries without RecursiveDeleteOption. The Athena API Reference: "GetWorkGroup" (a missing
    workgroup is InvalidRequestException, "WorkGroup <name> is not found."), "UpdateWorkGroup" and
    "WorkGroupConfigurationUpdates" (only the settings given change; ResultConfigurationUpdates' Remove* and
    RemoveBytesScannedCutoffPerQuery unset theirs), "BatchGetNamedQuery" (up to 50 IDs; an ID it cannot return is
    listed in UnprocessedNamedQueryIds), "UpdateNamedQuery" (name, description and SQL; "The database or workgroup
    cannot be updated"), "DeleteNamedQuery" and "DeleteWorkGroup" (RecursiveDeleteOption deletes the workgroup "even
    if the workgroup contains any named queries").
    """
    from moto.athena.responses import AthenaResponse
    from moto.core.exceptions import JsonRESTError

    def invalid(message):
        return JsonRESTError("InvalidRequestException", message)

    def work_group(self, name):
        found = self.athena_backend.work_groups.get(name)
        if found is None:
            raise invalid(f"WorkGroup {name} is not found.")
        return found

    def named_query(self, query_id):
        found = self.athena_backend.named_queries.get(query_id)
        if found is None:
            raise invalid(f"NamedQuery {query_id} is not found.")
        return found

    def get_work_group(self):
        work_group(self, self._get_param("WorkGroup"))
        return json.dumps({"WorkGroup": self.athena_backend.get_work_group(self._get_param("WorkGroup"))})

    def update_work_group(self):
        found = work_group(self, self._get_param("WorkGroup"))
        if self._get_param("Description") is not None:
            found.description = self._get_param("Description")
        if self._get_param("State") is not None:
            found.state = self._get_param("State")
        updates = dict(self._get_param("ConfigurationUpdates") or {})
        configuration = found.configuration
        results = configuration.setdefault("ResultConfiguration", {})
        for field, value in (updates.pop("ResultConfigurationUpdates", None) or {}).items():
            if field.startswith("Remove"):
                if value:
                    results.pop(field[len("Remove") :], None)
            else:
                results[field] = value
        if updates.pop("RemoveBytesScannedCutoffPerQuery", False):
            configuration.pop("BytesScannedCutoffPerQuery", None)
        configuration.update(updates)
        return "{}"

    def delete_work_group(self):
        name = self._get_param("WorkGroup")
        holds_queries = any(query.workgroup.name == name for query in self.athena_backend.named_queries.values())
        if holds_queries and not self._get_param("RecursiveDeleteOption"):
            raise invalid(f"WorkGroup {name} is not empty: it holds saved queries; use RecursiveDeleteOption.")
        self.athena_backend.named_queries = {
            key: query for key, query in self.athena_backend.named_queries.items() if query.workgroup.name != name
        }
        self.athena_backend.delete_work_group(name)
        return "{}"

    def batch_get_named_query(self):
        found, unprocessed = [], []
        for query_id in self._get_param("NamedQueryIds") or []:
            query = self.athena_backend.named_queries.get(query_id)
            if query is None:
                unprocessed.append(
                    {"NamedQueryId": query_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "not found"}
                )
                continue
            found.append(
                {
                    "Name": query.name,
                    "Description": query.description,
                    "Database": query.database,
                    "QueryString": query.query_string,
                    "NamedQueryId": query.id,
                    "WorkGroup": query.workgroup.name,
                }
            )
        return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": unprocessed})

    def update_named_query(self):
        query = named_query(self, self._get_param("NamedQueryId"))
        query.name = self._get_param("Name")
        query.description = self._get_param("Description")
        query.query_string = self._get_param("QueryString")
        return "{}"

    def delete_named_query(self):
        named_query(self, self._get_param("NamedQueryId"))
        del self.athena_backend.named_queries[self._get_param("NamedQueryId")]
        return "{}"

    for name, function in (
        ("get_work_group", get_work_group),
        ("update_work_group", update_work_group),
        ("delete_work_group", delete_work_group),
        ("batch_get_named_query", batch_get_named_query),
        ("update_named_query", update_named_query),
        ("delete_named_query", delete_named_query),
    ):
        setattr(AthenaResponse, name, function)


def _patch_sts_assume_role_needs_the_role():
    """AssumeRole of a role that does not exist fails with AccessDenied, as in AWS.

    IAM User Guide, "Troubleshoot IAM roles" ("I can't assume a role"): the role must exist under the exact,
    case-sensitive name in the ARN, and otherwise AWS STS answers AccessDenied ("User: <caller> is not
    authorized to perform: sts:AssumeRole on resource: <role ARN>"), the same answer as for a role whose trust
    policy leaves the caller out. Stock moto hands out credentials for any role ARN ("the role does not need to
    exist"), which would hide whether a role the playbook creates is there yet. Trust policies are still not
    evaluated: the IAM policy simulator proves them (tests/policy).
    """
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.models import iam_backends
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role

    def assume_role(self):
        role_arn = self._get_param("RoleArn") or ""
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[2] == "iam" and parts[4].isdigit():
            roles = iam_backends[parts[4]][parts[1]].roles.values()
            if not any(role.arn == role_arn for role in roles):
                caller = self.backend.get_caller_identity(self.get_access_key(), self.region)[1]
                raise AccessDeniedError(user_arn=caller, action=f"sts:AssumeRole on resource: {role_arn}")
        return original(self)

    TokenResponse.assume_role = assume_role


def _patch_organizations_default_policies_follow_their_type():
    """FullAWSAccess and RCPFullAWSAccess are attached only while their policy type is enabled, as in AWS.

    AWS Organizations User Guide:
    - "Disabling a policy type" (https://docs.aws.amazon.com/organizations/latest/userguide/disable-policy-type.html):
      disabling a type detaches every policy of that type from every entity, and after SCPs are enabled again every
      root, OU and account starts with only FullAWSAccess attached;
    - "RCP evaluation"
      (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html):
      RCPFullAWSAccess is attached to the root, every OU and every account when RCPs are enabled;
    - AttachPolicy (API Reference): PolicyTypeNotEnabledException until the policy's type is enabled in the root.
    Stock moto attaches both defaults from the organization's creation on, whether their type is enabled or not,
    keeps attachments when a type is disabled, attaches any policy to any target, and leaves a deleted OU among its
    policies' targets. A module that reads where FullAWSAccess is attached before enabling SCPs would look right here
    and wrong on AWS.
    """
    from moto.organizations import utils
    from moto.organizations.exceptions import PolicyTypeNotEnabledException
    from moto.organizations.models import FakeRoot
    from moto.organizations.models import OrganizationsBackend
    from moto.organizations.responses import OrganizationsResponse

    defaults = {
        "SERVICE_CONTROL_POLICY": utils.DEFAULT_SCP_POLICY_ID,
        "RESOURCE_CONTROL_POLICY": utils.DEFAULT_RCP_POLICY_ID,
    }

    def enabled(backend, policy_type):
        roots = [ou for ou in backend.ou if isinstance(ou, FakeRoot)]
        return any(entry["Type"] == policy_type for root in roots for entry in root.policy_types)

    def entities(backend):
        return [*backend.ou, *backend.accounts]

    def link(policy, entity):
        if policy not in entity.attached_policies:
            entity.attached_policies.append(policy)
            policy.attachments.append(entity)

    def unlink(policy, entity):
        if policy in entity.attached_policies:
            entity.attached_policies.remove(policy)
        if entity in policy.attachments:
            policy.attachments.remove(entity)

    def created(original, made):
        """The create call, less the defaults moto attached to what it made while their type is disabled."""

        @functools.wraps(original)
        def create(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            ids = made(result)
            for policy_type, policy_id in defaults.items():
                if not enabled(self, policy_type):
                    policy = self.get_policy_by_id(policy_id)
                    for entity in entities(self):
                        if ids is None or entity.id in ids:
                            unlink(policy, entity)
            return result

        return create

    for name, made in (
        ("create_organization", lambda result: None),  # the root and the management account: everything there is
        ("create_organizational_unit", lambda result: {result["OrganizationalUnit"]["Id"]}),
        ("create_account", lambda result: {result["CreateAccountStatus"]["AccountId"]}),
    ):
        setattr(OrganizationsBackend, name, created(getattr(OrganizationsBackend, name), made))

    original_enable = OrganizationsBackend.enable_policy_type
    original_disable = OrganizationsBackend.disable_policy_type
    original_delete_ou = OrganizationsBackend.delete_organizational_unit

    @functools.wraps(original_enable)
    def enable_policy_type(self, **kwargs):
        result = original_enable(self, **kwargs)
        if kwargs["PolicyType"] in defaults:
            policy = self.get_policy_by_id(defaults[kwargs["PolicyType"]])
            for entity in entities(self):
                link(policy, entity)
        return result

    @functools.wraps(original_disable)
    def disable_policy_type(self, **kwargs):
        result = original_disable(self, **kwargs)
        for policy in self.policies:
            if policy.type == kwargs["PolicyType"]:
                for entity in list(policy.attachments):
                    unlink(policy, entity)
        return result

    @functools.wraps(original_delete_ou)
    def delete_organizational_unit(self, **kwargs):
        # A deleted OU's policies are no longer attached to it (stock moto leaves it among their targets).
        ou = self.get_organizational_unit_by_id(kwargs["OrganizationalUnitId"])
        original_delete_ou(self, **kwargs)
        for policy in list(ou.attached_policies):
            unlink(policy, ou)

    OrganizationsBackend.delete_organizational_unit = delete_organizational_unit
    OrganizationsBackend.enable_policy_type = enable_policy_type
    OrganizationsBackend.disable_policy_type = disable_policy_type

    original_attach = OrganizationsResponse.attach_policy

    @functools.wraps(original_attach)
    def attach_policy(self):
        policy = self.organizations_backend.get_policy_by_id(self.request_params["PolicyId"])
        if not enabled(self.organizations_backend, policy.type):
            raise PolicyTypeNotEnabledException
        return original_attach(self)

    OrganizationsResponse.attach_policy = attach_policy


def _patch_events_targets():
    """EventBridge delivers whole events to SNS topics and to event buses of other accounts and Regions.

    Amazon EventBridge User Guide: "Event bus targets in Amazon EventBridge" (an SNS topic is a target);
    "Amazon EventBridge events" (a target receives the event's top-level fields, `account` among them);
    "Sending and receiving events between AWS accounts in Amazon EventBridge" (the receiver's rules match
    events "that come from the sender account": the event keeps its `account`, and "Rules that have an
    event pattern containing an Account field do not match events sent from accounts that are not listed");
    "Permissions for event buses in Amazon EventBridge" ("The default event bus in your AWS account only
    allows events from one account" - others need the bus's resource policy); and the PutRule API Reference
    (a DISABLED rule matches no event).
    Stock moto 5.2.5 raises NotImplementedError for an SNS target (PutEvents answers 500), puts a forwarded
    event again as a new one of the receiving account (new id and time, no resources), ignores the receiving
    bus's policy, leaves `account` out of what a target receives, and sends to disabled rules' targets.
    Here a forwarded event arrives unchanged; from another account only when the bus's policy has an Allow of
    events:PutEvents for a principal of that account (its ID, root, an ARN in it) or "*". Conditions are not
    evaluated: the IAM policy simulator proves them (tests/policy).
    """
    import copy

    from moto.core.utils import iso_8601_datetime_without_milliseconds
    from moto.core.utils import utcfromtimestamp
    from moto.events import models as events_models
    from moto.events.utils import EventTemplateParser
    from moto.sns.models import sns_backends

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0",', '"version": "0", "account": "<account>",'
        )
    send_to_targets = events_models.Rule.send_to_targets

    def arn_parts(arn):
        parts = arn.split(":", 5)
        return {"service": parts[2], "region": parts[3], "account": parts[4], "resource": parts[5]}

    def as_list(value):
        return value if isinstance(value, list) else [value]

    def allows(bus, account_id):
        for item in json.loads(bus.policy or "{}").get("Statement", []):
            actions = as_list(item.get("Action", []))
            if item.get("Effect") != "Allow" or not {"events:PutEvents", "events:*", "*"} & set(actions):
                continue
            principal = item.get("Principal")
            principals = ["*"] if principal == "*" else as_list((principal or {}).get("AWS", []))
            if any(p == "*" or p == account_id or p.split(":")[4:5] == [account_id] for p in principals):
                return True
        return False

    def to_bus(event, target_arn):
        arn = arn_parts(target_arn)
        backend = events_models.events_backends[arn["account"]][arn["region"]]
        bus = backend.event_buses.get(arn["resource"].split("/", 1)[1])
        if bus is None or (event["account"] != arn["account"] and not allows(bus, event["account"])):
            return
        for rule in list(bus.rules.values()):
            rule.send_to_targets(copy.deepcopy(event))

    def to_topic(event, target_arn):
        arn = arn_parts(target_arn)
        message = dict(event)
        message["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(float(event["time"])))
        message.pop("ingestion-time", None)
        sns_backends[arn["account"]][arn["region"]].publish(json.dumps(message), arn=target_arn)

    def delivered(event, target):
        if target.get("InputTransformer"):
            transformer = target["InputTransformer"]
            return EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"),
                input_paths_map=transformer.get("InputPathsMap", {}),
                event=event,
            )
        return copy.deepcopy(event)

    def routed(self, original_event, transform_input=True):
        if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            arn = arn_parts(target["Arn"])
            if arn["service"] == "sns":
                to_topic(delivered(original_event, target), target["Arn"])
            elif arn["service"] == "events" and arn["resource"].startswith("event-bus/"):
                to_bus(copy.deepcopy(original_event), target["Arn"])
            else:
                others.append(target)
        if others:
            view = copy.copy(self)
            view.targets = others
            send_to_targets(view, original_event, transform_input)

    events_models.Rule.send_to_targets = routed


def patch_moto():
    _patch_iam_cost_per_account()
    _patch_logs_metric_filters()
    _patch_s3_acl_on_bucket_owner_enforced()
    _patch_s3_notification_filters()
    _patch_s3_bucket_policy_conditions()
    _patch_s3_object_lock_read_back()
    _patch_cloudtrail_delegated_admin()
    _patch_cloudtrail_replace_semantics()
    _patch_ec2_regions_of_the_callers_partition()
    _patch_cloudtrail_list_trails_account_wide()
    _patch_cloudtrail_trail_status()
    _patch_s3_bucket_policy_size()
    _patch_config_delivery_channel_object_lock()
    _patch_cloudtrail_list_public_keys()
    _patch_s3_lifecycle_object_size_filters()
    _patch_events_targets()
    _patch_athena_workgroups_and_named_queries()
    _patch_sts_assume_role_needs_the_role()
    _patch_organizations_default_policies_follow_their_type()


def main(argv=None):
    patch_moto()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
