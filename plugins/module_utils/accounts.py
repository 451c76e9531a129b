# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-account work across the organization, from one task on the management account.

An Ansible task per account per step costs about a second each (module start-up,
boto3 import, client creation), so work that must touch every member account runs
in one module that fans out: AccountSessions assumes each account's role once and
hands out clients, scan_accounts runs the per-account function in a bounded
thread pool. Used by posture_info (read only) and account_trails, which find
an account's own (legacy) trails with the same search_account_trails, so that
the report and the playbook see the same trails.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

try:
    import boto3
    import botocore.config
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_event_selectors
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import get_trail_status
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import list_trails
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import TRAILGUARD_COLLECTION_NAME
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import TRAILGUARD_COLLECTION_VERSION

SESSION_NAME = "trailguard"


class AnsibleAccountsError(AnsibleAWSError):
    pass


class AccountsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAccountsError


@AccountsErrorHandler.common_error_handler("assume role")
@AWSRetry.jittered_backoff()
def assume_role(sts_client, role_arn, session_name=SESSION_NAME):
    """Temporary credentials (the Credentials dict) for the role."""
    return sts_client.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]


def error_text(error):
    """An AnsibleAWSError as one line: what failed and AWS's reason."""
    return str(error).replace("\n", " ")


def client_maker(module, retry_decorator):
    """make_client(service, region=None, credentials=None) for many accounts and regions.

    module.client() starts a new boto3 session for every client, and each new
    session parses botocore's service models again (about 0.8 s a client on a
    busy 2-core machine). Here every client comes from one session, which
    parses each model once (about 0.05 s a client); creation is serialised,
    because a boto3 session is not thread-safe, while the clients themselves are.
    The connection settings are the module's (endpoint, region, profile,
    certificates, aws_config), as module.client() would use them.
    """
    region, endpoint_url, connect_kwargs = get_aws_connection_info(module)
    connect_kwargs = dict(connect_kwargs)
    session = boto3.session.Session(profile_name=connect_kwargs.pop("profile_name", None))
    config = botocore.config.Config(user_agent_extra=f"{TRAILGUARD_COLLECTION_NAME}/{TRAILGUARD_COLLECTION_VERSION}")
    extra_config = connect_kwargs.pop("aws_config", None)
    if extra_config:
        config = config.merge(extra_config)
    lock = threading.Lock()

    def make_client(service, client_region=None, credentials=None):
        kwargs = dict(connect_kwargs)
        if credentials:
            kwargs.update(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        with lock:
            client = session.client(
                service, config=config, region_name=client_region or region, endpoint_url=endpoint_url, **kwargs
            )
        return RetryingBotoClientWrapper(client, retry_decorator)

    return make_client


class AccountSessions:
    """Clients in any account of the organization, from one AssumeRole per account.

    `make_client(service, region, credentials)` builds a client; credentials is
    None for the caller's own (the management account's). Each client is made
    once per account, service and region, and reused. Thread-safe: the
    per-account work runs in a thread pool.
    """

    def __init__(self, make_client, sts_client, management_account_id, partition="aws", role_name=None):
        self._make_client = make_client
        self._sts = sts_client
        self._management = management_account_id
        self._partition = partition
        self._role_name = role_name
        self._credentials = {}
        self._clients = {}
        self._lock = threading.Lock()

    def role_arn(self, account):
        if account.get("role_arn"):
            return account["role_arn"]
        role_name = account.get("role_name") or self._role_name
        return f"arn:{self._partition}:iam::{account['account_id']}:role/{role_name}"

    def credentials(self, account):
        """None for the management account, else the assumed role's credentials (assumed once)."""
        account_id = account["account_id"]
        if account_id == self._management:
            return None
        with self._lock:
            if account_id not in self._credentials:
                self._credentials[account_id] = assume_role(self._sts, self.role_arn(account))
            return self._credentials[account_id]

    def client(self, account, service, region=None):
        key = (account["account_id"], service, region)
        if key not in self._clients:
            client = self._make_client(service, region, self.credentials(account))
            with self._lock:
                self._clients.setdefault(key, client)
        return self._clients[key]


def scan_accounts(accounts, scan_one, max_workers):
    """scan_one(account) for every account in a bounded thread pool, results in input order.

    An AWS error in one account (a role that cannot be assumed, say) becomes
    {"error": ...} for that account instead of failing the whole run.
    """

    def guarded(account):
        try:
            return scan_one(account)
        except AnsibleAWSError as e:
            return {"error": error_text(e)}

    if not accounts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(accounts)))) as pool:
        return list(pool.map(guarded, accounts))


def own_trails(trails, account_id, organization_trail_arn):
    """The account's own trails (legacy, account-level) among ListTrails' answer.

    A member account's ListTrails also shows the organization trail, which
    belongs to the management account: only trails whose ARN names this
    account are its own, and the organization trail itself is never legacy.
    """
    found = {}
    for trail in trails:
        arn = trail.get("TrailARN", "")
        parts = arn.split(":")
        if len(parts) > 4 and parts[4] == account_id and arn != organization_trail_arn:
            found[arn] = {"name": trail.get("Name"), "arn": arn, "home_region": trail.get("HomeRegion") or parts[3]}
    return sorted(found.values(), key=lambda item: item["arn"])


def logs_management_events(selectors):
    """Whether a trail's selectors (GetEventSelectors' answer) include any management events.

    A trail with no selectors at all logs every management event (CloudTrail's default).
    """
    advanced = selectors.get("AdvancedEventSelectors") or []
    classic = selectors.get("EventSelectors") or []
    if not advanced and not classic:
        return True
    if advanced:
        return any(
            "Management" in field.get("Equals", [])
            for selector in advanced
            for field in selector.get("FieldSelectors", [])
            if field.get("Field") == "eventCategory"
        )
    return any(selector.get("IncludeManagementEvents", True) for selector in classic)


def _read_home_region(client, items):
    """The account's own trails of one home region with their bucket, status and selectors.

    Organization trails (any, not only ours) are left out: they are never legacy.
    """
    trails = []
    for item in items:
        trail = get_trail(client, item["arn"])
        if not trail or trail.get("IsOrganizationTrail"):
            continue
        trails.append(
            dict(
                item,
                s3_bucket_name=trail.get("S3BucketName"),
                is_multi_region_trail=bool(trail.get("IsMultiRegionTrail")),
                is_logging=bool(get_trail_status(client, item["arn"]).get("IsLogging")),
                logs_management_events=logs_management_events(get_event_selectors(client, item["arn"])),
            )
        )
    return trails


def search_account_trails(client_for, account_id, organization_trail_arn, list_region, home_regions=()):
    """The account's own (legacy) trails: one ListTrails, then each trail read in its home region.

    ListTrails lists every trail of the account, each with its home region
    (CloudTrail API Reference, ListTrails), so one call in `list_region` finds
    them all; GetTrail, GetTrailStatus and GetEventSelectors are then asked in
    each trail's home region. `client_for(region)` gives the account's
    CloudTrail client in a region. `home_regions`, when not empty, keeps only
    the trails whose home region is listed.

    A home region that cannot be read (an opt-in region that is not enabled, a
    region-deny SCP) does not fail the account: its trails are returned with
    `error` and without their details. An error of ListTrails itself (the
    role cannot be assumed, say) is raised, as for any call.
    """
    by_region = {}
    for item in own_trails(list_trails(client_for(list_region)), account_id, organization_trail_arn):
        if not home_regions or item["home_region"] in home_regions:
            by_region.setdefault(item["home_region"], []).append(item)
    trails = []
    for region in sorted(by_region):
        try:
            trails += _read_home_region(client_for(region), by_region[region])
        except AnsibleAWSError as e:
            reason = f"could not be read in its home region {region}: {error_text(e)}"
            trails += [dict(item, error=reason) for item in by_region[region]]
    return sorted(trails, key=lambda trail: trail["arn"])
