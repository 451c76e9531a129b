"""Check mode and diff, and secrets in the output, on one organization.

One costly fixture walks an organization through its life, every playbook run
going through tools/fault_proxy.py (no faults: it only counts the requests):

1. fresh: `--check --diff` of the full playbook makes no write call at all, and
   shows what it would do, policies included;
2. a real run converges it, then `--check --diff` reports changed=0 everywhere;
3. four drifts made behind the playbook's back (a lifecycle rule removed, a
   statement removed from the bucket policy, an SCP detached, logging stopped):
   `--check --diff` reports changed on exactly the tasks that own them, and the
   next real run repairs them (the state is the converged one again);
4. the posture report.

Every run is at -vvv and every output, and the posture report's files, must not
hold a credential: not the management account's keys (given as a profile here,
as an administrator would), not any key, secret or session token the emulator
handed out for the assumed roles, and not the SIEM kit's external ID.
"""

import configparser
import json
import re
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
import snapshot
from fault_proxy import FaultProxy
from support import ansible_env
from support import MONITORING_OFF_ARGS
from support import member_session
from support import playbook
from support import write_inventory

BUCKET, TRAIL, SCP = "acme-cloudtrail", "acme-organization-trail", "trailguard-deny-cloudtrail-tampering"
REMOVED_SID = "TrailguardDenyInsecureTransport"
# The management account's credentials, as an administrator's profile (moto takes any key).
PROFILE = {
    "aws_access_key_id": "AKIATRAILGUARDHARNESS",
    "aws_secret_access_key": "trailguard/harness+secret/do-not-print-0123456",
    "aws_session_token": "trailguard-harness-management-session-token-do-not-print",
}
SESSION_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken")
EXTERNAL_ID = yaml.safe_load((REPO / "inventory" / "group_vars" / "log_archive.yml").read_text())[
    "siem_kit_external_id"
]
# The tasks that own the four drifts (a task whose name starts with one of these). One task sets both buckets'
# settings, so it owns two drifts: the lifecycle rule and the policy statement.
DRIFT_TASKS = {
    "trailguard.cloudtrail.audit_bucket : Set up the log bucket and its access-log bucket",
    "trailguard.cloudtrail.guardrails : Deny CloudTrail tampering in member accounts, and protect the log bucket and the trail key",
    "trailguard.cloudtrail.trail : Create or update the organization trail",
}


def changed_tasks(output):
    """{task name} of every task a host reported changed on, from the default callback's output."""
    task, changed = None, set()
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.+)\] \*+$", line)
        if header:
            task = header.group(1)
        elif line.startswith("changed: [") and task:
            changed.add(task)
    return changed


def owners(changed):
    """{expected drift task: [changed tasks it names]}, and the changed tasks no drift task names."""
    named = {task: sorted(c for c in changed if c.startswith(task)) for task in DRIFT_TASKS}
    return named, sorted(c for c in changed if not any(c.startswith(task) for task in DRIFT_TASKS))


def added_sid(sid, output):
    """Whether a diff in the output adds the statement `sid` (JSON or YAML rendering)."""
    return re.search(rf'^\+[\s-]*"?Sid"?:\s*"?{sid}\b', output, re.M) is not None


def recap(output):
    """{host: changed count} from the PLAY RECAP."""
    return {host: int(count) for host, count in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


@pytest.fixture(scope="module")
def life(tmp_path_factory):
    work = tmp_path_factory.mktemp("check_mode")
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        sessions = []

        def keep_sessions(record):
            """Every session STS hands out through the proxy: its key, secret and token must never be printed."""
            if record["action"] == "AssumeRole" and record["status"] == 200:
                answer = record["response"].decode()
                sessions.append(
                    {name: re.search(f"<{name}>([^<]+)</{name}>", answer).group(1) for name in SESSION_FIELDS}
                )

        with pytest.MonkeyPatch.context() as patch, FaultProxy(
            url, log_path=work / "requests.jsonl", hook=keep_sessions
        ) as proxy:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            org = seed_org.seed(members=2)
            inventory = write_inventory(work / "inventory", org)
            credentials = work / "credentials"
            config = configparser.ConfigParser()
            config["trailguard-harness"] = PROFILE
            with credentials.open("w") as handle:
                config.write(handle)
            env = ansible_env(proxy.url, AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_PROFILE="trailguard-harness")
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                env.pop(name)
            outputs = {}

            def run(step, *args, name="org_cloudtrail.yml"):
                proxy.reset_counts()
                result = playbook(proxy.url, inventory, name, "-vvv", *args, env=env, check=False)
                text = result.stdout + result.stderr
                (work / f"{step}.log").write_text(text)
                outputs[step] = text
                writes = sorted({f"{r['service']}:{r['action']}" for r in proxy.requests if r["write"]})
                reads = {f"{r['service']}:{r['action']}" for r in proxy.requests if not r["write"]}
                return {"result": result, "output": text, "counts": proxy.counts(), "writes": writes, "reads": reads}

            life_state = {"url": url, "org": org, "outputs": outputs, "work": work}
            life_state["fresh_check"] = run("fresh-check", "--check", "--diff")
            life_state["converge"] = run("converge")
            life_state["converged"] = snapshot.normalize(snapshot.snapshot())
            life_state["converged_check"] = run("converged-check", "--check", "--diff")
            drift(url, org)
            life_state["drifted"] = snapshot.normalize(snapshot.snapshot())
            life_state["drift_check"] = run("drift-check", "--check", "--diff", *MONITORING_OFF_ARGS)
            life_state["drift_check_state"] = snapshot.normalize(snapshot.snapshot())
            life_state["repair"] = run("repair", *MONITORING_OFF_ARGS)
            life_state["repaired"] = snapshot.normalize(snapshot.snapshot())
            report = work / "report"
            life_state["posture"] = run("posture", "-e", f"posture_output_dir={report}", name="posture.yml")
            life_state["report_files"] = {path.name: path.read_text() for path in report.iterdir()}
            life_state["sessions"] = sessions
            yield life_state
    finally:
        emulator.stop(state_dir)


def drift(url, org):
    """The four drifts, made with boto3 behind the playbook's back."""
    audit = member_session(url, org["log_archive"]["account_id"])
    s3 = audit.client("s3", endpoint_url=url)
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    policy["Statement"] = [item for item in policy["Statement"] if item.get("Sid") != REMOVED_SID]
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    organizations = boto3.client("organizations", endpoint_url=url)
    scp = next(p for p in organizations.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"] if p["Name"] == SCP)
    organizations.detach_policy(PolicyId=scp["Id"], TargetId=org["root_id"])
    boto3.client("cloudtrail", endpoint_url=url).stop_logging(Name=TRAIL)


# ---------------------------------------------------------------- 3. check mode and diff


def test_check_mode_on_a_fresh_organization_writes_nothing_and_shows_the_changes(life):
    step = life["fresh_check"]
    assert step["result"].returncode == 0, step["output"][-5000:]
    counts = step["counts"]
    print(f"\nfresh --check --diff: {counts['writes']} write calls, {counts['reads']} read calls")
    assert counts["writes"] == 0, f"check mode called writes: {step['writes']}"
    # It did look at what it would change: the organization and its SCPs, the trails, the key and the bucket.
    looked = {"organizations:ListPolicies", "cloudtrail:GetTrail", "kms:DescribeKey", "s3:GetBucketLocation"}
    assert looked <= step["reads"], f"check mode did not read {sorted(looked - step['reads'])}"
    assert counts["reads"] > 40
    output = step["output"]
    # Every play's changes are reported, policies as readable JSON diffs.
    changed = changed_tasks(output)
    for task in (
        "trailguard.cloudtrail.kms_key : Create or update the key, with rotation and the Trailguard key policy",
        "trailguard.cloudtrail.trail : Create or update the organization trail",
        "trailguard.cloudtrail.guardrails : Deny CloudTrail tampering in member accounts, and protect the log bucket and the trail key",
    ):
        assert task in changed, f"{task} not reported changed in check mode: {sorted(changed)}"
    # The SCPs' and the log bucket's statements.
    for sid in ("TrailguardDenyCloudTrailTampering", "TrailguardCloudTrailAclCheck", "TrailguardCloudTrailWrite"):
        assert added_sid(sid, output), f"no diff line adds statement {sid}"


def test_check_mode_on_the_converged_organization_reports_no_change(life):
    step = life["converged_check"]
    assert life["converge"]["result"].returncode == 0
    assert step["result"].returncode == 0, step["output"][-5000:]
    assert step["counts"]["writes"] == 0
    changed = recap(step["output"])
    assert changed and set(changed.values()) == {
        0
    }, f"changed on a converged organization: {changed_tasks(step['output'])}"


def test_check_mode_reports_exactly_the_drift_and_the_next_run_repairs_it(life):
    assert life["drifted"] != life["converged"]
    step = life["drift_check"]
    assert step["result"].returncode == 0, step["output"][-5000:]
    assert step["counts"]["writes"] == 0
    assert life["drift_check_state"] == life["drifted"]
    named, others = owners(changed_tasks(step["output"]))
    assert all(named.values()) and not others, f"drift tasks reported changed: {named}; others: {others}"
    # The removed statement shows as a line the run would add back.
    assert added_sid(REMOVED_SID, step["output"])
    repair = life["repair"]
    assert repair["result"].returncode == 0, repair["output"][-5000:]
    named, others = owners(changed_tasks(repair["output"]))
    assert all(named.values()) and not others, f"the repair changed: {named}; others: {others}"
    assert life["repaired"] == life["converged"]


# ---------------------------------------------------------------- 4. secrets


# At -vvv Ansible prints each module's arguments, and amazon.aws does not count access_key as secret (its
# no_log is False), so account_session hands modules only a profile's name; the keys stay in a file.
def test_no_credential_or_external_id_in_any_output(life):
    sessions = life["sessions"]
    assert len(sessions) >= 6, f"STS handed out {len(sessions)} sessions: did the playbook assume the roles?"
    secrets = {"the SIEM external ID": EXTERNAL_ID}
    for name, value in PROFILE.items():
        secrets[f"the management {name}"] = value
    for number, session in enumerate(sessions):
        for field in SESSION_FIELDS:
            secrets[f"session {number}'s {field}"] = session[field]
    texts = dict(life["outputs"])
    texts.update({f"posture report {name}": text for name, text in life["report_files"].items()})
    assert len(texts) == 8 and all(texts.values())  # six runs, the JSON and the HTML report
    # The -vvv run did show module arguments, and the log-archive modules got the session's profile.
    assert any(re.search(r"^ {8,}profile: trailguard-session$", text, re.M) for text in texts.values())
    leaks = []
    for where, text in texts.items():
        leaks += [f"{what} in {where}" for what, value in secrets.items() if value in text]
        # Whatever the emulator's records miss: anything shaped like a session key or token.
        for pattern in (r"\bASIA[A-Z0-9]{16}\b", r"FQoGZXIvYXdzE", r"(?i)secret\w*\W{1,6}[A-Za-z0-9/+]{40}\b"):
            leaks += [f"{pattern!r} in {where}" for _match in re.findall(pattern, text)[:1]]
    assert not leaks, "\n".join(sorted(leaks))
