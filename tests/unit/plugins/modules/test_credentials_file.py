"""Unit tests for the credentials_file module.

The file helpers run on a temporary directory; main() runs against moto's in-process mock, and the file it writes is
used as AWS tools use it: a boto3 session on the file's profile must be the assumed role.
"""

import configparser
import os
import stat

import boto3
import pytest
from moto import mock_aws

from ansible_collections.trailguard.cloudtrail.plugins.modules import credentials_file as module

ACCOUNT = "123456789012"  # moto's own account, where the fixture makes the role
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"
GIVEN = {"access_key": "ASIAGIVEN", "secret_key": "given-secret", "session_token": "given-token"}


def read_profile(path, profile):
    parser = configparser.ConfigParser()
    parser.read(path)
    return dict(parser[profile])


# ---------------------------------------------------------------- the file


def test_the_file_is_private_from_its_creation_and_holds_one_profile(tmp_path):
    path = module.write_private_file(module.credentials_text("session", GIVEN), "tg-", str(tmp_path))
    name = os.path.basename(path)
    assert os.path.dirname(path) == str(tmp_path) and name.startswith("tg-") and name.endswith(".credentials")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_profile(path, "session") == {
        "aws_access_key_id": "ASIAGIVEN",
        "aws_secret_access_key": "given-secret",
        "aws_session_token": "given-token",
    }


def test_each_file_gets_a_new_name(tmp_path):
    text = module.credentials_text("session", GIVEN)
    assert module.write_private_file(text, "tg-", str(tmp_path)) != module.write_private_file(
        text, "tg-", str(tmp_path)
    )


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken_fdopen(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(module.os, "fdopen", broken_fdopen)
    with pytest.raises(OSError, match="disk full"):
        module.write_private_file("secret", "tg-", str(tmp_path))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("check_mode", [False, True])
def test_absent_removes_the_file_unless_in_check_mode(tmp_path, check_mode):
    path = tmp_path / "old.credentials"
    path.write_text("x")
    assert module.ensure_absent(str(path), check_mode)
    assert path.exists() == check_mode
    assert not module.ensure_absent(str(tmp_path / "gone.credentials"), check_mode)


# ---------------------------------------------------------------- main() against moto


@pytest.fixture
def aws():
    with mock_aws():
        boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="OrganizationAccountAccessRole", AssumeRolePolicyDocument="{}"
        )
        yield


def test_assumes_the_role_into_a_file_that_works(aws, run_module, tmp_path):
    args = {"role_arn": ROLE_ARN, "role_session_name": "trailguard", "profile_name": "session"}
    result = run_module(module.main, dict(args, prefix="tg-", directory=str(tmp_path)))
    assert not result.get("failed"), result
    assert result["changed"] and result["profile_name"] == "session"
    assert result["assumed_role_arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/OrganizationAccountAccessRole/trailguard"
    assert result["expiration"]
    values = read_profile(result["path"], "session")
    # The result names the file, never what is in it.
    assert not [value for value in values.values() if value in str(result)]
    session = boto3.session.Session(
        aws_access_key_id=values["aws_access_key_id"],
        aws_secret_access_key=values["aws_secret_access_key"],
        aws_session_token=values["aws_session_token"],
        region_name="us-east-1",
    )
    # moto maps an unknown key to its default account; only the assumed session's key gives the assumed-role ARN.
    assert session.client("sts").get_caller_identity()["Arn"] == result["assumed_role_arn"]


def test_given_credentials_are_written_as_they_are(aws, run_module, tmp_path):
    given = dict(GIVEN, expiration="2026-12-06T20:00:00+00:00")
    result = run_module(module.main, {"credentials": given, "profile_name": "session", "directory": str(tmp_path)})
    assert result["changed"] and result["assumed_role_arn"] is None
    assert result["expiration"] == "2026-12-06T20:00:00+00:00"
    assert read_profile(result["path"], "session")["aws_secret_access_key"] == "given-secret"
    assert "given-secret" not in str(result) and "given-token" not in str(result)


def test_check_mode_writes_nothing_and_assumes_nothing(aws, run_module, tmp_path, monkeypatch):
    def assume(*args):
        raise AssertionError("AssumeRole in check mode")

    monkeypatch.setattr(module, "assume_role", assume)
    result = run_module(
        module.main, {"role_arn": ROLE_ARN, "profile_name": "session", "directory": str(tmp_path)}, check_mode=True
    )
    assert result["changed"] and result["path"] is None
    assert not list(tmp_path.iterdir())


def test_a_file_removed_meanwhile_is_not_a_change(tmp_path, monkeypatch):
    path = tmp_path / "old.credentials"
    path.write_text("x")

    def gone(_path):
        raise FileNotFoundError(_path)

    monkeypatch.setattr(module.os, "unlink", gone)
    assert not module.ensure_absent(str(path), False)


def test_absent_through_main(aws, run_module, tmp_path):
    path = module.write_private_file("x", "tg-", str(tmp_path))
    assert run_module(module.main, {"state": "absent", "path": path})["changed"]
    assert not os.path.exists(path)
    assert not run_module(module.main, {"state": "absent", "path": path})["changed"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"profile_name": "session"}, "any of the following are missing: role_arn, credentials"),
        ({"role_arn": ROLE_ARN}, "missing: profile_name"),
        ({"role_arn": ROLE_ARN, "credentials": GIVEN, "profile_name": "s"}, "mutually exclusive: role_arn|credentials"),
        ({"role_arn": "arn:aws:iam::1234:role/x", "profile_name": "s"}, "role_arn must be an IAM role ARN"),
        ({"role_arn": ROLE_ARN, "role_session_name": "a b", "profile_name": "s"}, "role_session_name must be 2 to 64"),
        ({"role_arn": ROLE_ARN, "profile_name": "[x]"}, "profile_name must be a profile name"),
        ({"role_arn": ROLE_ARN, "profile_name": "s", "prefix": "../x"}, "prefix is the start of a file name"),
        ({"state": "absent"}, "state is absent but all of the following are missing: path"),
        (
            {"credentials": dict(GIVEN, session_token="t\ncredential_process = x"), "profile_name": "s"},
            "credentials.session_token must be a single line",
        ),
    ],
)
def test_invalid_options_fail_before_anything_is_written(aws, run_module, tmp_path, args, message):
    result = run_module(module.main, dict(args, directory=str(tmp_path)))
    assert result["failed"] and message in result["msg"], result
    assert not list(tmp_path.iterdir())


def test_a_role_that_cannot_be_assumed_fails_and_writes_nothing(aws, run_module, tmp_path, monkeypatch):
    def refuse(client, role_arn, session_name, duration_seconds):
        raise module.AnsibleSTSError(message="Failed to assume role")

    monkeypatch.setattr(module, "assume_role", refuse)
    result = run_module(module.main, {"role_arn": ROLE_ARN, "profile_name": "s", "directory": str(tmp_path)})
    assert result["failed"] and "Failed to assume role" in result["msg"]
    assert not list(tmp_path.iterdir())
