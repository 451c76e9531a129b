"""What the access-log bucket's policy (policies.access_log_bucket_policy) lets through, and what it stops.

S3 server access logging delivers as the service principal logging.s3.amazonaws.com, with aws:SourceArn set to the
source bucket and aws:SourceAccount to its owner (S3 User Guide, "Enabling Amazon S3 server access logging").
"""

import pytest
from iam_simulation import ALLOWED
from iam_simulation import BUCKET
from iam_simulation import EXPLICIT
from iam_simulation import FOREIGN
from iam_simulation import IMPLICIT
from iam_simulation import LOG_ARCHIVE
from iam_simulation import MEMBER_A
from iam_simulation import Case
from iam_simulation import aws_service
from iam_simulation import check
from iam_simulation import params
from iam_simulation import request
from iam_simulation import role
from iam_simulation import run_cases

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies

ACCESS_LOG_BUCKET = f"{BUCKET}-access-logs"
ACCESS_LOG_ARN = f"arn:aws:s3:::{ACCESS_LOG_BUCKET}"
LOG_BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
OTHER_BUCKET_ARN = "arn:aws:s3:::someone-elses-bucket"
ACCESS_LOG = f"{ACCESS_LOG_ARN}/{BUCKET}/2026-11-22-10-00-00-0123456789ABCDEF"

POLICY = policies.access_log_bucket_policy(ACCESS_LOG_BUCKET, BUCKET, LOG_ARCHIVE)
WITHOUT_TLS_STATEMENT = policies.access_log_bucket_policy(
    ACCESS_LOG_BUCKET, BUCKET, LOG_ARCHIVE, deny_insecure_transport=False
)


def s3_logging(source_arn=LOG_BUCKET_ARN, source_account=LOG_ARCHIVE):
    """S3 server access logging delivering the logs of `source_arn`, a bucket of `source_account`."""
    principal = aws_service(policies.S3_LOGGING_SERVICE_PRINCIPAL, source_arn)
    principal.context["aws:SourceAccount"] = source_account
    return principal


def to_bucket(principal, action, resource, policy=None, **kwargs):
    return request(principal, action, resource, LOG_ARCHIVE, resource_policy=policy or POLICY, **kwargs)


CASES = [
    Case(
        "s3 logging delivers the log bucket's access logs",
        to_bucket(s3_logging(), "s3:PutObject", ACCESS_LOG),
        ALLOWED,
        sid="TrailguardS3ServerAccessLogs",
    ),
    Case(
        "s3 logging delivers another bucket's logs (confused deputy)",
        to_bucket(s3_logging(OTHER_BUCKET_ARN), "s3:PutObject", ACCESS_LOG),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "s3 logging delivers on behalf of another account (confused deputy)",
        to_bucket(s3_logging(source_account=FOREIGN), "s3:PutObject", ACCESS_LOG),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "s3 logging writes outside the log bucket's prefix",
        to_bucket(s3_logging(), "s3:PutObject", f"{ACCESS_LOG_ARN}/elsewhere/2026-11-22-10-00-00-0123456789ABCDEF"),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "s3 logging may not delete",
        to_bucket(s3_logging(), "s3:DeleteObject", ACCESS_LOG),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "s3 logging delivers without TLS",
        to_bucket(s3_logging(), "s3:PutObject", ACCESS_LOG, tls=False),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyInsecureTransport",
    ),
    Case(
        "s3 logging delivers without TLS, the TLS statement turned off",
        to_bucket(s3_logging(), "s3:PutObject", ACCESS_LOG, policy=WITHOUT_TLS_STATEMENT, tls=False),
        ALLOWED,
        sid="TrailguardS3ServerAccessLogs",
    ),
    Case(
        "a member account's administrator reads the access logs",
        request(role(MEMBER_A), "s3:GetObject", ACCESS_LOG, LOG_ARCHIVE, resource_policy=POLICY),
        IMPLICIT,
        denied_by={"resource"},
    ),
    Case(
        "the log-archive administrator reads the access logs without TLS",
        to_bucket(role(LOG_ARCHIVE), "s3:GetObject", ACCESS_LOG, tls=False),
        EXPLICIT,
        denied_by={"resource"},
        sid="TrailguardDenyInsecureTransport",
    ),
    Case(
        "the log-archive administrator reads the access logs",
        to_bucket(role(LOG_ARCHIVE), "s3:GetObject", ACCESS_LOG),
        ALLOWED,
    ),
]


@pytest.fixture(scope="module")
def verdicts(simulate):
    return run_cases(simulate, CASES)


@pytest.mark.parametrize("case", params(CASES))
def test_access_log_bucket_policy_effect(case, verdicts):
    check(case, verdicts[case.id])


def test_prefix_defaults_to_the_log_bucket_name():
    [allow, _tls] = POLICY["Statement"]
    assert allow["Resource"] == f"{ACCESS_LOG_ARN}/{BUCKET}/*"
    assert [s["Sid"] for s in WITHOUT_TLS_STATEMENT["Statement"]] == ["TrailguardS3ServerAccessLogs"]
