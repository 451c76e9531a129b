"""tools/snapshot.py's normalisation: two runs on two emulators compare equal when only generated IDs differ."""

import snapshot


def state(management, member, guardrail_id, other_id):
    rule = {"pattern": {"detail": {"requestParameters": {"policyId": [guardrail_id, other_id]}}}}
    return {
        "management_account_id": management,
        "organization": {
            "accounts": {management: "management", member: "member"},
            "policies": {
                "acme-deny-cloudtrail-tampering": {"id": guardrail_id, "targets": []},
                "FullAWSAccess": {"id": "p-FullAWSAccess", "targets": []},
            },
        },
        "accounts": {management: {"event_rules": {"acme-organization-tampering": rule}}},
    }


def test_scp_ids_are_named_after_their_policy_and_unknown_ones_are_masked():
    first = snapshot.normalize(state("111111111111", "222222222222", "p-qb390cxs", "p-abcdefgh"))
    second = snapshot.normalize(state("333333333333", "444444444444", "p-dbyhf768", "p-zyxwvuts"))
    assert first == second
    rule = first["accounts"]["<account:management>"]["event_rules"]["acme-organization-tampering"]
    assert rule["pattern"]["detail"]["requestParameters"]["policyId"] == [
        "<policy>",
        "<scp:acme-deny-cloudtrail-tampering>",
    ]
    assert first["organization"]["policies"]["FullAWSAccess"]["id"] == "p-FullAWSAccess"


def test_a_changed_scp_still_differs():
    first = snapshot.normalize(state("111111111111", "222222222222", "p-qb390cxs", "p-abcdefgh"))
    other = state("111111111111", "222222222222", "p-qb390cxs", "p-abcdefgh")
    other["organization"]["policies"]["acme-deny-cloudtrail-tampering"]["targets"] = ["r-ab12"]
    assert snapshot.normalize(other) != first
