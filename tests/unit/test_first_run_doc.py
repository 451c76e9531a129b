"""docs/first-run-on-real-aws.md stays true: its links resolve, and every AWS error Trailguard waits out has a
section there and an explanation in the module_utils that retry it.

The errors are the fault proxy's catalogue of AWS's propagation answers (tools/fault_proxy.py AWS_ERRORS), the
ones the harness (tests/harness/test_propagation.py) injects.
"""

import re
from pathlib import Path

import pytest

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.cloudtrail import trail_refusal
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.config import recorder_refusal
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.organizations import trusted_access_refusal

REPO = Path(__file__).resolve().parents[2]

from fault_proxy import AWS_ERRORS
from test_docs import anchors
from test_docs import broken_links

PAGE = REPO / "docs" / "first-run-on-real-aws.md"
# Errors of calls that amazon.aws / community.aws modules make: the roles wait for them (or the module does).
WAITED_BY_THE_ROLES = {"InsufficientDeliveryPolicyException", "InvalidArgument"}


def test_every_link_of_the_page_resolves():
    assert broken_links(PAGE.read_text(), PAGE.parent) == []


@pytest.mark.parametrize("code", sorted(AWS_ERRORS))
def test_every_propagation_error_has_a_section(code):
    headings = [line for line in PAGE.read_text().splitlines() if line.startswith("### ")]
    assert any(re.match(rf"### {code}\b", heading) for heading in headings), headings


@pytest.mark.parametrize("code", sorted(set(AWS_ERRORS) - WAITED_BY_THE_ROLES))
def test_every_propagation_error_of_our_calls_is_explained(code):
    explanations = [explain(code, {}) for explain in (trail_refusal, recorder_refusal, trusted_access_refusal)]
    assert any(explanations)


def test_the_table_links_to_sections_that_exist():
    page = PAGE.read_text()
    targets = re.findall(r"\]\(#([^)]+)\)", page)
    assert targets and set(targets) <= anchors(page)
