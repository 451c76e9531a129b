"""Fixtures for the policy-effect tests. The request builders and checks live in iam_simulation.py."""

import iam_simulation
import pytest


@pytest.fixture(scope="session")
def simulate():
    """simulate(items) -> results: one run of the node driver (tools/iam_simulate) for a whole batch."""
    iam_simulation.require_driver()
    return iam_simulation.simulate
