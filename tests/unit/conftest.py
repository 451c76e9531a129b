"""Shared fixtures for the unit tests.

The tests import the collection as ansible_collections.trailguard.cloudtrail;
the Makefile puts .build/collections (where the repo is linked under that name)
on PYTHONPATH, and pyproject.toml puts tools/ on pytest's pythonpath. amazon.aws
comes from the ansible bundle in the venv.
"""

import json

import pytest
from botocore.exceptions import ClientError
from moto_server import patch_moto

# The same moto fixes the emulator server runs with, for the in-process mock.
patch_moto()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    """Dummy credentials and a fixed region; never a real profile or endpoint."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def client_error():
    """client_error(code, operation="Operation"): the botocore ClientError AWS answers with `code`."""

    def make(code, operation="Operation"):
        return ClientError({"Error": {"Code": code, "Message": f"{code} happened"}}, operation)

    return make


@pytest.fixture
def no_sleep(monkeypatch):
    """Retries without the back-off delay; the delays asked for, in order."""
    sleeps = []
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", sleeps.append)
    return sleeps


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with arguments; return its JSON result.

    Usage: result = run_module(org_trail.main, {"name": "x", ...}, check_mode=True)
    """
    from ansible.module_utils.testing import patch_module_args

    def _run(main, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                main()
        return json.loads(capsys.readouterr().out)

    return _run
