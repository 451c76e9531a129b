"""The organizations inventory plugin against moto's in-process Organizations.

The plugin is driven through its real entry point, parse(), with a YAML config
file, as Ansible would. Its option definitions are registered from its own
DOCUMENTATION and the doc fragments it extends (Ansible's plugin loader would
need the collection finder installed before anything imports
ansible_collections, which the other unit tests already do).
"""

from collections import Counter

import boto3
import botocore.client
import pytest
import yaml
from moto import mock_aws

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.doc_fragments import constructed
from ansible.plugins.doc_fragments import inventory_cache

from ansible_collections.amazon.aws.plugins.doc_fragments import assume_role
from ansible_collections.amazon.aws.plugins.doc_fragments import boto3 as boto3_fragment
from ansible_collections.amazon.aws.plugins.doc_fragments import common
from ansible_collections.amazon.aws.plugins.doc_fragments import region

from ansible_collections.trailguard.cloudtrail.plugins.inventory import organizations
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import organizations as organizations_utils

MANAGEMENT = "123456789012"
PLUGIN = "trailguard.cloudtrail.organizations"
LISTING_CALLS = ("DescribeOrganization", "ListRoots", "ListOrganizationalUnitsForParent", "ListAccountsForParent")


def _register_option_definitions():
    options = {}
    for fragment in (
        inventory_cache.ModuleDocFragment.DOCUMENTATION,
        constructed.ModuleDocFragment.DOCUMENTATION,
        boto3_fragment.ModuleDocFragment().PLUGINS,
        common.ModuleDocFragment.PLUGINS,
        region.ModuleDocFragment.PLUGINS,
        assume_role.ModuleDocFragment.PLUGINS,
        organizations.DOCUMENTATION,
    ):
        options.update(yaml.safe_load(fragment).get("options") or {})
    C.config.initialize_plugin_configuration_definitions("inventory", PLUGIN, options)


_register_option_definitions()


@pytest.fixture
def api_calls(monkeypatch):
    """Every AWS API operation the code under test makes, in order."""
    calls = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


@pytest.fixture
def run_inventory(tmp_path):
    """Parse a config (dict) like `ansible-inventory -i x.organizations.yml` would; return the InventoryData."""

    def _run(config, cache=True):
        path = tmp_path / "test.organizations.yml"
        path.write_text(yaml.safe_dump({"plugin": PLUGIN, **config}))
        plugin = organizations.InventoryModule()
        plugin._load_name = PLUGIN
        assert plugin.verify_file(str(path))
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if hasattr(plugin, "_cache"):  # set only with cache: true
            plugin.update_cache_if_changed()  # as Ansible's InventoryManager does after parse()
        return inventory

    return _run


def _create_account(client, name, parent_id, root_id, tags=None):
    account_id = client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    client.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=parent_id)
    if tags:
        client.tag_resource(ResourceId=account_id, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return account_id


def _build_org(per_ou=1):
    """/Security(audit), /Workloads/Prod, /Workloads/Dev, /Sandbox (+ one suspended account); ids by name."""
    client = boto3.client("organizations", region_name="us-east-1")
    org_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root_id = client.list_roots()["Roots"][0]["Id"]

    def ou(name, parent_id):
        return client.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]

    ous = {
        "/Security": ou("Security", root_id),
        "/Workloads": ou("Workloads", root_id),
        "/Sandbox": ou("Sandbox", root_id),
    }
    ous["/Workloads/Prod"] = ou("Prod", ous["/Workloads"])
    ous["/Workloads/Dev"] = ou("Dev", ous["/Workloads"])
    ids = {"master": MANAGEMENT, "audit": _create_account(client, "audit", ous["/Security"], root_id)}
    for index in range(1, per_ou + 1):
        ids[f"prod-{index}"] = _create_account(
            client, f"prod-{index}", ous["/Workloads/Prod"], root_id, {"env": "prod", "owner": "payments"}
        )
        ids[f"dev-{index}"] = _create_account(client, f"dev-{index}", ous["/Workloads/Dev"], root_id, {"env": "dev"})
        ids[f"sandbox-{index}"] = _create_account(client, f"sandbox-{index}", ous["/Sandbox"], root_id)
    ids["old"] = _create_account(client, "old", ous["/Sandbox"], root_id)
    client.close_account(AccountId=ids["old"])
    return {"id": org_id, "root": root_id, "ous": ous, "accounts": ids, "client": client}


@pytest.fixture
def org():
    with mock_aws():
        yield _build_org()


def _hosts(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def _vars(inventory, host):
    return inventory.get_host(host).get_vars()


# ---------------------------------------------------------------- hosts, groups and host vars


def test_groups_and_host_vars(org, run_inventory):
    inventory = run_inventory({"log_archive_account": "audit"})
    ids = org["accounts"]
    assert _hosts(inventory, "management") == ["master"]
    assert _hosts(inventory, "log_archive") == ["audit"]
    assert _hosts(inventory, "members") == ["dev-1", "prod-1", "sandbox-1"]
    prod = _vars(inventory, "prod-1")
    assert {key: prod[key] for key in ("account_id", "account_name", "account_email", "account_status", "ou_path")} == {
        "account_id": ids["prod-1"],
        "account_name": "prod-1",
        "account_email": "prod-1@example.com",
        "account_status": "ACTIVE",
        "ou_path": "/Workloads/Prod",
    }
    assert prod["ou_id"] == org["ous"]["/Workloads/Prod"]
    assert prod["account_arn"].endswith(f"/{org['id']}/{ids['prod-1']}")
    # Tags cost a call per account: not read unless something uses them. No role unless asked.
    assert "tags" not in prod and "assume_role_name" not in prod
    assert _vars(inventory, "master")["ou_path"] == "/"
    assert _vars(inventory, "audit")["account_id"] == ids["audit"]


def test_ou_groups_mirror_the_ou_tree(org, run_inventory):
    inventory = run_inventory({"log_archive_account": "audit"})
    assert _hosts(inventory, "ou_workloads_prod") == ["prod-1"]
    assert _hosts(inventory, "ou_workloads") == ["dev-1", "prod-1"]
    assert _hosts(inventory, "ou_security") == ["audit"]
    assert _hosts(inventory, "ou_root") == ["audit", "dev-1", "master", "prod-1", "sandbox-1"]
    assert [group.name for group in inventory.groups["ou_workloads_prod"].parent_groups] == ["ou_workloads"]
    assert [group.name for group in inventory.groups["ou_workloads"].parent_groups] == ["ou_root"]
    # The root's group holds only the accounts directly under the root.
    assert [host.name for host in inventory.groups["ou_root"].hosts] == ["master"]


def test_log_archive_by_account_id(org, run_inventory):
    inventory = run_inventory({"log_archive_account": org["accounts"]["prod-1"]})
    assert _hosts(inventory, "log_archive") == ["prod-1"]
    assert _hosts(inventory, "members") == ["audit", "dev-1", "sandbox-1"]


def test_without_log_archive_every_other_account_is_a_member(org, run_inventory):
    inventory = run_inventory({})
    assert _hosts(inventory, "log_archive") == []
    assert _hosts(inventory, "members") == ["audit", "dev-1", "prod-1", "sandbox-1"]


@pytest.mark.parametrize(
    "wanted, message",
    [
        ("nobody", "log_archive_account: no account with ID or name 'nobody' in the organization; accounts: audit ("),
        ("master", "log_archive_account: 'master' is the management account"),
        ("123456789012", "log_archive_account: '123456789012' is the management account"),
        ("twin", "log_archive_account: 2 accounts are named 'twin' ("),
    ],
)
def test_log_archive_errors(org, run_inventory, wanted, message):
    client, root = org["client"], org["root"]
    _create_account(client, "twin", org["ous"]["/Sandbox"], root)
    _create_account(client, "twin", org["ous"]["/Sandbox"], root)
    with pytest.raises(AnsibleError) as error:
        run_inventory({"log_archive_account": wanted})
    assert message in str(error.value)
    if wanted == "twin":
        assert str(error.value).endswith("; use the account ID")


def test_suspended_accounts_only_when_asked(org, run_inventory):
    assert "old" not in run_inventory({}).hosts
    inventory = run_inventory({"include_suspended": True})
    assert "old" in _hosts(inventory, "members")
    assert _vars(inventory, "old")["account_status"] == "SUSPENDED"


def test_suspended_log_archive_is_left_out_with_a_warning(org, run_inventory, monkeypatch):
    warnings = []
    monkeypatch.setattr(organizations.InventoryModule, "warn", lambda self, message: warnings.append(message))
    inventory = run_inventory({"log_archive_account": "old"})
    assert _hosts(inventory, "log_archive") == []
    assert warnings == [
        f"log_archive_account old ({org['accounts']['old']}) is SUSPENDED, so it is left out "
        "(include_suspended is false)"
    ]


# ---------------------------------------------------------------- OU filter


@pytest.mark.parametrize("ou_paths", [["/Workloads"], ["/Workloads/"], ["/Workloads/Prod", "/Workloads/Dev"]])
def test_ou_filter_includes_descendants_and_keeps_the_anchors(org, run_inventory, ou_paths):
    inventory = run_inventory({"log_archive_account": "audit", "ou_paths": ou_paths})
    assert _hosts(inventory, "members") == ["dev-1", "prod-1"]
    assert _hosts(inventory, "management") == ["master"] and _hosts(inventory, "log_archive") == ["audit"]
    assert "ou_sandbox" not in inventory.groups


def test_ou_filter_on_one_leaf(org, run_inventory):
    inventory = run_inventory({"ou_paths": ["/Workloads/Prod"]})
    assert sorted(inventory.hosts) == ["master", "prod-1"]


def test_ou_filter_on_a_missing_ou_fails_and_lists_the_ous(org, run_inventory):
    with pytest.raises(AnsibleError) as error:
        run_inventory({"ou_paths": ["/Workloads/Staging"]})
    assert "ou_paths: /Workloads/Staging not found in organization" in str(error.value)
    assert "/Sandbox, /Security, /Workloads, /Workloads/Dev, /Workloads/Prod" in str(error.value)


# ---------------------------------------------------------------- tags and constructed features


def test_keyed_groups_groups_and_compose_on_tags(org, run_inventory):
    inventory = run_inventory(
        {
            "keyed_groups": [{"key": "tags.env | default('none')", "prefix": "env"}],
            "groups": {"payments": "tags.owner | default('') == 'payments'"},
            "compose": {"environment": "tags.env | default('untagged')"},
        }
    )
    assert _hosts(inventory, "env_prod") == ["prod-1"]
    assert _hosts(inventory, "env_dev") == ["dev-1"]
    assert _hosts(inventory, "env_none") == ["audit", "master", "sandbox-1"]
    assert _hosts(inventory, "payments") == ["prod-1"]
    assert _vars(inventory, "prod-1")["tags"] == {"env": "prod", "owner": "payments"}
    assert _vars(inventory, "sandbox-1")["environment"] == "untagged"


def test_constructed_features_without_tags_need_no_tag_calls(org, run_inventory, api_calls):
    inventory = run_inventory({"keyed_groups": [{"key": "account_status", "prefix": "status"}]})
    assert _hosts(inventory, "status_ACTIVE") == ["audit", "dev-1", "master", "prod-1", "sandbox-1"]
    assert "ListTagsForResource" not in api_calls


@pytest.mark.parametrize(
    "config, needed",
    [
        ({}, False),
        ({"include_tags": True}, True),
        ({"hostnames": ["tag:Name", "account_name"]}, True),
        ({"compose": {"team": "tags['team']"}}, True),
        ({"groups": {"prod": "'prod' in tags.values()"}}, True),
        ({"keyed_groups": [{"key": "tags", "prefix": "tag"}]}, True),
        ({"keyed_groups": [{"key": "ou_path"}], "compose": {"x": "account_tags_like_name"}}, False),
    ],
)
def test_tags_needed(config, needed):
    args = {"include_tags": False, "hostnames": ["account_name"], "compose": {}, "groups": {}, "keyed_groups": []}
    args.update(config)
    assert organizations.tags_needed(**args) is needed


# ---------------------------------------------------------------- cost


def _listing_calls(calls):
    return Counter(call for call in calls if call in LISTING_CALLS)


def test_api_calls_do_not_grow_with_the_number_of_accounts(api_calls, run_inventory):
    """Two listings per OU (and the root), whatever the number of accounts."""
    counts = {}
    for per_ou in (1, 6):
        with mock_aws():
            org = _build_org(per_ou=per_ou)
            del api_calls[:]
            inventory = run_inventory({"log_archive_account": "audit"})
            assert len(inventory.hosts) == 2 + 3 * per_ou
            counts[per_ou] = _listing_calls(api_calls)
            assert len(api_calls) == sum(counts[per_ou].values())  # nothing else, no per-account call
    parents = 1 + len(org["ous"])
    expected = {
        "DescribeOrganization": 1,
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": parents,
        "ListAccountsForParent": parents,
    }
    assert counts[1] == counts[6] == expected
    print(f"API calls for {len(inventory.hosts)} hosts in {len(org['ous'])} OUs: {sum(expected.values())}")


def test_tags_cost_one_call_per_listed_account(org, run_inventory, api_calls):
    inventory = run_inventory({"include_tags": True, "ou_paths": ["/Workloads"]})
    assert Counter(api_calls)["ListTagsForResource"] == len(inventory.hosts) == 3
    assert _vars(inventory, "dev-1")["tags"] == {"env": "dev"} and _vars(inventory, "master")["tags"] == {}


def test_more_accounts_than_a_page_holds(api_calls, run_inventory):
    with mock_aws():
        org = _build_org()
        client = org["client"]
        for index in range(25):
            _create_account(client, f"bulk-{index}", org["ous"]["/Sandbox"], org["root"])
        del api_calls[:]
        inventory = run_inventory({})
    assert len(_hosts(inventory, "ou_sandbox")) == 26
    # 27 accounts in /Sandbox (one suspended): a second page there, nothing else extra.
    assert Counter(api_calls)["ListAccountsForParent"] == 1 + len(org["ous"]) + 1


# ---------------------------------------------------------------- host names and the per-host role


def test_host_names_from_tags_then_name_sanitized_and_unique(org, run_inventory):
    client, ids = org["client"], org["accounts"]
    client.tag_resource(ResourceId=ids["dev-1"], Tags=[{"Key": "hostname", "Value": "dev.example"}])
    first = _create_account(client, "Prod Account (EU)", org["ous"]["/Workloads/Prod"], org["root"])
    second = _create_account(client, "Prod Account (EU)", org["ous"]["/Workloads/Prod"], org["root"])
    inventory = run_inventory({"hostnames": ["tag:hostname", "account_name"], "log_archive_account": "audit"})
    assert _hosts(inventory, "ou_workloads_dev") == ["dev.example"]
    assert _hosts(inventory, "ou_workloads_prod") == sorted(
        [f"Prod_Account_EU_{first}", f"Prod_Account_EU_{second}", "prod-1"]
    )
    assert _vars(inventory, f"Prod_Account_EU_{first}")["account_name"] == "Prod Account (EU)"


def test_host_names_from_account_ids(org, run_inventory):
    inventory = run_inventory({"hostnames": ["account_id"]})
    assert _hosts(inventory, "management") == [MANAGEMENT]
    assert org["accounts"]["prod-1"] in inventory.hosts


def test_assume_role_name_on_every_account_but_management(org, run_inventory):
    inventory = run_inventory({"assume_role_name": "TrailguardDeployment", "log_archive_account": "audit"})
    assert _vars(inventory, "audit")["assume_role_name"] == "TrailguardDeployment"
    assert _vars(inventory, "sandbox-1")["assume_role_name"] == "TrailguardDeployment"
    assert "assume_role_name" not in _vars(inventory, "master")


# ---------------------------------------------------------------- cache


def test_cache_serves_the_second_run_without_api_calls(org, run_inventory, api_calls, tmp_path):
    config = {
        "log_archive_account": "audit",
        "include_tags": True,
        "cache": True,
        "cache_plugin": "jsonfile",
        "cache_connection": str(tmp_path / "cache"),
    }
    first = run_inventory(config)
    assert api_calls
    del api_calls[:]
    second = run_inventory(config)
    assert api_calls == []
    assert sorted(second.hosts) == sorted(first.hosts)
    assert _hosts(second, "log_archive") == ["audit"] and _hosts(second, "ou_workloads") == ["dev-1", "prod-1"]
    assert _vars(second, "prod-1")["tags"] == {"env": "prod", "owner": "payments"}
    # --flush-cache (cache=False): list again.
    run_inventory(config, cache=False)
    assert "ListRoots" in api_calls


def test_no_cache_lists_every_time(org, run_inventory, api_calls):
    run_inventory({"cache": False})
    run_inventory({"cache": False})
    assert Counter(api_calls)["ListRoots"] == 2


# ---------------------------------------------------------------- invalid options and errors


@pytest.mark.parametrize(
    "config, message",
    [
        ({"ou_paths": ["Workloads"]}, "ou_paths: 'Workloads' is not an OU path; use one like /Workloads"),
        ({"assume_role_name": "bad role"}, "assume_role_name must be an IAM role name"),
        (
            {"hostnames": ["dns-name"]},
            "hostnames: 'dns-name' is not valid; use account_name, account_id, account_email",
        ),
        ({"hostnames": ["tag:"]}, "hostnames: 'tag:' is not valid"),
        ({"log_archive_account": "12345"}, "log_archive_account (quote account IDs in YAML) must be a 12-digit"),
        ({"log_archive_account": " "}, "log_archive_account must be an account ID or an account name"),
    ],
)
def test_invalid_options_fail_before_any_api_call(org, run_inventory, api_calls, config, message):
    with pytest.raises(AnsibleError) as error:
        run_inventory(config)
    assert message in str(error.value)
    assert api_calls == []


def test_caller_outside_an_organization(run_inventory):
    with mock_aws():
        with pytest.raises(AnsibleError, match="not in an AWS Organization"):
            run_inventory({})


def test_api_errors_name_the_call(org, run_inventory, monkeypatch):
    def denied(client, parent_id):
        raise organizations.AnsibleOrganizationsError(message="Failed to list accounts for parent", exception=None)

    monkeypatch.setattr(organizations_utils, "list_accounts_for_parent", denied)
    with pytest.raises(AnsibleError, match="Failed to list accounts for parent"):
        run_inventory({})


def test_only_its_own_config_files():
    plugin = organizations.InventoryModule()
    assert not plugin.verify_file(__file__)
    assert not plugin.verify_file("/nonexistent/prod.organizations.yml")


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "path, group",
    [("/", "ou_root"), ("/Workloads/Prod", "ou_workloads_prod"), ("/Work-loads/Prod EU", "ou_work_loads_prod_eu")],
)
def test_ou_group_name(path, group):
    assert organizations.ou_group_name(path) == group


@pytest.mark.parametrize(
    "path, wanted, inside",
    [
        ("/Workloads/Prod", ["/Workloads"], True),
        ("/Workloads", ["/Workloads"], True),
        ("/WorkloadsOld", ["/Workloads"], False),
        ("/Sandbox", ["/Workloads", "/Sandbox"], True),
        ("/Sandbox", ["/"], True),
    ],
)
def test_in_ou_paths(path, wanted, inside):
    assert organizations.in_ou_paths(path, wanted) is inside
