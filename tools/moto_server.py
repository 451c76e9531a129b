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

S3_FILTER_RULE_NAMES = ("prefix", "suffix")
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


def patch_moto():
    _patch_iam_cost_per_account()
    _patch_s3_acl_on_bucket_owner_enforced()
    _patch_s3_notification_filters()
    _patch_s3_bucket_policy_conditions()
    _patch_s3_object_lock_read_back()
    _patch_cloudtrail_delegated_admin()
    _patch_cloudtrail_replace_semantics()
    _patch_ec2_regions_of_the_callers_partition()


def main(argv=None):
    patch_moto()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
