"""Policy effects, proven offline with the @cloud-copilot/iam-simulate IAM policy simulator.

moto stores policies but does not enforce SCPs, bucket or key policy conditions
or service principals, so these tests ask a real policy evaluator instead. The
node driver (tools/iam_simulate/simulate.mjs) reads a JSON array of simulations
and answers one verdict each; `simulate()` runs it once per batch.

Each test module lists its cases as `Case` objects, simulates them all in one
module-scoped batch (`verdicts`, through the `simulate` fixture of
conftest.py), and checks each with `check()`:
- every IAM principal has AdministratorAccess, so a "denied" must come from the
  resource policy or an SCP, and `check()` asserts which layer (and Sid) denied;
- a context key the simulator ignored fails the case, because the condition
  that used it was never evaluated.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER_DIR = REPO / "tools" / "iam_simulate"
DRIVER = DRIVER_DIR / "simulate.mjs"

ALLOWED = "Allowed"
EXPLICIT = "ExplicitlyDenied"
IMPLICIT = "ImplicitlyDenied"

# The organization the cases live in (the moto default management account, like the emulator).
ORG_ID = "o-a1b2c3d4e5"
MGMT = "123456789012"
LOG_ARCHIVE = "210987654321"  # the "audit" account: log bucket and trail key
MEMBER_A = "111111111111"
MEMBER_B = "222222222222"
FOREIGN = "999999999999"  # an account of another organization
FOREIGN_ORG_ID = "o-zzzzzzzzzz"
REGION = "us-east-1"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/trailguard"
FOREIGN_TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{FOREIGN}:trail/trailguard"
BUCKET = f"trailguard-logs-{LOG_ARCHIVE}"
KEY_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/0b1f6f0e-7c1a-4f55-9d0e-5b1c2d3e4f50"
CLOUDTRAIL = "cloudtrail.amazonaws.com"

ADMINISTRATOR_ACCESS = {
    "name": "AdministratorAccess",
    "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
}
FULL_AWS_ACCESS = {
    "name": "FullAWSAccess",
    "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
}


def require_driver():
    """Fail (not skip) when node or the simulator is missing: a skipped effect test proves nothing."""
    if shutil.which("node") is None or not (DRIVER_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        pytest.fail("the IAM simulator is not installed: run `make setup-node` (needs node and npm)")


def simulate(items):
    """Run the driver once for a list of items ({"simulation": ...} or {"expand": [...]}); return its results."""
    require_driver()
    proc = subprocess.run(
        [shutil.which("node"), str(DRIVER)],
        input=json.dumps(list(items)),
        capture_output=True,
        text=True,
        cwd=DRIVER_DIR,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"the simulator driver exited {proc.returncode}:\n{proc.stderr}")
    results = json.loads(proc.stdout)
    assert len(results) == len(items)
    return results


# ------------------------------------------------------------------ principals
@dataclass(frozen=True)
class Principal:
    """Who makes a request, and the global context keys AWS sets for it.

    The simulator does not derive context keys from the principal, so this does,
    the way AWS does for an assumed-role session or an AWS service.
    """

    arn: str
    context: dict
    service: bool = False


def role(account, name="Admin", org_id=ORG_ID, mfa=False):
    """A session of role `name` in `account` (temporary credentials carry aws:MultiFactorAuthPresent)."""
    context = {
        "aws:PrincipalArn": f"arn:aws:iam::{account}:role/{name}",
        "aws:PrincipalAccount": account,
        "aws:PrincipalIsAWSService": "false",
        "aws:MultiFactorAuthPresent": "true" if mfa else "false",
    }
    if org_id:
        context["aws:PrincipalOrgID"] = org_id
    return Principal(f"arn:aws:sts::{account}:assumed-role/{name}/session", context)


def user_with_access_key(account, name="admin", org_id=ORG_ID):
    """An IAM user calling with long-term access keys: aws:MultiFactorAuthPresent is absent."""
    context = {
        "aws:PrincipalArn": f"arn:aws:iam::{account}:user/{name}",
        "aws:PrincipalAccount": account,
        "aws:PrincipalIsAWSService": "false",
        "aws:PrincipalOrgID": org_id,
    }
    return Principal(f"arn:aws:iam::{account}:user/{name}", context)


def aws_service(name, source_arn=None):
    """The AWS service `name` acting for `source_arn`: no PrincipalArn, PrincipalAccount or PrincipalOrgID."""
    context = {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": name}
    if source_arn:
        context["aws:SourceArn"] = source_arn
        context["aws:SourceAccount"] = source_arn.split(":")[4]
    return Principal(name, context, service=True)


def cloudtrail(source_arn=TRAIL_ARN):
    """CloudTrail delivering for the trail `source_arn`."""
    return aws_service(CLOUDTRAIL, source_arn)


# ------------------------------------------------------------------ requests and cases
def scp_levels(policies, ou, account):
    """SCPs as the simulator wants them: root -> OU -> account, each with FullAWSAccess, `policies` at the root."""
    root = [FULL_AWS_ACCESS] + [{"name": name, "policy": policy} for name, policy in policies]
    return [
        {"orgIdentifier": "r-root", "policies": root},
        {"orgIdentifier": ou, "policies": [FULL_AWS_ACCESS]},
        {"orgIdentifier": account, "policies": [FULL_AWS_ACCESS]},
    ]


def request(principal, action, resource, resource_account, resource_policy=None, scps=(), context=None, tls=True):
    """One simulation item. IAM principals get AdministratorAccess; services have no identity policies."""
    variables = dict(principal.context)
    variables["aws:SecureTransport"] = "true" if tls else "false"
    variables.update(context or {})
    simulation = {
        "identityPolicies": [] if principal.service else [ADMINISTRATOR_ACCESS],
        "serviceControlPolicies": list(scps),
        "resourceControlPolicies": [],
        "request": {
            "principal": principal.arn,
            "action": action,
            "resource": {"resource": resource, "accountId": resource_account},
            "contextVariables": variables,
        },
    }
    if resource_policy is not None:
        simulation["resourcePolicy"] = resource_policy
    return {"simulation": simulation}


@dataclass
class Case:
    """A named request and the verdict it must get.

    denied_by: the policy layers that must deny it ("resource", "scp", ...), required for a denial;
    sid: the statement that must decide it (the denying Sid, or for an allowed request a granting Sid);
    ignored: context keys the case expects the simulator to ignore (normally none).
    """

    id: str
    item: dict
    expect: str
    denied_by: frozenset = frozenset()
    sid: str = None
    ignored: tuple = field(default_factory=tuple)

    def __post_init__(self):
        self.denied_by = frozenset(self.denied_by)
        if self.expect != ALLOWED and not self.denied_by:
            raise ValueError(f"{self.id}: a denial must name the layer that denies it")


def params(cases):
    """pytest parameters for `cases`, each with its readable id."""
    ids = [case.id for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate case ids: {duplicates}"
    return [pytest.param(case, id=case.id) for case in cases]


def run_cases(simulate_batch, cases):
    """Simulate every case in one batch (with the `simulate` fixture); results keyed by case id."""
    return dict(zip([case.id for case in cases], simulate_batch([case.item for case in cases])))


def _mentions(policies, keys):
    text = json.dumps(policies).lower()
    return [key for key in keys if key.lower() in text]


def denying_layers(item, result):
    """Which policy layers denied the request.

    The strict engine reports them. The unsafe engine (used only when the KMS
    encryption context had to be kept, see the driver) returns a bare verdict;
    its denial is attributed to the resource policy only when no other layer can
    deny: no SCP/RCP denied in strict mode, the identity layer allowed (or the
    principal is a service, which has none), and no policy outside the resource
    policy mentions the keys only the unsafe engine evaluated.
    """
    simulation = item["simulation"]
    # An AWS service principal has no identity policies: its identity layer always reads "implicitly denied".
    service = not simulation["identityPolicies"]
    if result["engine"] == "strict":
        return frozenset(
            denial["policyType"]
            for denial in result["denials"]
            if not (service and denial["policyType"] == "identity" and denial["denialType"] == "Implicit")
        )
    layers = result["layers"]
    others = [
        simulation["identityPolicies"],
        simulation["serviceControlPolicies"],
        simulation["resourceControlPolicies"],
    ]
    if (
        layers["scp"] == ALLOWED
        and layers["rcp"] == ALLOWED
        and (service or layers["identity"] == ALLOWED)
        and not _mentions(others, result["recoveredContextKeys"])
    ):
        return frozenset({"resource"})
    raise AssertionError(f"cannot attribute the unsafe engine's denial to one layer: {result}")


def check(case, result):
    """Assert that `result` is the verdict `case` expects, for the reason it expects."""
    action = case.item["simulation"]["request"]["action"]
    assert "error" not in result, f"the simulator rejected the request ({action}): {json.dumps(result['error'])}"
    assert sorted(result["ignoredContextKeys"]) == sorted(case.ignored), (
        f"context keys ignored by the simulator (their conditions were never evaluated): "
        f"{result['ignoredContextKeys']}"
    )
    assert result["result"] == case.expect, f"expected {case.expect}, got {result['result']}: {json.dumps(result)}"
    if case.expect == ALLOWED:
        if case.sid:
            assert result["engine"] == "strict", "the unsafe engine reports no granting statements"
            granted = {grant.get("statementId") for grant in result["grants"]}
            assert case.sid in granted, f"expected {case.sid} to grant, granted by {sorted(map(str, granted))}"
        return
    assert denying_layers(case.item, result) == case.denied_by, f"denied by the wrong layer: {json.dumps(result)}"
    if result["engine"] == "strict":
        kinds = {denial["denialType"] for denial in result["denials"] if denial["policyType"] in case.denied_by}
        assert kinds == {"Explicit" if case.expect == EXPLICIT else "Implicit"}, result["denials"]
        if case.sid:
            sids = {denial.get("statementId") for denial in result["denials"]}
            assert sids == {case.sid}, f"expected only {case.sid} to deny, denied by {sorted(map(str, sids))}"
    else:
        assert case.sid is None, "the unsafe engine reports no denying statements"
