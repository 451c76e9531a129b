# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks shared by the modules, run before any AWS call.

Each check takes the value and the name of the option it came from, and returns
an error message that names that option and says what is valid, or None.
`first_error()` runs a list of checks and returns the first message, so a
module can do:

    error = first_error(check_account_id(value, "targets[0]"), ...)
    if error:
        module.fail_json(msg=error)
"""

import re

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
ARN_RE = re.compile(r"^arn:(?P<partition>aws[a-zA-Z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[^:]*):(?P<resource>.+)$")
BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
TRAIL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
ORGANIZATION_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
OU_ID_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ROOT_ID_RE = re.compile(r"^r-[0-9a-z]{4,32}$")


def first_error(*errors):
    """The first non-empty message among `errors`, or None."""
    return next((error for error in errors if error), None)


def check_account_id(value, name):
    if value is None or ACCOUNT_ID_RE.match(str(value)):
        return None
    return f"{name} must be a 12-digit AWS account ID, got {value!r}"


def parse_arn(value):
    """The parts of an ARN as a dict, or None if `value` is not an ARN."""
    match = ARN_RE.match(str(value or ""))
    return match.groupdict() if match else None


def check_arn(value, name, service=None, require_account=True):
    """`value` must be an ARN (of `service`, if given) with a 12-digit account."""
    if value is None:
        return None
    parts = parse_arn(value)
    if not parts:
        return f"{name} must be an ARN like arn:aws:{service or '<service>'}:...:<account-id>:..., got {value!r}"
    if service and parts["service"] != service:
        return f"{name} must be an ARN of service {service!r}, got one of {parts['service']!r}: {value!r}"
    if require_account and not ACCOUNT_ID_RE.match(parts["account"]):
        return f"{name} must contain a 12-digit account ID, got {parts['account']!r} in {value!r}"
    return None


def check_bucket_name(value, name):
    """S3 bucket naming rules (general purpose buckets)."""
    if value is None:
        return None
    value = str(value)
    if (
        not BUCKET_NAME_RE.match(value)
        or ".." in value
        or IPV4_RE.match(value)
        or value.startswith("xn--")
        or value.endswith("-s3alias")
    ):
        return (
            f"{name} must be a valid S3 bucket name: 3 to 63 characters of lowercase letters, digits, dots and "
            f"hyphens, starting and ending with a letter or digit, not an IP address; got {value!r}"
        )
    return None


def check_trail_name(value, name):
    """CloudTrail trail names, or a trail ARN."""
    if value is None:
        return None
    value = str(value)
    if value.startswith("arn:"):
        return check_arn(value, name, service="cloudtrail")
    if not TRAIL_NAME_RE.match(value) or re.search(r"[._-]{2}", value) or IPV4_RE.match(value):
        return (
            f"{name} must be a valid trail name: 3 to 128 letters, digits, periods, underscores and hyphens, "
            f"starting and ending with a letter or digit, with no two of '._-' in a row, and not an IP address; "
            f"got {value!r}"
        )
    return None
