"""The simulator driver and the checks around it: canaries, input handling, and that `check()` can fail.

Also proves that every action the policy builders name is a real IAM action:
a misspelt action in a Deny never matches anything, and no simulation of the
intended action would notice.
"""

import json
import shutil
import subprocess

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import DRIVER
from iam_simulation import DRIVER_DIR
from iam_simulation import EXPLICIT
from iam_simulation import IMPLICIT
from iam_simulation import KEY_ARN
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import MGMT
from iam_simulation import ORG_ID
from iam_simulation import REGION
from iam_simulation import TRAIL_ARN
from iam_simulation import Case
from iam_simulation import check
from iam_simulation import cloudtrail
from iam_simulation import denying_layers
from iam_simulation import request
from iam_simulation import require_driver
from iam_simulation import role

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

BUCKET_POLICY = policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN)
KEY_POLICY = policies.kms_key_policy(LOG_ARCHIVE, ORG_ID, MGMT, TRAIL_ARN, REGION)
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
OBJECT = f"{BUCKET_ARN}/AWSLogs/{ORG_ID}/{MEMBER_A}/x.json.gz"
TRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ARN}


def run_driver(*args, stdin=""):
    require_driver()
    return subprocess.run(
        [shutil.which("node"), str(DRIVER), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=DRIVER_DIR,
        timeout=60,
        check=False,
    )


# ------------------------------------------------------------------ the driver
def test_canaries_hold():
    """The known answers that guard both workarounds (the driver also runs them before every batch)."""
    proc = run_driver("--canaries")
    canaries = json.loads(proc.stdout)
    failed = [canary for canary in canaries if not canary["ok"]]
    assert not failed, json.dumps(failed, indent=2)
    assert proc.returncode == 0
    names = " | ".join(canary["name"] for canary in canaries)
    for topic in ("drops the KMS encryption context", "matching encryption context", "mismatching", "TLS deny"):
        assert topic in names


@pytest.mark.parametrize("stdin", ["not json", '{"simulation": {}}'], ids=["not JSON", "not an array"])
def test_driver_refuses_unreadable_input(stdin):
    proc = run_driver(stdin=stdin)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "stdin" in proc.stderr


# Items whose results the tests below look at, simulated in one batch.
ITEMS = {
    "no kind": {"neither": 1},
    "unknown action": request(role(MEMBER_A), "s3:GetObjekt", OBJECT, LOG_ARCHIVE, resource_policy=BUCKET_POLICY),
    "invalid policy": request(role(MEMBER_A), "s3:GetObject", OBJECT, LOG_ARCHIVE, resource_policy={"Statement": "x"}),
    "wildcard resource": request(role(MEMBER_A), "s3:GetObject", f"{BUCKET_ARN}/*", LOG_ARCHIVE),
    # s3:x-amz-acl does not apply to GetBucketAcl, so the simulator drops it.
    "ignored key": request(
        cloudtrail(), "s3:GetBucketAcl", BUCKET_ARN, LOG_ARCHIVE, BUCKET_POLICY, context={"s3:x-amz-acl": "private"}
    ),
    "tls deny": request(role(MEMBER_A), "s3:GetObject", OBJECT, LOG_ARCHIVE, resource_policy=BUCKET_POLICY, tls=False),
    "kms decrypt": request(role(MEMBER_A), "kms:Decrypt", KEY_ARN, LOG_ARCHIVE, KEY_POLICY, context=TRAIL_CONTEXT),
    "kms decrypt denied": request(
        role(MEMBER_A),
        "kms:Decrypt",
        KEY_ARN,
        LOG_ARCHIVE,
        KEY_POLICY,
        context={**TRAIL_CONTEXT, "aws:PrincipalOrgID": "o-other00000"},
    ),
    "expand": {"expand": ["kms:GenerateDataKey*", "s3:NoSuchAction"]},
}


@pytest.fixture(scope="module")
def results(simulate):
    return dict(zip(ITEMS, simulate(list(ITEMS.values()))))


def test_item_without_a_kind_is_an_error(results):
    assert results["no kind"] == {"error": {"message": 'an item needs "simulation" or "expand"'}}


@pytest.mark.parametrize(
    "name, message",
    [
        ("unknown action", "invalid.action"),
        ("invalid policy", "policy.errors"),
        ("wildcard resource", "not a wildcard"),
    ],
)
def test_invalid_requests_are_errors_not_verdicts(results, name, message):
    assert "result" not in results[name]
    assert message in results[name]["error"]["message"]


def test_expand_lists_the_actions_a_pattern_names(results):
    expanded = results["expand"]["expanded"]
    assert "kms:GenerateDataKeyWithoutPlaintext" in expanded["kms:GenerateDataKey*"]
    assert expanded["s3:NoSuchAction"] == []


# ------------------------------------------------------------------ check() must be able to fail
def test_ignored_context_key_fails_the_check(results):
    case = Case("ignored", ITEMS["ignored key"], ALLOWED)
    assert results["ignored key"]["ignoredContextKeys"] == ["s3:x-amz-acl"]
    with pytest.raises(AssertionError, match="ignored by the simulator"):
        check(case, results["ignored key"])
    check(Case("declared", ITEMS["ignored key"], ALLOWED, ignored=("s3:x-amz-acl",)), results["ignored key"])


def test_simulator_error_fails_the_check(results):
    with pytest.raises(AssertionError, match="rejected the request"):
        check(Case("typo", ITEMS["unknown action"], ALLOWED), results["unknown action"])


@pytest.mark.parametrize(
    "expectation, message",
    [
        (dict(expect=IMPLICIT), "expected ImplicitlyDenied"),
        (dict(denied_by={"scp"}), "wrong layer"),
        (dict(sid="TrailguardDenyDeletesWithoutMFA"), "expected only"),
    ],
    ids=["wrong verdict", "wrong layer", "wrong sid"],
)
def test_wrong_expectation_fails_the_check(results, expectation, message):
    right = dict(expect=EXPLICIT, denied_by={"resource"}, sid="TrailguardDenyInsecureTransport")
    check(Case("right", ITEMS["tls deny"], **right), results["tls deny"])
    with pytest.raises(AssertionError, match=message):
        check(Case("wrong", ITEMS["tls deny"], **{**right, **expectation}), results["tls deny"])


def test_a_denial_must_name_its_layer():
    with pytest.raises(ValueError, match="must name the layer"):
        Case("no layer", {}, EXPLICIT)


def test_encryption_context_is_evaluated_not_ignored(results):
    """The KMS workaround: the encryption context key is kept and decides, nothing is reported as ignored."""
    allowed, denied = results["kms decrypt"], results["kms decrypt denied"]
    assert (allowed["engine"], allowed["result"], allowed["strictResult"]) == ("unsafe", ALLOWED, IMPLICIT)
    assert allowed["recoveredContextKeys"] == list(TRAIL_CONTEXT)
    assert allowed["ignoredContextKeys"] == []
    assert denied["result"] == IMPLICIT
    assert denying_layers(ITEMS["kms decrypt denied"], denied) == {"resource"}


def test_unsafe_denial_is_not_attributed_when_another_layer_uses_the_key(results):
    """If an identity policy also conditions on the encryption context, the bare unsafe verdict proves nothing."""
    item = json.loads(json.dumps(ITEMS["kms decrypt denied"]))
    item["simulation"]["identityPolicies"][0]["policy"]["Statement"][0]["Condition"] = {"StringLike": TRAIL_CONTEXT}
    with pytest.raises(AssertionError, match="cannot attribute"):
        denying_layers(item, results["kms decrypt denied"])


# ------------------------------------------------------------------ every action the builders name exists
def policy_actions():
    built = {
        "audit_bucket_policy": policies.audit_bucket_policy(BUCKET, ORG_ID, MGMT, TRAIL_ARN),
        "kms_key_policy": policies.kms_key_policy(
            LOG_ARCHIVE,
            ORG_ID,
            MGMT,
            TRAIL_ARN,
            REGION,
            cloudwatch_log_group_arn=f"arn:aws:logs:{REGION}:{MGMT}:log-group:x",
        ),
        "scp_deny_trail_tampering": policies.scp_deny_trail_tampering(),
        "scp_protect_log_archive": policies.scp_protect_log_archive(BUCKET, KEY_ARN),
    }
    for name, policy in built.items():
        for statement in policy["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                yield name, statement["Sid"], action


POLICY_ACTIONS = sorted(set(policy_actions()))


@pytest.fixture(scope="module")
def expanded(simulate):
    return simulate([{"expand": sorted({entry[2] for entry in POLICY_ACTIONS})}])[0]["expanded"]


@pytest.mark.parametrize("builder, sid, action", POLICY_ACTIONS, ids=[f"{b}:{s}:{a}" for b, s, a in POLICY_ACTIONS])
def test_policy_action_is_an_iam_action(expanded, builder, sid, action):
    assert expanded[action], f"{builder} {sid}: {action} names no IAM action, so the statement never matches it"
