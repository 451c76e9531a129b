"""The built collection tarball, installed and used with no access to the checkout.

`ansible-galaxy collection build` (what `make build` runs) must ship exactly the collection's own files: no
tests, molecule scenarios, tools, caches or virtualenvs. The tarball is installed offline into a temporary
collections path, and from then on every Ansible process runs in a temporary directory, with a temporary
ansible.cfg, no PYTHONPATH and ANSIBLE_COLLECTIONS_PATH set to that path alone: trailguard.cloudtrail can
only come from the install, amazon.aws and community.aws from the ansible bundle in the venv.

There, ansible-doc renders every module and the inventory plugin, and a site playbook that lives outside the
collection imports trailguard.cloudtrail.org_cloudtrail and then uses the account_session and kms_key roles by
their fully qualified names, against a seeded organization in the emulator, with the example group_vars the
tarball ships (monitoring parts off and legacy trails looked for in one region, to save time).
"""

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
from support import BIN
from support import ANSIBLE_PLAYBOOK
from support import ansible_env
from support import member_session

# What a user of the collection gets; everything else in the repo is for developing it.
SHIPPED_DIRS = ("meta/", "plugins/", "roles/", "playbooks/", "inventory/", "docs/", "changelogs/")
NOT_SHIPPED = ("changelogs/fragments/",)
SHIPPED_FILES = {"README.md", "CHANGELOG.rst", "LICENSE", "COPYING", "requirements.txt", "bindep.txt"}
REDUCED = ["-e", "trailguard_cis_monitoring=false", "-e", "trailguard_siem_kit=false"]
REDUCED += ["-e", "trailguard_access_groups=false", "-e", '{"legacy_trails_regions": ["us-east-1"]}']
TEAM_KEY_ALIAS = "alias/team-included"

SITE = f"""\
---
# A site's own playbook: Trailguard is one part of it, used only by fully qualified names.
- name: Trailguard, the organization trail
  ansible.builtin.import_playbook: trailguard.cloudtrail.org_cloudtrail

- name: A team's KMS key in one member account, made with Trailguard's roles
  hosts: members[0]
  gather_facts: false
  module_defaults:
    group/trailguard.cloudtrail.aws: "{{{{ account_session_aws | default({{}}) }}}}"
  environment: "{{{{ account_session_environment | default({{}}) }}}}"
  vars:
    site_org: "{{{{ hostvars[groups['management'][0]] }}}}"
  roles:
    - role: trailguard.cloudtrail.account_session
      account_session_account_id: "{{{{ account_id }}}}"
      account_session_management_account_id: "{{{{ site_org.preflight_management_account_id }}}}"
      account_session_region: "{{{{ trailguard_region }}}}"
      account_session_partition: "{{{{ site_org.preflight_partition }}}}"
    - role: trailguard.cloudtrail.kms_key
      kms_key_alias: {TEAM_KEY_ALIAS}
      kms_key_organization_id: "{{{{ site_org.preflight_organization_id }}}}"
      kms_key_management_account_id: "{{{{ site_org.preflight_management_account_id }}}}"
      kms_key_trail_arn: "{{{{ site_org.preflight_trail_arn }}}}"
      kms_key_region: "{{{{ trailguard_region }}}}"
"""

ANSIBLE_CFG = """\
[defaults]
interpreter_python = auto_silent
retry_files_enabled = false
forks = 10

[connection]
pipelining = true
"""


def run(args, env, cwd):
    result = subprocess.run([str(arg) for arg in args], capture_output=True, text=True, env=env, cwd=cwd, check=False)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The tarball built from the checkout, installed into a temporary collections path."""
    root = tmp_path_factory.mktemp("install")
    work = root / "site"
    work.mkdir()
    (work / "ansible.cfg").write_text(ANSIBLE_CFG)
    collections = root / "collections"
    isolated = {
        "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_NOCOLOR": "1",
    }

    def env(url="http://127.0.0.1:9"):  # no emulator needed before the playbook runs
        base = {k: v for k, v in ansible_env(url).items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
        return {**base, **isolated}

    dist = root / "dist"
    # The same command as `make build`.
    run([BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", dist, REPO], env(), REPO)
    (tarball,) = dist.glob("trailguard-cloudtrail-*.tar.gz")
    # Offline: the dependencies in galaxy.yml must be met by the amazon.aws and community.aws already installed.
    run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, tarball], env(), work)
    return {"root": root, "work": work, "tarball": tarball, "collections": collections, "env": env}


def test_the_tarball_holds_exactly_the_collections_own_files(installed):
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout.split()
    expected = {
        path
        for path in listed
        if (REPO / path).is_file()
        and (path in SHIPPED_FILES or path.startswith(SHIPPED_DIRS))
        and not path.startswith(NOT_SHIPPED)
    }
    with tarfile.open(installed["tarball"]) as tar:
        shipped = {member.name for member in tar.getmembers() if member.isfile()} - {"MANIFEST.json", "FILES.json"}
    assert not shipped - expected, f"shipped but not the collection's own: {sorted(shipped - expected)}"
    assert not expected - shipped, f"missing from the tarball: {sorted(expected - shipped)}"
    for needed in ("meta/runtime.yml", "playbooks/org_cloudtrail.yml", "requirements.txt", "bindep.txt"):
        assert needed in shipped


def test_only_the_installed_copy_is_visible(installed):
    listing = run(
        [BIN / "ansible-galaxy", "collection", "list", "trailguard.cloudtrail", "--format", "json"],
        installed["env"](),
        installed["work"],
    )
    found = {path: list(names) for path, names in json.loads(listing.stdout).items()}
    assert found == {str(installed["collections"] / "ansible_collections"): ["trailguard.cloudtrail"]}


@pytest.mark.parametrize("kind", ["module", "inventory"])
def test_ansible_doc_renders_from_the_install(installed, kind):
    folder = "modules" if kind == "module" else "inventory"
    names = sorted(f"trailguard.cloudtrail.{p.stem}" for p in (REPO / "plugins" / folder).glob("[!_]*.py"))
    assert names
    env, work = installed["env"](), installed["work"]
    listed = json.loads(
        run([BIN / "ansible-doc", "-t", kind, "--list", "--json", "trailguard.cloudtrail"], env, work).stdout
    )
    assert sorted(listed) == names
    docs = json.loads(run([BIN / "ansible-doc", "-t", kind, "--json", *names], env, work).stdout)
    assert sorted(docs) == names
    install_path = str(installed["collections"] / "ansible_collections" / "trailguard" / "cloudtrail") + "/"
    for name, doc in docs.items():
        assert doc["doc"]["filename"].startswith(install_path), name
        assert doc["doc"]["short_description"] and doc["examples"], name


@pytest.fixture(scope="module")
def site_run(installed):
    """A seeded organization, and the site playbook run on it from outside the collection."""
    work = installed["work"]
    state_dir = installed["root"] / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            org = seed_org.seed(members=2)
            inventory = work / "inventory"
            inventory.mkdir()
            (inventory / "hosts.yml").write_text(yaml.safe_dump(seed_org.inventory_for(org), sort_keys=False))
            # The example group_vars the tarball ships, copied out of the installed collection.
            installed_collection = installed["collections"] / "ansible_collections" / "trailguard" / "cloudtrail"
            shutil.copytree(installed_collection / "inventory" / "group_vars", inventory / "group_vars")
            (work / "site.yml").write_text(SITE)
            args = [ANSIBLE_PLAYBOOK, "-i", inventory / "hosts.yml", "site.yml", *REDUCED]
            result = run(args, installed["env"](url), work)
            yield {"url": url, "org": org, "stdout": result.stdout}
    finally:
        emulator.stop(state_dir)


def test_the_main_playbook_runs_by_its_fully_qualified_name(site_run):
    url, org = site_run["url"], site_run["org"]
    assert "PLAY [Trailguard, the organization trail]" not in site_run["stdout"]  # an import has no play of its own
    assert "TASK [trailguard.cloudtrail.trail : Create or update the organization trail]" in site_run["stdout"]
    cloudtrail = boto3.client("cloudtrail", endpoint_url=url, region_name=emulator.DEFAULT_REGION)
    (trail,) = cloudtrail.describe_trails()["trailList"]
    assert trail["Name"] == "acme-organization-trail"
    assert trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert trail["S3BucketName"] == "acme-cloudtrail"
    assert trail["KmsKeyId"].split(":")[4] == org["log_archive"]["account_id"]
    assert cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"]


def test_a_role_runs_by_its_fully_qualified_name_from_a_site_playbook(site_run):
    url, member = site_run["url"], site_run["org"]["members"][0]
    recap = site_run["stdout"].split("PLAY RECAP")[-1]
    assert f"{member['name']}" in recap and "failed=0" in recap
    kms = member_session(url, member["account_id"]).client("kms", endpoint_url=url)
    aliases = {alias["AliasName"]: alias.get("TargetKeyId") for alias in kms.list_aliases()["Aliases"]}
    assert aliases.get(TEAM_KEY_ALIAS), f"{TEAM_KEY_ALIAS} not in member {member['account_id']}: {sorted(aliases)}"
    key = kms.describe_key(KeyId=aliases[TEAM_KEY_ALIAS])["KeyMetadata"]
    assert key["Arn"].split(":")[4] == member["account_id"] and key["Enabled"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    # The other member got no such key: the play targeted members[0] only.
    other = site_run["org"]["members"][1]
    other_aliases = member_session(url, other["account_id"]).client("kms", endpoint_url=url).list_aliases()
    assert TEAM_KEY_ALIAS not in {alias["AliasName"] for alias in other_aliases["Aliases"]}
