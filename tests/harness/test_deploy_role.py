"""A narrow deploy principal: switching an organization over to trailguard_deploy_role_name, with no failed run.

One organization (management, log archive, one member) lives through four runs of playbooks/org_cloudtrail.yml,
every request going through tools/fault_proxy.py, whose hook tells which session signed each request (the access
key IDs STS handed out, matched to the role each AssumeRole answered for):

0. the default: the broad role (OrganizationAccountAccessRole) is the one assumed in the log-archive account and the
   one exempt from the bucket policy's MFA statement and the log-archive SCP;
1. trailguard_deploy_role_name set: preflight's AssumeRole of the deploy role is refused (AccessDenied: it does not
   exist; the emulator answers as AWS does, see tools/moto_server.py), so the run works as the broad role, exempts
   both roles, and creates the deploy role at the end, after the guardrails, trusting only the runner;
2. the same settings: preflight assumes the deploy role, the log-archive plays work with that session (no second
   AssumeRole), and every write in the log-archive account is signed by it; only it is exempt now, and the
   log-archive SCP keeps everyone else from changing it;
3. the same settings again: nothing changes.

Each run must succeed. The posture report then shows the exemption green. moto does not evaluate trust policies or
SCPs: what they allow is proven with the IAM policy simulator (tests/policy/test_deploy_role_effects.py).
"""

import json
import re
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]

import emulator
import seed_org
from fault_proxy import FaultProxy
from support import MONITORING_OFF_ARGS
from support import ansible_env
from support import member_session
from support import playbook
from support import write_inventory

BUCKET, BROAD, DEPLOY = "acme-cloudtrail", "OrganizationAccountAccessRole", "TrailguardDeploy"
SCPS = ("trailguard-deny-cloudtrail-tampering", "trailguard-protect-log-archive")
# The emulator's caller: moto answers GetCallerIdentity for the harness's keys with this user of the management account.
RUNNER = f"arn:aws:iam::{emulator.MANAGEMENT_ACCOUNT_ID}:user/moto"
DEPLOY_ARGS = (
    "-e",
    json.dumps({"trailguard_deploy_role_name": DEPLOY, "trailguard_deploy_role_trusted_arns": [RUNNER]}),
)
ASSUMED = re.compile(r"<AccessKeyId>([^<]+)</AccessKeyId>.*?<Arn>arn:[^:]+:sts::(\d{12}):assumed-role/([^/<]+)/", re.S)
REFUSED = re.compile(r"sts:AssumeRole on resource: arn:[^:]+:iam::(\d{12}):role/([^<\s]+)")


def recap(output):
    """{host: (ok, changed, failed)} from the PLAY RECAP."""
    return {
        host: tuple(map(int, counts))
        for host, *counts in re.findall(
            r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output, re.M
        )
    }


def mfa_exemption(policy):
    """The principals the bucket policy's MFA statement exempts."""
    statement = next(s for s in policy["Statement"] if s["Sid"] == "TrailguardDenyDeletesWithoutMFA")
    return sorted(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"])


def scp_contents(url):
    organizations = boto3.client("organizations", endpoint_url=url)
    by_name = {p["Name"]: p["Id"] for p in organizations.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]}
    return {
        name: json.loads(organizations.describe_policy(PolicyId=by_name[name])["Policy"]["Content"]) for name in SCPS
    }


def state(url, org):
    """What the runs are about, read through the emulator's APIs."""
    log_archive = org["log_archive"]["account_id"]
    session = member_session(url, log_archive)
    policy = json.loads(session.client("s3", endpoint_url=url).get_bucket_policy(Bucket=BUCKET)["Policy"])
    iam = session.client("iam", endpoint_url=url)
    try:
        # RoleLastUsed changes with every AssumeRole: what the runs set is the rest.
        role = {k: v for k, v in iam.get_role(RoleName=DEPLOY)["Role"].items() if k != "RoleLastUsed"}
        attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=DEPLOY)["AttachedPolicies"]]
    except iam.exceptions.NoSuchEntityException:
        role, attached = None, []
    scps = scp_contents(url)
    return {
        "bucket_exempt": mfa_exemption(policy),
        "scp_exempt": {
            name: sorted({arn for s in scp["Statement"] for arn in s["Condition"]["ArnNotLike"]["aws:PrincipalArn"]})
            for name, scp in scps.items()
        },
        "protected_roles": [
            s["Resource"] for s in scps[SCPS[1]]["Statement"] if s["Sid"] == "TrailguardProtectDeployRole"
        ],
        "deploy_role": role,
        "deploy_policies": attached,
    }


@pytest.fixture(scope="module")
def switch_over(tmp_path_factory):
    work = tmp_path_factory.mktemp("deploy_role")
    state_dir = work / "emulator"
    url = emulator.start(state_dir=state_dir)
    try:
        sessions, requests = {}, []

        def watch(record):
            """Which role each session key belongs to, and who signed each request."""
            body = record["response"].decode(errors="replace")
            if record["action"] == "AssumeRole":
                if record["status"] == 200:
                    key, account, role = ASSUMED.search(body).groups()
                    sessions[key] = (account, role)
                    record = dict(record, assumed=(account, role))
                else:
                    record = dict(record, refused=REFUSED.search(body).groups())
            requests.append(dict(record, response=None))

        with pytest.MonkeyPatch.context() as patch, FaultProxy(url, hook=watch) as proxy:
            for name, value in emulator.emulator_env(url, base={}).items():
                patch.setenv(name, value)
            org = seed_org.seed(members=1)
            inventory = write_inventory(work / "inventory", org)
            env = ansible_env(proxy.url)
            runs = []
            for step, args in enumerate([(), DEPLOY_ARGS, DEPLOY_ARGS, DEPLOY_ARGS]):
                requests.clear()
                result = playbook(
                    proxy.url, inventory, "org_cloudtrail.yml", *MONITORING_OFF_ARGS, *args, env=env, check=False
                )
                (work / f"run-{step}.log").write_text(result.stdout + result.stderr)
                runs.append(
                    {
                        "result": result,
                        "recap": recap(result.stdout),
                        "requests": [dict(r, signer=sessions.get(r["access_key"], ("runner",))) for r in requests],
                        "state": state(url, org),
                    }
                )
            report = work / "report"
            posture = playbook(
                proxy.url,
                inventory,
                "posture.yml",
                *DEPLOY_ARGS,
                "-e",
                f"posture_output_dir={report}",
                env=env,
                check=False,
            )
            yield {"url": url, "org": org, "runs": runs, "posture": posture, "report_dir": report}
    finally:
        emulator.stop(state_dir)


def log_archive_arn(org, role):
    return f"arn:aws:iam::{org['log_archive']['account_id']}:role/{role}"


def assume_roles(run, org):
    """The AssumeRole calls into the log-archive account, in order: (role, 'ok' or 'refused')."""
    account = org["log_archive"]["account_id"]
    calls = []
    for record in run["requests"]:
        if record["action"] != "AssumeRole":
            continue
        if "assumed" in record and record["assumed"][0] == account:
            calls.append((record["assumed"][1], "ok"))
        elif "refused" in record and record["refused"][0] == account:
            calls.append((record["refused"][1], "refused"))
    return calls


def writers(run, org):
    """{role} that signed a write in the log-archive account (S3, KMS, IAM, SQS): the runner's own keys sign the
    management account's writes."""
    account = org["log_archive"]["account_id"]
    return {
        record["signer"][1]
        for record in run["requests"]
        if record["write"] and record["signer"][0] == account and record["service"] in ("s3", "kms", "iam", "sqs")
    }


def test_every_run_succeeds(switch_over):
    for step, run in enumerate(switch_over["runs"]):
        result = run["result"]
        assert result.returncode == 0, f"run {step} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        assert run["recap"] and all(failed == 0 for _ok, _changed, failed in run["recap"].values())


def test_the_default_exempts_the_broad_role(switch_over):
    org, run = switch_over["org"], switch_over["runs"][0]
    assert run["state"]["bucket_exempt"] == [log_archive_arn(org, BROAD)]
    assert set(map(tuple, run["state"]["scp_exempt"].values())) == {(log_archive_arn(org, BROAD),)}
    assert run["state"]["deploy_role"] is None and run["state"]["protected_roles"] == []
    assert writers(run, org) == {BROAD}


def test_the_first_run_creates_the_deploy_role_as_the_broad_role_and_exempts_both(switch_over):
    org, run = switch_over["org"], switch_over["runs"][1]
    both = sorted([log_archive_arn(org, BROAD), log_archive_arn(org, DEPLOY)])
    # Preflight found no deploy role (AccessDenied), so the log-archive plays assumed the broad role.
    assert assume_roles(run, org)[:2] == [(DEPLOY, "refused"), (BROAD, "ok")]
    assert writers(run, org) == {BROAD}
    created = [r["action"] for r in run["requests"] if r["service"] == "iam" and r["write"] and r["signer"][1] == BROAD]
    assert {"CreatePolicy", "CreateRole", "AttachRolePolicy"} <= set(created)
    assert run["state"]["bucket_exempt"] == both
    assert set(map(tuple, run["state"]["scp_exempt"].values())) == {tuple(both)}
    assert run["state"]["protected_roles"] == [log_archive_arn(org, DEPLOY)]
    role = run["state"]["deploy_role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "TrailguardDeployAssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": RUNNER},
            "Action": "sts:AssumeRole",
        }
    ]
    assert run["state"]["deploy_policies"] == [DEPLOY]


def test_the_second_run_works_as_the_deploy_role_and_only_it_is_exempt(switch_over):
    org, run = switch_over["org"], switch_over["runs"][2]
    deploy = log_archive_arn(org, DEPLOY)
    # One AssumeRole of the deploy role (preflight's, whose session the log-archive plays use); the broad role is
    # assumed only by the legacy-trail scan, which reads the account's own trails.
    calls = assume_roles(run, org)
    assert calls.count((DEPLOY, "ok")) == 1 and calls[0] == (DEPLOY, "ok")
    assert (DEPLOY, "refused") not in calls
    assert writers(run, org) == {DEPLOY}
    broad_requests = {
        f"{r['service']}:{r['action']}"
        for r in run["requests"]
        if r["signer"] == (org["log_archive"]["account_id"], BROAD)
    }
    assert broad_requests and {name.split(":")[0] for name in broad_requests} == {"cloudtrail"}, broad_requests
    # Only the deploy role is exempt now, from the bucket policy and both SCPs.
    assert run["state"]["bucket_exempt"] == [deploy]
    assert set(map(tuple, run["state"]["scp_exempt"].values())) == {(deploy,)}
    assert run["state"]["protected_roles"] == [deploy]
    # This run narrowed the bucket policy: the write the broad role could no longer make in AWS.
    bucket_writes = {r["action"] for r in run["requests"] if r["service"] == "s3" and r["write"]}
    assert "PutBucketPolicy" in bucket_writes


def test_the_third_run_changes_nothing(switch_over):
    run = switch_over["runs"][3]
    assert {host: changed for host, (_ok, changed, _failed) in run["recap"].items()} == dict.fromkeys(run["recap"], 0)
    assert run["state"] == switch_over["runs"][2]["state"]
    assert writers(run, switch_over["org"]) == set()


def test_the_posture_report_shows_the_narrow_exemption(switch_over):
    posture = switch_over["posture"]
    assert posture.returncode == 0, posture.stdout[-4000:]
    report = json.loads((switch_over["report_dir"] / "posture.json").read_text())
    check = next(item for item in report["checks"] if item["id"] == "bucket.exempt_principals")
    assert check["status"] == "pass", check
    assert check["detail"].startswith(f"exempt: {log_archive_arn(switch_over['org'], DEPLOY)}; not the broad role")


def test_the_deploy_role_file_grants_every_iam_call_the_runs_made_in_the_log_archive_account(switch_over):
    """docs/iam/deploy-role-log-archive.json is what the broad role needs to create the deploy role and what the deploy
    role needs to keep itself up to date: every IAM action the runs called in the log-archive account (with the SIEM
    kit and AWS Config off, only the deploy_role role calls IAM there) is in it."""
    document = json.loads((REPO / "docs" / "iam" / "deploy-role-log-archive.json").read_text())
    granted = {
        action
        for statement in document["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    account = switch_over["org"]["log_archive"]["account_id"]
    called = {
        f"iam:{record['action']}"
        for run in switch_over["runs"]
        for record in run["requests"]
        if record["service"] == "iam" and record["signer"][0] == account
    }
    assert {"iam:CreateRole", "iam:CreatePolicy", "iam:GetRole"} <= called
    assert called <= granted, f"called but not granted: {sorted(called - granted)}"
