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
TRAIL_RESOURCE_RE = re.compile(r"^trail/[A-Za-z0-9._-]{3,128}$")
ORGANIZATION_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
OU_ID_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ROOT_ID_RE = re.compile(r"^r-[0-9a-z]{4,32}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
PARTITION_RE = re.compile(r"^aws(-[a-z]+)*$")
KMS_ALIAS_RE = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
# IAM role and user names (IAM API Reference, CreateRole and CreateUser: RoleName, UserName).
IAM_NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
# An AWS managed policy name (service-role/AWS_ConfigRole) or a managed policy ARN.
MANAGED_POLICY_RE = re.compile(r"^(arn:aws[a-z-]*:iam::(aws|\d{12}):policy/\S+|[A-Za-z0-9+=,.@_/-]{1,128})$")
LOG_GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9._/#-]{1,512}$")
# A principal that IAM compares with aws:PrincipalArn: an account root, a role or a user, never an STS session.
IAM_PRINCIPAL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/\S+|user/\S+)$")
SCP_TARGET_HELP = "'root', a root ID (r-...), an OU ID (ou-...), an OU path such as /Workloads or a 12-digit account ID"


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


def check_organization_id(value, name):
    if value is None or ORGANIZATION_ID_RE.match(str(value)):
        return None
    return f"{name} must be an organization ID like o-exampleorgid, got {value!r}"


def check_region(value, name):
    if value is None or REGION_RE.match(str(value)):
        return None
    return f"{name} must be an AWS region name such as us-east-1, got {value!r}"


def check_partition(value, name):
    if value is None or PARTITION_RE.match(str(value)):
        return None
    return f"{name} must be an AWS partition such as aws, aws-cn or aws-us-gov, got {value!r}"


def check_kms_key_arn(value, name):
    """The full ARN of a KMS key (not an alias): arn:aws:kms:<region>:<account-id>:key/<key-id>."""
    if value is None:
        return None
    parts = parse_arn(value)
    if (
        not parts
        or parts["service"] != "kms"
        or not REGION_RE.match(parts["region"])
        or not ACCOUNT_ID_RE.match(parts["account"])
        or not re.match(r"^key/[A-Za-z0-9-]+$", parts["resource"])
    ):
        return (
            f"{name} must be the full ARN of a KMS key, arn:aws:kms:<region>:<account-id>:key/<key-id>, "
            f"got {value!r}"
        )
    return None


def check_kms_alias(value, name):
    """A customer alias: 'alias/' and letters, digits, '/', '_', '-'; 'alias/aws/' is reserved for AWS managed keys."""
    if value is None or (KMS_ALIAS_RE.match(str(value)) and not str(value).startswith("alias/aws/")):
        return None
    return (
        f"{name} must be 'alias/' followed by 1 to 250 letters, digits, '/', '_' and '-', not 'alias/aws/...', "
        f"got {value!r}"
    )


def check_iam_name(value, name):
    if value is None or IAM_NAME_RE.match(str(value)):
        return None
    return f"{name} must be an IAM role or user name of 1 to 64 letters, digits and '+=,.@_-', got {value!r}"


def check_iam_principal_arn(value, name):
    if value is None or IAM_PRINCIPAL_ARN_RE.match(str(value)):
        return None
    return f"{name} must be arn:aws:iam::<account-id>:role/<name>, :user/<name> or :root, got {value!r}"


def check_managed_policy(value, name):
    if value is None or MANAGED_POLICY_RE.match(str(value)):
        return None
    return (
        f"{name} must be an AWS managed policy name such as service-role/AWS_ConfigRole or a managed policy ARN, "
        f"got {value!r}"
    )


def check_log_group_name(value, name):
    if value is None or LOG_GROUP_NAME_RE.match(str(value)):
        return None
    return f"{name} must be a CloudWatch Logs group name of 1 to 512 letters, digits and '._/#-', got {value!r}"


def classify_scp_target(target):
    """What an SCP target names: 'root', 'ou', 'path', 'account', or None when it is none of them."""
    target = str(target)
    if target == "root" or ROOT_ID_RE.match(target):
        return "root"
    if OU_ID_RE.match(target):
        return "ou"
    if target.startswith("/"):
        return "path"
    if ACCOUNT_ID_RE.match(target):
        return "account"
    return None


def check_scp_target(value, name):
    if value is None or classify_scp_target(value):
        return None
    return f"{name} must be {SCP_TARGET_HELP}, got {value!r}"


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


def check_trail_arn(value, name):
    """A trail's ARN: arn:aws:cloudtrail:<region>:<account-id>:trail/<name>, the name of a trail's characters (its
    full naming rules are check_trail_name's, whose message names the trail's own option)."""
    if value is None:
        return None
    parts = parse_arn(value)
    if (
        not parts
        or parts["service"] != "cloudtrail"
        or not REGION_RE.match(parts["region"])
        or not ACCOUNT_ID_RE.match(parts["account"])
        or not TRAIL_RESOURCE_RE.match(parts["resource"])
    ):
        return f"{name} must be a trail ARN, arn:aws:cloudtrail:<region>:<account-id>:trail/<name>, got {value!r}"
    return None


def check_trail_name(value, name, allow_arn=True):
    """CloudTrail trail names, or (with `allow_arn`) a trail ARN."""
    if value is None:
        return None
    value = str(value)
    if allow_arn and value.startswith("arn:"):
        return check_arn(value, name, service="cloudtrail")
    if not TRAIL_NAME_RE.match(value) or re.search(r"[._-]{2}", value) or IPV4_RE.match(value):
        return (
            f"{name} must be a valid trail name: 3 to 128 letters, digits, periods, underscores and hyphens, "
            f"starting and ending with a letter or digit, with no two of '._-' in a row, and not an IP address; "
            f"got {value!r}"
        )
    return None
