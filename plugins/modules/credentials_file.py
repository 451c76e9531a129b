#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: credentials_file
version_added: 1.0.0
short_description: assume an IAM role into a shared-credentials file that only the caller can read
description:
  - With O(state=present), assumes the IAM role O(role_arn) (C(AssumeRole)), or takes the O(credentials) of a session
    already assumed, and writes the temporary credentials to a new AWS shared-credentials file, under the profile
    O(profile_name). The file is created with mode 0600 before anything is written to it, under a name nobody can
    guess.
  - With O(state=absent), removes such a file.
  - Point C(AWS_SHARED_CREDENTIALS_FILE) at RV(path) (a play's C(environment)) and set that profile (C(profile)) in the
    C(module_defaults) of C(group/trailguard.cloudtrail.aws), and every later module works in the role's account. The
    credentials are never module arguments of those modules, which Ansible shows at C(-vvv), and never in this
    module's result.
  - One module run does what M(amazon.aws.sts_assume_role), M(ansible.builtin.tempfile) and
    M(ansible.builtin.copy) do in three.
author:
  - Trailguard maintainers (@trailguard)
options:
  state:
    description:
      - V(present) writes a new file; V(absent) removes the file O(path).
    type: str
    choices: ["present", "absent"]
    default: present
  role_arn:
    description:
      - The ARN of the role to assume, with the credentials the module runs with.
      - With O(state=present), exactly one of O(role_arn) and O(credentials) is required.
    type: str
  role_session_name:
    description:
      - The session's name, which shows in the role's assumed-role ARN and in CloudTrail.
    type: str
    default: trailguard
  duration_seconds:
    description:
      - How long the credentials last, in seconds. AWS accepts 900 up to the role's maximum session duration.
    type: int
    default: 3600
  credentials:
    description:
      - The credentials of a session already assumed, such as the C(sts_creds) of an
        M(amazon.aws.sts_assume_role) result, written to the file as they are. Never logged.
    type: dict
    suboptions:
      access_key:
        description: The access key ID.
        type: str
        required: true
      secret_key:
        description: The secret access key.
        type: str
        required: true
      session_token:
        description: The session token.
        type: str
        required: true
      expiration:
        description: When the credentials expire, as M(amazon.aws.sts_assume_role) gives it; returned as RV(expiration).
        type: str
  profile_name:
    description:
      - The profile's name in the file (not O(profile), the profile the module itself runs with).
      - Required when O(state=present).
    type: str
  prefix:
    description:
      - The start of the file's name; a random part and C(.credentials) follow.
    type: str
    default: ansible-
  directory:
    description:
      - The directory to create the file in, on the host the module runs on. By default Python's temporary directory
        (C(TMPDIR), C(TEMP) or C(TMP), else C(/tmp)).
    type: path
  path:
    description:
      - The file to remove. Required when O(state=absent); a file already gone is not an error.
    type: path
notes:
  - Nothing changes in AWS either way. In check mode the module does nothing and reports what it would do; a play that
    needs the credentials to read in check mode runs this task with C(check_mode=false).
  - The file holds live credentials until they expire. Remove it with O(state=absent) when the account's work is over.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Assume the role in the log-archive account, into a file only the caller can read
  trailguard.cloudtrail.credentials_file:
    role_arn: arn:aws:iam::222222222222:role/OrganizationAccountAccessRole
    role_session_name: trailguard
    profile_name: trailguard-session
    prefix: trailguard-222222222222-
  check_mode: false  # read only in AWS; the tasks after it need the credentials in check mode too
  register: session

- name: Work in the log-archive account
  amazon.aws.s3_bucket_info:
    profile: trailguard-session
  environment:
    AWS_SHARED_CREDENTIALS_FILE: "{{ session.path }}"

- name: Remove the file when the account's work is over
  trailguard.cloudtrail.credentials_file:
    state: absent
    path: "{{ session.path }}"
  check_mode: false
"""

RETURN = r"""
path:
  description: The file written (O(state=present)), or the file removed (O(state=absent)); null in check mode with
    O(state=present).
  returned: always
  type: str
  sample: /tmp/trailguard-222222222222-k3j4h5.credentials
profile_name:
  description: The profile that holds the credentials in the file.
  returned: when O(state=present)
  type: str
  sample: trailguard-session
assumed_role_arn:
  description: The session's assumed-role ARN; null when O(credentials) were given or in check mode.
  returned: when O(state=present)
  type: str
  sample: arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/trailguard
expiration:
  description: When the credentials expire (ISO 8601); with O(credentials), their C(expiration) if given; null in check
    mode.
  returned: when O(state=present)
  type: str
  sample: "2026-12-06T20:00:00+00:00"
"""

import os
import re
import tempfile

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import AnsibleSTSError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.sts import assume_role

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
# A profile is an INI section name; these would break the file or name another section.
PROFILE = re.compile(r"^[^\[\]\s]+$")


def credentials_text(profile, credentials):
    """The shared-credentials file's text: one profile with the session's three values."""
    return (
        f"[{profile}]\n"
        f"aws_access_key_id = {credentials['access_key']}\n"
        f"aws_secret_access_key = {credentials['secret_key']}\n"
        f"aws_session_token = {credentials['session_token']}\n"
    )


def session_of(answer):
    """AssumeRole's answer as (credentials in sts_creds' shape, assumed-role ARN, expiration)."""
    creds = answer["Credentials"]
    credentials = {
        "access_key": creds["AccessKeyId"],
        "secret_key": creds["SecretAccessKey"],
        "session_token": creds["SessionToken"],
    }
    return credentials, answer["AssumedRoleUser"]["Arn"], creds["Expiration"].isoformat()


def write_private_file(text, prefix, directory):
    """A new file holding `text`, made with mode 0600 under an unguessable name before any byte is written (mkstemp,
    O_EXCL: never through a link someone else left); removed again if the write fails. Returns its path."""
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=".credentials", dir=directory)
    try:
        stream = os.fdopen(handle, "w", encoding="utf-8")
    except BaseException:
        os.close(handle)
        os.unlink(path)
        raise
    try:
        with stream:
            stream.write(text)
    except BaseException:
        os.unlink(path)
        raise
    return path


def ensure_absent(path, check_mode):
    """Remove the file at `path` if it is there; return changed."""
    if not os.path.lexists(path):
        return False
    if not check_mode:
        try:
            os.unlink(path)
        except FileNotFoundError:  # removed meanwhile
            return False
    return True


def ensure_present(client_of, params, check_mode):
    """Assume the role (or take the credentials given) and write the new file; return the module's result.
    `client_of` makes the STS client, only when a role is to be assumed."""
    result = dict(changed=True, path=None, profile_name=params["profile_name"], assumed_role_arn=None, expiration=None)
    if check_mode:
        return result
    credentials = params["credentials"]
    if credentials is not None:
        result["expiration"] = credentials["expiration"]
    else:
        answer = assume_role(
            client_of("sts"), params["role_arn"], params["role_session_name"], params["duration_seconds"]
        )
        credentials, result["assumed_role_arn"], result["expiration"] = session_of(answer)
    result["path"] = write_private_file(
        credentials_text(params["profile_name"], credentials), params["prefix"], params["directory"]
    )
    return result


def check_params(params):
    """The first wrong parameter's message, or None."""
    if params["state"] == "absent":
        return None
    if params["role_arn"] is not None and not ROLE_ARN.match(params["role_arn"]):
        return (
            f"role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/OrganizationAccountAccessRole;"
            f" got {params['role_arn']!r}"
        )
    if not SESSION_NAME.match(params["role_session_name"]):
        return (
            "role_session_name must be 2 to 64 letters, digits or the characters +=,.@_-;"
            f" got {params['role_session_name']!r}"
        )
    if not PROFILE.match(params["profile_name"]):
        return f"profile_name must be a profile name without spaces or brackets; got {params['profile_name']!r}"
    if "/" in params["prefix"]:
        return (
            f"prefix is the start of a file name and cannot hold a /; set directory instead; got {params['prefix']!r}"
        )
    credentials = params["credentials"] or {}
    for key in ("access_key", "secret_key", "session_token"):
        # A line break would add lines of its own to the file (credential_process, for one).
        if key in credentials and any(char in credentials[key] for char in "\r\n"):
            return f"credentials.{key} must be a single line"
    return None


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        role_arn=dict(type="str"),
        role_session_name=dict(type="str", default="trailguard"),
        duration_seconds=dict(type="int", default=3600),
        credentials=dict(
            type="dict",
            no_log=False,  # its keys hide what is secret; the expiration is not
            options=dict(
                access_key=dict(type="str", required=True, no_log=True),
                secret_key=dict(type="str", required=True, no_log=True),
                session_token=dict(type="str", required=True, no_log=True),
                expiration=dict(type="str"),
            ),
        ),
        profile_name=dict(type="str"),
        prefix=dict(type="str", default="ansible-"),
        directory=dict(type="path"),
        path=dict(type="path"),
    )
    module = TrailguardAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("role_arn", "credentials")],
        required_if=[
            ("state", "present", ("role_arn", "credentials"), True),
            ("state", "present", ("profile_name",)),
            ("state", "absent", ("path",)),
        ],
        supports_check_mode=True,
    )
    params = module.params
    error = check_params(params)
    if error:
        module.fail_json(msg=error)

    try:
        if params["state"] == "absent":
            result = dict(changed=ensure_absent(params["path"], module.check_mode), path=params["path"])
        else:
            result = ensure_present(module.client, params, module.check_mode)
    except AnsibleSTSError as e:
        module.fail_json_aws_error(e)
    except OSError as e:
        where = params["path"] or params["directory"] or tempfile.gettempdir()
        module.fail_json(
            msg=f"Could not {'remove' if params['state'] == 'absent' else 'write'} the credentials file ({where}): {e}"
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
