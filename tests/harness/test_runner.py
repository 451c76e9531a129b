"""The main playbook through ansible-runner, the engine AWX and Automation Platform run jobs with.

The private data directory is laid out as AWX lays out a job's: inventory/ (hosts and group_vars),
env/envvars (the emulator's endpoint and dummy credentials, as a credential would inject them), env/extravars
(the job's extra variables), env/settings, and project/ with the site playbook, an ansible.cfg and the
collection in project/collections (a playbook-adjacent collections directory, as a project may vendor it).
The run happens with no ANSIBLE_* settings or PYTHONPATH of the developer's shell, and is judged as AWX judges
it: by the runner's status and rc and by the job events (plays started, the trail task, the recap, no_log).
Monitoring parts are off, to save time.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import ansible_runner
import emulator
import seed_org
from support import BIN
from support import seeded_emulator

IDENT = "trailguard-job"
EXTRAVARS = {
    "trailguard_cis_monitoring": False,
    "trailguard_siem_kit": False,
    "trailguard_access_groups": False,
}
PROJECT_CFG = """\
[defaults]
interpreter_python = auto_silent
retry_files_enabled = false

[connection]
pipelining = true
"""


def write_private_data_dir(pdd, url, org):
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(seed_org.inventory_for(org), sort_keys=False))
    shutil.copytree(REPO / "inventory" / "group_vars", pdd / "inventory" / "group_vars")
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(emulator.emulator_env(url, base={})))
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(EXTRAVARS))
    (pdd / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": 600, "suppress_ansible_output": True}))
    project = pdd / "project"
    (project / "collections" / "ansible_collections" / "trailguard").mkdir(parents=True)
    (project / "collections" / "ansible_collections" / "trailguard" / "cloudtrail").symlink_to(REPO)
    (project / "ansible.cfg").write_text(PROJECT_CFG)
    (project / "site.yml").write_text(
        "---\n- name: Trailguard\n  ansible.builtin.import_playbook: trailguard.cloudtrail.org_cloudtrail\n"
    )


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """The finished ansible-runner job: its Runner, and its events in order."""
    work = tmp_path_factory.mktemp("runner")
    with seeded_emulator(work, members=2) as (url, org, patch):
        # The job sees only what the private data directory gives it, not this shell's Ansible settings.
        for name in list(os.environ):
            if name.startswith("ANSIBLE_") or name == "PYTHONPATH":
                patch.delenv(name)
        patch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
        pdd = work / "private_data_dir"
        write_private_data_dir(pdd, url, org)
        runner = ansible_runner.run(private_data_dir=str(pdd), playbook="site.yml", ident=IDENT, quiet=True)
        yield {"runner": runner, "events": list(runner.events), "org": org, "pdd": pdd}


def test_the_job_succeeds(job):
    runner = job["runner"]
    assert runner.status == "successful" and runner.rc == 0, "".join(
        event.get("stdout", "") + "\n" for event in job["events"]
    )[-6000:]
    artifacts = job["pdd"] / "artifacts" / IDENT
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    # Every event the runner yields is also on disk, where AWX's callback receiver would read it.
    assert len(list((artifacts / "job_events").glob("*.json"))) == len(job["events"])
    print(f"\nansible-runner job events: {len(job['events'])}")


def test_the_events_show_every_play_and_a_clean_recap(job):
    events, org = job["events"], job["org"]
    assert [event["event"] for event in events].count("playbook_on_start") == 1
    assert events[-1]["event"] == "playbook_on_stats"
    plays = [event["event_data"]["play"] for event in events if event["event"] == "playbook_on_play_start"]
    playbook = yaml.safe_load((REPO / "playbooks" / "org_cloudtrail.yml").read_text())
    assert plays == [play["name"] for play in playbook]

    stats = events[-1]["event_data"]
    accounts = [org["management"]["name"], org["log_archive"]["name"]]
    members = [m["name"] for m in org["members"]]
    # The legacy-trail search is one task for every account, run once on the management account: at most one
    # member has results of its own, and the legacy-trail report covers every account.
    assert set(accounts) <= set(stats["processed"]) <= {*accounts, *members}, json.dumps(stats)
    reports = [
        line
        for event in events
        if event["event"] == "runner_on_ok"
        and event["event_data"]["task"] == "Report the legacy trails and what was done with them"
        for line in event["event_data"]["res"]["msg"]
    ]
    assert f" legacy trail(s) in {len(members) + 2} account(s), home regions all." in reports[0], reports
    assert not stats["failures"] and not stats["dark"], json.dumps(stats)
    assert stats["changed"].get(org["management"]["name"], 0) > 0, json.dumps(stats)
    assert stats["changed"].get(org["log_archive"]["name"], 0) > 0, json.dumps(stats)
    assert not [event for event in events if event["event"] in ("runner_on_failed", "runner_on_unreachable")]


def test_the_trail_task_reports_its_change(job):
    management = job["org"]["management"]["name"]
    trail_events = [
        event["event_data"]
        for event in job["events"]
        if event["event"] == "runner_on_ok" and event["event_data"]["task"] == "Create or update the organization trail"
    ]
    assert len(trail_events) == 1, trail_events
    (trail,) = trail_events
    assert trail["host"] == management and trail["role"] == "trail"
    assert trail["task_action"] == "trailguard.cloudtrail.org_trail"
    assert trail["res"]["changed"] is True
    assert trail["res"]["trail"]["is_organization_trail"] is True, trail["res"]["trail"]


def module_args(events):
    for event in events:
        result = event.get("event_data", {}).get("res")
        if isinstance(result, dict) and result.get("invocation", {}).get("module_args"):
            yield result["invocation"]["module_args"]


def test_assumed_credentials_never_reach_the_events(job):
    assumed = [
        event["event_data"]
        for event in job["events"]
        if event["event"] == "runner_on_ok" and event["event_data"]["task"].startswith("Assume the role in account")
    ]
    assert assumed, "no role was assumed"
    for data in assumed:
        assert set(data["res"]) == {"censored"}, data["res"]
    # The tasks that ran with the assumed credentials got only the profile's name (the keys are in
    # account_session's credentials file) and blank keys; no task shows a key of any kind (a value Ansible
    # masked is not shown).
    with_session = 0
    for args in module_args(job["events"]):
        for name in ("access_key", "secret_key", "session_token"):
            assert args.get(name) in (None, "", "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"), args
        with_session += args.get("profile") == "trailguard-session"
    assert with_session, "no task ran with assumed credentials"
