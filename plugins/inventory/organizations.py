# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
name: organizations
version_added: 1.0.0
short_description: AWS Organizations accounts as inventory hosts
description:
  - Lists the accounts of an AWS Organization, one host per account, the way the C(amazon.aws.aws_ec2) inventory
    lists EC2 instances.
  - Run it with credentials of the organization's management account (or of a delegated administrator for
    AWS Organizations), directly or through O(assume_role_arn).
  - Every host gets the variables C(account_id), C(account_name), C(account_email), C(account_status),
    C(account_arn), C(ou_path) (for example V(/Workloads/Prod), V(/) for the root) and C(ou_id); C(tags) (a dict)
    when tags are listed; and C(assume_role_name) when O(assume_role_name) is set.
  - "Groups: C(management) (the organization's management account), C(log_archive) (the account named by
    O(log_archive_account)), C(members) (every other account), and one group per OU path, named C(ou_) plus the
    path in lowercase with every other character turned into V(_) (V(/Workloads/Prod) becomes C(ou_workloads_prod),
    the root C(ou_root)). An OU's group is a child of its parent OU's group, so C(ou_workloads) also holds the
    accounts of C(ou_workloads_prod)."
  - The hosts and groups C(account_id), C(management), C(log_archive) and C(members) are the same as in the static
    C(inventory/hosts.yml), so the collection's playbooks run unchanged with either.
  - "Cost: one C(ListRoots) and C(DescribeOrganization) call, then per OU (and the root) one
    C(ListOrganizationalUnitsForParent) and one C(ListAccountsForParent) call (more only when a page holds more
    than 20 entries), however many accounts there are. Tags cost one C(ListTagsForResource) call per listed account,
    so they are only read when O(include_tags=true), when O(hostnames) names a tag, or when O(compose),
    O(groups) or O(keyed_groups) mention C(tags)."
  - The configuration file name must end with C(organizations.yml) or C(organizations.yaml).
author:
  - Trailguard maintainers (@trailguard)
options:
  plugin:
    description: Marks the file as a configuration file for this plugin.
    type: str
    required: true
    choices: ['trailguard.cloudtrail.organizations']
  log_archive_account:
    description:
      - The account ID (12 digits, quoted in YAML) or the account name of the log-archive account, which holds the
        trail's bucket and key. It becomes the only host of the C(log_archive) group.
      - It must be an account of the organization, other than the management account.
      - When not set, the C(log_archive) group is empty and every account but the management account is in
        C(members).
    type: str
  include_suspended:
    description:
      - Also list accounts that are not active (for example C(SUSPENDED) or C(PENDING_CLOSURE)).
      - When V(false), only accounts in the C(ACTIVE) state become hosts.
    type: bool
    default: false
  ou_paths:
    description:
      - Only list the accounts in these OUs and in the OUs below them, for example V(/Workloads) for
        V(/Workloads), V(/Workloads/Prod) and V(/Workloads/Dev). V(/) is the whole organization.
      - Each path must exist in the organization.
      - The management and log-archive accounts are always listed, wherever they are, because the playbooks
        need them.
      - When empty, every account is listed.
    type: list
    elements: str
    default: []
  assume_role_name:
    description:
      - The IAM role the playbooks assume in each account. Sets the host variable C(assume_role_name) on every host
        but the management account, which the playbooks use with their own credentials.
      - When not set, the playbooks fall back to C(trailguard_assume_role_name) from C(group_vars/all.yml).
      - Not to be confused with O(assume_role_arn), the role this plugin itself assumes to list the accounts.
    type: str
  hostnames:
    description:
      - The host name of each account, in order of preference; the first one that is set is used.
      - Each entry is V(account_name), V(account_id), V(account_email) or V(tag:<key>) (the value of the account's
        tag C(<key>); this makes the plugin read tags).
      - Characters other than letters, digits, V(.), V(_) and V(-) become V(_). When no entry gives a name, the
        account ID is used. When two accounts get the same name, both get C(_<account_id>) appended.
    type: list
    elements: str
    default: [account_name]
  include_tags:
    description:
      - Read each listed account's tags into the host variable C(tags), even when no other option mentions them.
    type: bool
    default: false
notes:
  - With O(cache=true) the account list is kept in Ansible's inventory cache, per configuration file. Run
    C(ansible-inventory --flush-cache) (or set O(cache=false)) after changing the file's options.
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
"""

EXAMPLES = r"""
# inventory/organizations.yml: every active account, from the management account's credentials
# (environment, AWS_PROFILE or instance role).
plugin: trailguard.cloudtrail.organizations
log_archive_account: "222222222222"

---

# Only the workload accounts (plus the management and log-archive accounts), through a named profile,
# with the role to assume in each account, and the inventory cached for an hour.
plugin: trailguard.cloudtrail.organizations
profile: org-management
log_archive_account: log-archive
ou_paths:
  - /Workloads
assume_role_name: TrailguardDeployment
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/trailguard-inventory
cache_timeout: 3600

---

# Groups from account tags: env_prod, env_dev, ... and owner_<team>; host name from the tag "hostname".
plugin: trailguard.cloudtrail.organizations
log_archive_account: log-archive
hostnames:
  - tag:hostname
  - account_name
keyed_groups:
  - key: tags.environment | default('none')
    prefix: env
  - key: tags.owner
    prefix: owner
groups:
  pci: tags['data-class'] | default('') == 'pci'
compose:
  cost_center: tags['cost-center'] | default('unknown')

---

# A local emulator (see tools/emulator.py), suspended accounts included.
plugin: trailguard.cloudtrail.organizations
endpoint_url: http://127.0.0.1:5000
region: us-east-1
log_archive_account: audit
include_suspended: true
"""

import re
from collections import Counter

from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import AnsibleOrganizationsError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import account_state
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import describe_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import walk_organization
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import list_tags_for_resource
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_account_id

ACTIVE = "ACTIVE"
HOSTNAME_FIELDS = ("account_name", "account_id", "account_email")
# IAM role names: 1-64 of these characters (the playbooks build role/<name> ARNs from it).
ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
# A constructed expression that mentions `tags` needs the (per-account) tag listing.
TAGS_RE = re.compile(r"\btags\b")


def account_record(account, ou_path, ou_id):
    """The host variables of one account (JSON-safe, so they can be cached)."""
    return {
        "account_id": account["Id"],
        "account_name": account.get("Name", ""),
        "account_email": account.get("Email", ""),
        "account_status": account_state(account),
        "account_arn": account.get("Arn", ""),
        "ou_path": ou_path,
        "ou_id": ou_id,
    }


def normalize_ou_path(path):
    return "/" + "/".join(segment for segment in path.split("/") if segment)


def in_ou_paths(ou_path, ou_paths):
    """True when `ou_path` is one of `ou_paths` or below one of them."""
    return any(ou_path == wanted or ou_path.startswith(wanted.rstrip("/") + "/") for wanted in ou_paths)


def ou_group_name(ou_path):
    """/Workloads/Prod -> ou_workloads_prod; / -> ou_root."""
    return "ou_" + (re.sub(r"[^a-z0-9]+", "_", ou_path.lower()).strip("_") or "root")


def sanitize_hostname(value):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(value or "")).strip("_")


def hostname_for(record, preferences):
    """The first of `preferences` that gives a name, else the account ID."""
    for preference in preferences:
        if preference.startswith("tag:"):
            value = record.get("tags", {}).get(preference[len("tag:") :])
        else:
            value = record.get(preference)
        name = sanitize_hostname(value)
        if name:
            return name
    return record["account_id"]


def assign_hostnames(records, preferences):
    """(account ID -> host name, shared names): a name two accounts share gets `_<account_id>` appended."""
    names = {record["account_id"]: hostname_for(record, preferences) for record in records}
    taken = Counter(names.values())
    shared = sorted(name for name, count in taken.items() if count > 1)
    return {
        account_id: name if taken[name] == 1 else f"{name}_{account_id}" for account_id, name in names.items()
    }, shared


def tags_needed(include_tags, hostnames, compose, groups, keyed_groups):
    """Tags cost one call per account, so read them only when something uses them."""
    if include_tags or any(preference.startswith("tag:") for preference in hostnames):
        return True
    expressions = list((compose or {}).values()) + list((groups or {}).values())
    expressions += [keyed.get("key") for keyed in keyed_groups or [] if isinstance(keyed, dict)]
    return any(TAGS_RE.search(str(expression)) for expression in expressions if expression)


def option_errors(log_archive_account, ou_paths, assume_role_name, hostnames):
    """Messages for invalid options, checked before any AWS call."""
    errors = []
    if log_archive_account is not None:
        value = str(log_archive_account)
        if not value.strip():
            errors.append("log_archive_account must be an account ID or an account name, got an empty string")
        elif value.isdigit():
            # An unquoted ID with a leading zero is read by YAML as an octal number.
            errors.append(check_account_id(value, "log_archive_account (quote account IDs in YAML)"))
    for path in ou_paths:
        if not str(path).startswith("/"):
            errors.append(f"ou_paths: {path!r} is not an OU path; use one like /Workloads or /Workloads/Prod")
    if assume_role_name is not None and not ROLE_NAME_RE.match(str(assume_role_name)):
        errors.append(
            f"assume_role_name must be an IAM role name: 1 to 64 letters, digits and '+=,.@_-'; got {assume_role_name!r}"
        )
    for preference in hostnames:
        if preference not in HOSTNAME_FIELDS and not (preference.startswith("tag:") and len(preference) > len("tag:")):
            errors.append(f"hostnames: {preference!r} is not valid; use {', '.join(HOSTNAME_FIELDS)} or tag:<key>")
    return [error for error in errors if error]


def find_log_archive(records, wanted, management_account_id):
    """The account ID of `wanted` (an account ID or name), or raise ValueError with the reason."""
    if wanted is None:
        return None
    wanted = str(wanted)
    matches = [record for record in records if wanted in (record["account_id"], record["account_name"])]
    if not matches:
        known = ", ".join(sorted(f"{r['account_name']} ({r['account_id']})" for r in records))
        raise ValueError(
            f"log_archive_account: no account with ID or name {wanted!r} in the organization; accounts: {known}"
        )
    if len(matches) > 1:
        ids = ", ".join(sorted(record["account_id"] for record in matches))
        raise ValueError(
            f"log_archive_account: {len(matches)} accounts are named {wanted!r} ({ids}); use the account ID"
        )
    if matches[0]["account_id"] == management_account_id:
        raise ValueError(
            f"log_archive_account: {wanted!r} is the management account; the log archive must be another account"
        )
    return matches[0]["account_id"]


class InventoryModule(AWSInventoryBase):
    NAME = "trailguard.cloudtrail.organizations"
    INVENTORY_FILE_SUFFIXES = ("organizations.yml", "organizations.yaml")

    def _read_config_data(self, path):
        # Check the options as soon as they are read: before the plugin assumes a role or lists anything.
        config = super()._read_config_data(path)
        errors = option_errors(
            self.get_option("log_archive_account"),
            self.get_option("ou_paths"),
            self.get_option("assume_role_name"),
            self.get_option("hostnames"),
        )
        if errors:
            self.fail_aws(f"Invalid {path}: " + "; ".join(errors))
        return config

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        was_cached, listing = self.get_cached_result(path, cache)
        if not was_cached:
            try:
                listing = self._list_accounts()
            except AnsibleOrganizationsError as e:
                self.fail_aws(e.message, exception=e.exception)
        self._populate(listing)
        self.update_cached_result(path, cache, listing)

    def _list_accounts(self):
        """The organization and the accounts that become hosts, as JSON-safe data for the cache."""
        # Organizations is a global service with its endpoint in us-east-1 (aws partition).
        client = self.client("organizations", region=self.region or "us-east-1")
        organization = describe_organization(client)
        if not organization:
            self.fail_aws(
                "The caller's account is not in an AWS Organization: run the organizations inventory with credentials "
                "of the organization's management account (or set assume_role_arn to a role there)"
            )
        management_id = organization["MasterAccountId"]
        _root_id, ous, accounts = walk_organization(client)
        records = [account_record(account, path, ancestors[0]) for account, path, ancestors in accounts]

        ou_paths = [normalize_ou_path(path) for path in self.get_option("ou_paths")]
        missing = [path for path in ou_paths if path != "/" and path not in ous]
        if missing:
            self.fail_aws(
                f"ou_paths: {', '.join(missing)} not found in organization {organization['Id']}; "
                f"its OUs are: {', '.join(sorted(ous)) or 'none'}"
            )
        try:
            log_archive_id = find_log_archive(records, self.get_option("log_archive_account"), management_id)
        except ValueError as e:
            self.fail_aws(str(e))

        include_suspended = self.get_option("include_suspended")
        kept = []
        for record in records:
            anchor = record["account_id"] in (management_id, log_archive_id)
            if ou_paths and not anchor and not in_ou_paths(record["ou_path"], ou_paths):
                continue
            if record["account_status"] != ACTIVE and not include_suspended:
                if record["account_id"] == log_archive_id:
                    self.warn(
                        f"log_archive_account {record['account_name']} ({log_archive_id}) is "
                        f"{record['account_status']}, so it is left out (include_suspended is false)"
                    )
                continue
            kept.append(record)

        if tags_needed(
            self.get_option("include_tags"),
            self.get_option("hostnames"),
            self.get_option("compose"),
            self.get_option("groups"),
            self.get_option("keyed_groups"),
        ):
            for record in kept:
                record["tags"] = list_tags_for_resource(client, record["account_id"])

        return {
            "organization_id": organization["Id"],
            "management_account_id": management_id,
            "log_archive_account_id": log_archive_id,
            "accounts": kept,
        }

    def _populate(self, listing):
        management_id = listing["management_account_id"]
        log_archive_id = listing["log_archive_account_id"]
        assume_role_name = self.get_option("assume_role_name")
        strict = self.get_option("strict")
        for group in ("management", "log_archive", "members"):
            self.inventory.add_group(group)

        records = sorted(listing["accounts"], key=lambda record: (record["ou_path"], record["account_name"]))
        hostnames, shared = assign_hostnames(records, self.get_option("hostnames"))
        if shared:
            self.warn(f"Several accounts share the host name(s) {', '.join(shared)}; they get _<account_id> appended")
        for record in records:
            account_id = record["account_id"]
            name = hostnames[account_id]
            if account_id == management_id:
                role_group = "management"
            elif account_id == log_archive_id:
                role_group = "log_archive"
            else:
                role_group = "members"
            self.inventory.add_host(name, group=role_group)
            self.inventory.add_host(name, group=self._add_ou_groups(record["ou_path"]))

            host_vars = dict(record)
            if assume_role_name and account_id != management_id:
                host_vars["assume_role_name"] = assume_role_name
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)

            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

    def _add_ou_groups(self, ou_path):
        """Create the group of `ou_path` and of every OU above it, each a child of its parent's; return the first."""
        group = ou_group_name(ou_path)
        self.inventory.add_group(group)
        if ou_path != "/":
            parent = self._add_ou_groups(ou_path.rsplit("/", 1)[0] or "/")
            self.inventory.add_child(parent, group)
        return group
