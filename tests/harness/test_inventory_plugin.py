"""The organizations inventory plugin, end to end: `ansible-inventory` against the emulator.

One organization of 52 accounts (management, audit and 50 members in nested OUs,
some tagged) is seeded once. moto's request recorder logs every API request the
emulator receives, so each test counts the calls `ansible-inventory` made.
"""

import json
import re
import subprocess
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org

MEMBERS = 50
ANSIBLE_INVENTORY = emulator.BIN / "ansible-inventory"
TARGET_PREFIX = "AWSOrganizationsV20161128."


@pytest.fixture(scope="module")
def organization(tmp_path_factory):
    """The emulator with a seeded 50-member organization; yields (url, org)."""
    state_dir = tmp_path_factory.mktemp("emulator")
    with pytest.MonkeyPatch.context() as patch:
        # The emulator inherits this: its request log goes to the test's directory, not the cwd.
        patch.setenv("MOTO_RECORDER_FILEPATH", str(state_dir / "requests.jsonl"))
        url = emulator.start(state_dir=state_dir)
        try:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            org = seed_org.seed(members=MEMBERS, nested=True)
            yield url, org
        finally:
            emulator.stop(state_dir)


def _moto_api(url, action, method="POST"):
    request = urllib.request.Request(f"{url}/moto-api/recorder/{action}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec: loopback only
        return response.read().decode()


def ansible_inventory(url, source, *args):
    """Run ansible-inventory on `source`; return (its JSON output, Counter of the API actions it called)."""
    # A plugin error fails the run instead of a warning.
    env = emulator.ansible_env(url, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    _moto_api(url, "reset-recording")
    _moto_api(url, "start-recording")
    try:
        result = subprocess.run(
            [str(ANSIBLE_INVENTORY), "-i", str(source), "--list", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=False,
        )
    finally:
        _moto_api(url, "stop-recording")
    assert result.returncode == 0, result.stderr
    requests = [json.loads(line) for line in _moto_api(url, "download-recording", "GET").splitlines()]
    calls = Counter(request["headers"].get("X-Amz-Target", "").removeprefix(TARGET_PREFIX) for request in requests)
    return json.loads(result.stdout, object_hook=_trusted), calls


def _trusted(value):
    """Values from the plugin are not trusted as templates (tags could hold Jinja); the JSON marks them so."""
    return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else value


def write_config(tmp_path, **options):
    path = tmp_path / "emulator.organizations.yml"
    path.write_text(yaml.safe_dump({"plugin": "trailguard.cloudtrail.organizations", **options}))
    return path


def group_hosts(listing, group):
    """Every host in `group` and its child groups."""
    entry = listing.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= group_hosts(listing, child)
    return hosts


def listing_budget(org):
    """DescribeOrganization + ListRoots, then two listings per parent (the root and each OU)."""
    parents = 1 + len(org["ous"])
    return {
        "DescribeOrganization": 1,
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": parents,
        "ListAccountsForParent": parents,
    }


def test_accounts_groups_and_host_vars_of_a_50_member_organization(organization, tmp_path):
    url, org = organization
    listing, calls = ansible_inventory(url, write_config(tmp_path, log_archive_account="audit"))
    hostvars = listing["_meta"]["hostvars"]
    members = {member["name"]: member for member in org["members"]}

    assert group_hosts(listing, "management") == {"master"}
    assert group_hosts(listing, "log_archive") == {"audit"}
    assert group_hosts(listing, "members") == set(members)
    assert len(hostvars) == MEMBERS + 2
    assert hostvars["master"]["account_id"] == org["management"]["account_id"]
    assert hostvars["audit"]["account_id"] == org["log_archive"]["account_id"]
    assert hostvars["audit"]["ou_path"] == "/Security"
    for name, member in members.items():
        host = hostvars[name]
        assert (host["account_id"], host["account_name"], host["ou_path"]) == (member["account_id"], name, member["ou"])
        assert host["account_email"] == f"{name}@example.com" and host["account_status"] == "ACTIVE"
        assert host["ou_id"] == org["ous"][member["ou"]]
        assert "tags" not in host

    # One group per OU, nested like the OUs; an OU's group holds its descendants' accounts.
    for path in org["ous"]:
        expected = {name for name, member in members.items() if (member["ou"] + "/").startswith(path + "/")}
        if path == "/Security":
            expected = {"audit"}
        assert group_hosts(listing, "ou_" + path.strip("/").lower().replace("/", "_")) == expected, path
    assert listing["ou_workloads"]["children"] == ["ou_workloads_dev", "ou_workloads_prod"]
    assert listing["ou_workloads_prod"]["children"] == ["ou_workloads_prod_payments"]
    assert len(group_hosts(listing, "ou_root")) == MEMBERS + 2

    # Cost: no call per account.
    assert calls == listing_budget(org)
    print(f"\nAPI calls for {MEMBERS + 2} accounts in {len(org['ous'])} OUs, without tags: {sum(calls.values())}")


def test_keyed_groups_on_tags_cost_one_call_per_account(organization, tmp_path):
    url, org = organization
    config = write_config(
        tmp_path,
        log_archive_account=org["log_archive"]["account_id"],
        keyed_groups=[{"key": "tags.environment | default('untagged')", "prefix": "env"}],
        groups={"pci": "tags['data-class'] | default('') == 'pci'"},
    )
    listing, calls = ansible_inventory(url, config)
    by_ou = {}
    for member in org["members"]:
        by_ou.setdefault(member["ou"], set()).add(member["name"])

    assert group_hosts(listing, "env_prod") == by_ou["/Workloads/Prod"] | by_ou["/Workloads/Prod/Payments"]
    assert group_hosts(listing, "env_dev") == by_ou["/Workloads/Dev"]
    assert group_hosts(listing, "env_untagged") == by_ou["/Sandbox"] | {"master", "audit"}
    assert group_hosts(listing, "pci") == by_ou["/Workloads/Prod/Payments"]
    payments = sorted(by_ou["/Workloads/Prod/Payments"])[0]
    assert listing["_meta"]["hostvars"][payments]["tags"] == {"environment": "prod", "data-class": "pci"}

    budget = listing_budget(org)
    budget["ListTagsForResource"] = MEMBERS + 2
    assert calls == budget
    print(f"\nAPI calls for {MEMBERS + 2} accounts with tags: {sum(calls.values())}")


def test_ou_filter_and_role_name(organization, tmp_path):
    url, org = organization
    config = write_config(
        tmp_path, log_archive_account="audit", ou_paths=["/Workloads/Prod"], assume_role_name="TrailguardDeployment"
    )
    listing, calls = ansible_inventory(url, config)
    prod = {m["name"] for m in org["members"] if m["ou"].startswith("/Workloads/Prod")}
    assert group_hosts(listing, "members") == prod
    assert set(listing["_meta"]["hostvars"]) == prod | {"master", "audit"}
    assert {listing["_meta"]["hostvars"][name].get("assume_role_name") for name in prod | {"audit"}} == {
        "TrailguardDeployment"
    }
    assert "assume_role_name" not in listing["_meta"]["hostvars"]["master"]
    assert calls == listing_budget(org)


def test_the_cache_spares_the_second_run(organization, tmp_path):
    url, org = organization
    config = write_config(
        tmp_path,
        log_archive_account="audit",
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(tmp_path / "cache"),
    )
    first, calls = ansible_inventory(url, config)
    assert calls == listing_budget(org)
    second, calls = ansible_inventory(url, config)
    assert calls == Counter()
    assert second == first
    _flushed, calls = ansible_inventory(url, config, "--flush-cache")
    assert calls == listing_budget(org)


def test_the_documented_example_gives_the_playbook_contract(organization):
    """inventory/organizations.yml, as shipped, with its group_vars: what playbooks/org_cloudtrail.yml needs."""
    url, org = organization
    listing, _calls = ansible_inventory(url, REPO / "inventory" / "organizations.yml")
    hostvars = listing["_meta"]["hostvars"]
    static = seed_org.inventory_for(org)["all"]["children"]
    for group in ("management", "log_archive", "members"):
        dynamic_ids = {hostvars[host]["account_id"] for host in group_hosts(listing, group)}
        static_ids = {host["account_id"] for host in static[group]["hosts"].values()}
        assert dynamic_ids == static_ids, group
    # group_vars/all.yml beside it applies, as with hosts.yml.
    assert {host["ansible_connection"] for host in hostvars.values()} == {"local"}


@pytest.fixture
def small_organization(tmp_path):
    """A fresh emulator of its own with 4 members in nested OUs; yields (url, org)."""
    with pytest.MonkeyPatch.context() as patch:
        url = emulator.start(state_dir=tmp_path / "emulator")
        try:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            yield url, seed_org.seed(members=4, nested=True)
        finally:
            emulator.stop(tmp_path / "emulator")


def test_the_main_playbook_runs_unchanged_with_the_dynamic_inventory(small_organization):
    url, org = small_organization
    env = emulator.ansible_env(url)
    result = subprocess.run(
        [
            str(emulator.ANSIBLE_PLAYBOOK),
            "-i",
            str(REPO / "inventory" / "organizations.yml"),
            str(REPO / "playbooks" / "org_cloudtrail.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    recap = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=(\d+)", result.stdout, re.M))
    members = [member["name"] for member in org["members"]]
    # The members' work is one task for all of them (run once, on the first member), so the recap lists the
    # management and log-archive accounts and at most one member; the legacy-trail report covers every member.
    assert {"master", "audit"} <= set(recap) <= {"master", "audit", *members}, recap
    assert set(recap.values()) == {"0"}, recap
    # Every account's own trails are searched: the members', the management and the log-archive account's.
    assert f" legacy trail(s) in {len(members) + 2} account(s), home regions all." in result.stdout
