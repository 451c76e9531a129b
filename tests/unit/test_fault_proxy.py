"""tools/fault_proxy.py: what it calls each request, the errors it answers with, and the forwarder itself.

The requests are the ones botocore itself builds for the services the playbook
uses (captured before they are sent), and the injected errors are fed back to
botocore, which must parse them into the error code AWS would send and retry
them exactly when it retries AWS's own (3 attempts in botocore's standard mode).
"""

import http.client
import http.server
import json
import threading
import time

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError


import fault_proxy

ENDPOINT = "http://127.0.0.1:9"  # never contacted: the requests are captured before they are sent


class Captured(Exception):
    """Raised from botocore's before-send event to stop a request once it is captured."""


def _client(service, endpoint=ENDPOINT, attempts=1):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def _classify(request):
    path = request.url.split("127.0.0.1:9", 1)[1] or "/"
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    return fault_proxy.classify(request.method, path, headers, body if isinstance(body, bytes) else body.encode())


def _request(service, operation, params):
    """classify() of the request botocore builds for service.operation(**params)."""
    client = _client(service)
    seen = []

    def capture(request, **_kwargs):
        seen.append(request)
        raise Captured

    client.meta.events.register("before-send", capture)
    with pytest.raises(Captured):
        getattr(client, operation)(**params)
    return _classify(seen[0])


BUCKET = {"Bucket": "acme-cloudtrail"}
ALARM = {"AlarmName": "a", "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold"}
CLASSIFIED = [
    # JSON protocol (X-Amz-Target)
    ("organizations", "describe_organization", {}, "DescribeOrganization", False, "json"),
    ("organizations", "attach_policy", {"PolicyId": "p-12345678", "TargetId": "r-abcd"}, "AttachPolicy", True, "json"),
    ("cloudtrail", "create_trail", {"Name": "t", "S3BucketName": "b"}, "CreateTrail", True, "json"),
    ("cloudtrail", "start_logging", {"Name": "t"}, "StartLogging", True, "json"),
    ("cloudtrail", "get_trail_status", {"Name": "t"}, "GetTrailStatus", False, "json"),
    ("cloudtrail", "lookup_events", {}, "LookupEvents", False, "json"),
    ("kms", "create_key", {}, "CreateKey", True, "json"),
    ("kms", "list_aliases", {}, "ListAliases", False, "json"),
    (
        "logs",
        "put_metric_filter",
        {
            "logGroupName": "g",
            "filterName": "f",
            "filterPattern": "x",
            "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}],
        },
        "PutMetricFilter",
        True,
        "json",
    ),
    ("events", "put_rule", {"Name": "r"}, "PutRule", True, "json"),
    ("config", "describe_configuration_recorders", {}, "DescribeConfigurationRecorders", False, "json"),
    ("sqs", "create_queue", {"QueueName": "q"}, "CreateQueue", True, "json"),
    (
        "sqs",
        "get_queue_attributes",
        {"QueueUrl": "http://127.0.0.1:9/123456789012/q"},
        "GetQueueAttributes",
        False,
        "json",
    ),
    # query protocol (Action= in the body)
    ("iam", "create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}, "CreateRole", True, "query"),
    ("iam", "get_role", {"RoleName": "r"}, "GetRole", False, "query"),
    (
        "sts",
        "assume_role",
        {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "session"},
        "AssumeRole",
        False,
        "query",
    ),
    ("sts", "get_caller_identity", {}, "GetCallerIdentity", False, "query"),
    ("sns", "create_topic", {"Name": "t"}, "CreateTopic", True, "query"),
    ("sns", "list_topics", {}, "ListTopics", False, "query"),
    ("ec2", "describe_regions", {}, "DescribeRegions", False, "ec2"),
    # CloudWatch: botocore 1.44 picks JSON (awsQueryCompatible) of the protocols the model lists
    ("cloudwatch", "put_metric_alarm", ALARM, "PutMetricAlarm", True, "json"),
    ("cloudwatch", "describe_alarms", {}, "DescribeAlarms", False, "json"),
    # S3 rest-xml: method + sub-resource
    ("s3", "list_buckets", {}, "ListBuckets", False, "s3"),
    ("s3", "create_bucket", BUCKET, "CreateBucket", True, "s3"),
    ("s3", "head_bucket", BUCKET, "HeadBucket", False, "s3"),
    ("s3", "put_bucket_policy", dict(BUCKET, Policy="{}"), "PutBucketPolicy", True, "s3"),
    ("s3", "get_bucket_policy", BUCKET, "GetBucketPolicy", False, "s3"),
    ("s3", "get_bucket_lifecycle_configuration", BUCKET, "GetBucketLifecycleConfiguration", False, "s3"),
    (
        "s3",
        "put_bucket_lifecycle_configuration",
        dict(BUCKET, LifecycleConfiguration={"Rules": []}),
        "PutBucketLifecycleConfiguration",
        True,
        "s3",
    ),
    ("s3", "delete_bucket_lifecycle", BUCKET, "DeleteBucketLifecycle", True, "s3"),
    ("s3", "get_bucket_notification_configuration", BUCKET, "GetBucketNotificationConfiguration", False, "s3"),
    (
        "s3",
        "put_public_access_block",
        dict(BUCKET, PublicAccessBlockConfiguration={}),
        "PutPublicAccessBlock",
        True,
        "s3",
    ),
    ("s3", "get_object_lock_configuration", BUCKET, "GetObjectLockConfiguration", False, "s3"),
    ("s3", "list_objects_v2", BUCKET, "ListObjectsV2", False, "s3"),
    ("s3", "delete_objects", dict(BUCKET, Delete={"Objects": [{"Key": "k"}]}), "DeleteObjects", True, "s3"),
    ("s3", "put_object", dict(BUCKET, Key="a/b.json", Body=b"{}"), "PutObject", True, "s3"),
    ("s3", "get_object", dict(BUCKET, Key="a/b.json"), "GetObject", False, "s3"),
    ("s3", "delete_bucket", BUCKET, "DeleteBucket", True, "s3"),
    ("athena", "batch_get_named_query", {"NamedQueryIds": ["q-1"]}, "BatchGetNamedQuery", False, "json"),
    (
        "athena",
        "create_named_query",
        {"Name": "q", "Database": "d", "QueryString": "SELECT 1"},
        "CreateNamedQuery",
        True,
        "json",
    ),
]
SIGNING_NAMES = {"cloudwatch": "monitoring"}


@pytest.mark.parametrize(
    "service, operation, params, action, write, protocol", CLASSIFIED, ids=lambda v: v if isinstance(v, str) else None
)
def test_classifies_each_request_botocore_sends(service, operation, params, action, write, protocol):
    assert _request(service, operation, params) == {
        "service": SIGNING_NAMES.get(service, service),
        "action": action,
        "write": write,
        "protocol": protocol,
    }


def test_an_unsigned_request_is_neither_an_aws_read_nor_faulted():
    request = fault_proxy.classify("POST", "/moto-api/reset", {}, b"")
    assert request["service"] == "unsigned"
    assert not fault_proxy.FaultProxy("http://127.0.0.1:1", fault_rate=1.0)._decide(
        request
    )  # pylint: disable=protected-access


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_kwargs):
        yield self._body


def _answer_with(service, operation, params, kind, attempts=3):
    """(error code botocore parsed, number of attempts it made) when every attempt gets the `kind` answer."""
    client = _client(service, attempts=attempts)
    calls = []

    def answer(request, **_kwargs):
        classified = _classify(request)
        calls.append(classified["action"])
        status, response_headers, response_body = fault_proxy.error_response(kind, classified)
        return AWSResponse(
            request.url, status, response_headers, _Raw(b"" if request.method == "HEAD" else response_body)
        )

    client.meta.events.register("before-send", answer)
    with pytest.raises(ClientError) as error:
        getattr(client, operation)(**params)
    return error.value.response["Error"], len(calls)


ERRORS = [
    # service, operation, params, kind, code botocore reports, retried?
    ("kms", "create_key", {}, "throttle", "ThrottlingException", True),
    ("cloudtrail", "start_logging", {"Name": "t"}, "throttle", "ThrottlingException", True),
    ("organizations", "list_roots", {}, "throttle", "TooManyRequestsException", True),
    ("sqs", "create_queue", {"QueueName": "q"}, "throttle", "RequestThrottled", True),
    ("iam", "get_role", {"RoleName": "r"}, "throttle", "Throttling", True),
    (
        "sts",
        "assume_role",
        {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "session"},
        "throttle",
        "Throttling",
        True,
    ),
    ("ec2", "describe_regions", {}, "throttle", "RequestLimitExceeded", True),
    ("cloudwatch", "describe_alarms", {}, "throttle", "Throttling", True),
    ("s3", "put_bucket_policy", dict(BUCKET, Policy="{}"), "throttle", "SlowDown", True),
    ("s3", "head_bucket", BUCKET, "throttle", "503", True),  # HEAD answers carry no body
    ("logs", "describe_log_groups", {}, "500", "InternalFailure", True),
    ("sns", "list_topics", {}, "500", "InternalFailure", True),
    ("s3", "get_bucket_policy", BUCKET, "500", "InternalError", True),
    ("events", "put_rule", {"Name": "r"}, "503", "ServiceUnavailable", True),
    ("cloudwatch", "put_metric_alarm", ALARM, "503", "ServiceUnavailable", True),
    ("iam", "create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}, "503", "ServiceUnavailable", True),
    ("kms", "create_key", {}, "permanent", "AccessDeniedException", False),
    ("iam", "create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}, "permanent", "AccessDenied", False),
    ("s3", "put_bucket_policy", dict(BUCKET, Policy="{}"), "permanent", "AccessDenied", False),
    ("cloudwatch", "put_metric_alarm", ALARM, "permanent", "AccessDeniedException", False),
]


@pytest.mark.parametrize(
    "service, operation, params, kind, code, retried", ERRORS, ids=lambda v: v if isinstance(v, str) else None
)
def test_botocore_reads_each_injected_error_as_aws_s_own(monkeypatch, service, operation, params, kind, code, retried):
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    error, attempts = _answer_with(service, operation, params, kind)
    assert error["Code"] == code
    # Bounded: botocore's standard mode tries a retryable error 3 times in all, a permanent one once.
    assert attempts == (3 if retried else 1)


TRAIL = {"Name": "org-trail", "S3BucketName": "acme-cloudtrail"}
NOTIFICATION = dict(
    BUCKET,
    NotificationConfiguration={
        "QueueConfigurations": [
            {"QueueArn": "arn:aws:sqs:us-east-1:210987654321:siem", "Events": ["s3:ObjectCreated:*"]}
        ]
    },
)
# AWS's answers while a change propagates, each to the call that gets it (CloudTrail and AWS Config: JSON 1.1;
# S3: REST-XML). botocore retries none of them.
AWS_ANSWERS = [
    ("cloudtrail", "create_trail", TRAIL, "InsufficientEncryptionPolicyException"),
    ("cloudtrail", "create_trail", TRAIL, "InsufficientS3BucketPolicyException"),
    ("cloudtrail", "create_trail", TRAIL, "InvalidCloudWatchLogsRoleArnException"),
    ("cloudtrail", "update_trail", {"Name": "org-trail"}, "InvalidCloudWatchLogsLogGroupArnException"),
    ("cloudtrail", "create_trail", TRAIL, "CloudTrailAccessNotEnabledException"),
    (
        "cloudtrail",
        "put_insight_selectors",
        {"TrailName": "org-trail", "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]},
        "InsufficientS3BucketPolicyException",
    ),
    (
        "cloudtrail",
        "register_organization_delegated_admin",
        {"MemberAccountId": "210987654321"},
        "CloudTrailAccessNotEnabledException",
    ),
    (
        "config",
        "put_delivery_channel",
        {"DeliveryChannel": {"name": "default", "s3BucketName": "acme-cloudtrail"}},
        "InsufficientDeliveryPolicyException",
    ),
    (
        "config",
        "put_configuration_recorder",
        {"ConfigurationRecorder": {"name": "default", "roleARN": "arn:aws:iam::123456789012:role/r"}},
        "InvalidRoleException",
    ),
    ("s3", "put_bucket_notification_configuration", NOTIFICATION, "InvalidArgument"),
]


@pytest.mark.parametrize(
    "service, operation, params, code", AWS_ANSWERS, ids=lambda v: v if isinstance(v, str) else None
)
def test_botocore_reads_aws_s_own_propagation_errors(monkeypatch, service, operation, params, code):
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    client = _client(service, attempts=3)
    statuses = []

    def answer(request, **_kwargs):
        status, headers, body = fault_proxy.aws_error_response(code, _classify(request))
        statuses.append(status)
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register("before-send", answer)
    with pytest.raises(ClientError) as error:
        getattr(client, operation)(**params)
    assert error.value.response["Error"] == {"Code": code, "Message": fault_proxy.AWS_ERRORS[code][1]}
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Not a throttling or server error: the SDK hands it to the caller at once, which must do the waiting.
    assert statuses == [400]


def test_the_s3_answer_is_s3_s_own_xml_error():
    request = fault_proxy.classify(
        "PUT",
        "/acme-cloudtrail?notification",
        {"authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/s3/aws4_request, SignedHeaders=host"},
    )
    status, headers, body = fault_proxy.aws_error_response("InvalidArgument", request)
    assert status == 400 and headers["Content-Type"] == "text/xml"
    assert body.decode().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code>')
    assert b"<Message>Unable to validate the following destination configurations</Message>" in body


def test_smithy_rpc_v2_cbor_requests_and_errors():
    """The CBOR protocol, which other SDKs (and later botocores) use for CloudWatch: path-named actions, CBOR errors."""
    from botocore.parsers import create_parser  # pylint: disable=import-outside-toplevel

    path = "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm"
    headers = {
        "authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/aws4_request, SignedHeaders=host",
        "content-type": "application/cbor",
        "smithy-protocol": "rpc-v2-cbor",
    }
    request = fault_proxy.classify("POST", path, headers, b"\xa0")
    assert request == {"service": "monitoring", "action": "PutMetricAlarm", "write": True, "protocol": "cbor"}
    assert fault_proxy.classify("POST", path.replace("PutMetricAlarm", "DescribeAlarms"), headers)["write"] is False

    parser = create_parser("smithy-rpc-v2-cbor")
    for kind, code, status in (("throttle", "Throttling", 400), ("503", "ServiceUnavailable", 503)):
        answer_status, answer_headers, body = fault_proxy.error_response(kind, request, message="m" * 300)
        assert answer_status == status and answer_headers["smithy-protocol"] == "rpc-v2-cbor"
        parsed = parser.parse({"status_code": status, "headers": answer_headers, "body": body}, None)
        assert parsed["Error"]["Code"] == code and parsed["Error"]["Message"] == "m" * 300


# ---------------------------------------------------------------- the forwarder, in front of a stub emulator


class _Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _StubHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(self.headers.get("X-Amz-Target"))
        body = json.dumps({"Aliases": [], "KeyMetadata": {"KeyId": "k"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(name="upstream")
def fixture_upstream():
    server = _Upstream(("127.0.0.1", 0), _StubHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_forwards_counts_and_logs(upstream, tmp_path):
    log = tmp_path / "requests.jsonl"
    seen_by_hook = []
    with fault_proxy.FaultProxy(_url(upstream), latency=0.05, log_path=log, hook=seen_by_hook.append) as proxy:
        kms = _client("kms", endpoint=proxy.url)
        started = time.monotonic()
        kms.list_aliases()
        kms.create_key()
        assert time.monotonic() - started >= 0.1  # the latency, on each request
        expected = [
            {"service": "kms", "action": "ListAliases", "write": False, "status": 200, "injected": None},
            {"service": "kms", "action": "CreateKey", "write": True, "status": 200, "injected": None},
        ]
        assert proxy.requests == expected
        assert proxy.counts() == {
            "reads": 1,
            "writes": 1,
            "injected": 0,
            "by_action": {"kms:CreateKey": 1, "kms:ListAliases": 1},
        }
        hooked = [{k: v for k, v in record.items() if k not in ("response", "access_key")} for record in seen_by_hook]
        assert hooked == expected
        assert [record["access_key"] for record in seen_by_hook] == ["testing", "testing"]  # who signed each
        assert json.loads(seen_by_hook[0]["response"]) == {"Aliases": [], "KeyMetadata": {"KeyId": "k"}}
        proxy.reset_counts()
        assert proxy.counts() == {"reads": 0, "writes": 0, "injected": 0, "by_action": {}}
    assert upstream.seen == ["TrentService.ListAliases", "TrentService.CreateKey"]
    assert [json.loads(line) for line in log.read_text().splitlines()] == expected


def test_a_reset_never_reaches_the_emulator_and_the_sdk_gives_up_after_its_attempts(upstream, monkeypatch):
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    with fault_proxy.FaultProxy(_url(upstream), fault_rate=1.0, kinds=("reset",)) as proxy:
        with pytest.raises(ConnectionClosedError):
            _client("kms", endpoint=proxy.url, attempts=3).create_key()
        assert proxy.counts() == {"reads": 0, "writes": 3, "injected": 3, "by_action": {"kms:CreateKey": 3}}
        assert {record["injected"] for record in proxy.requests} == {"reset"}
    assert not upstream.seen


def test_permanent_denies_only_the_named_action_with_a_message_naming_it(upstream):
    with fault_proxy.FaultProxy(_url(upstream), permanent="kms:CreateKey") as proxy:
        kms = _client("kms", endpoint=proxy.url, attempts=3)
        kms.list_aliases()
        with pytest.raises(ClientError) as error:
            kms.create_key()
        assert error.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "kms:CreateKey" in str(error.value)
        assert proxy.counts()["by_action"] == {"kms:CreateKey": 1, "kms:ListAliases": 1}
        assert proxy.requests[-1]["injected"] == "permanent"
    assert upstream.seen == ["TrentService.ListAliases"]


def test_permanent_kind_fails_the_action_with_a_retryable_fault_every_time(upstream, monkeypatch):
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _seconds: None)
    with fault_proxy.FaultProxy(_url(upstream), permanent="kms:Create*", permanent_kind="throttle") as proxy:
        with pytest.raises(ClientError) as error:
            _client("kms", endpoint=proxy.url, attempts=3).create_key()
        assert error.value.response["Error"]["Code"] == "ThrottlingException"
        assert proxy.counts()["by_action"] == {"kms:CreateKey": 3}
    assert not upstream.seen


def _fault_pattern(upstream, seed):
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/kms/aws4_request, SignedHeaders=host",
        "X-Amz-Target": "TrentService.ListAliases",
        "Content-Type": "application/x-amz-json-1.1",
    }
    with fault_proxy.FaultProxy(_url(upstream), fault_rate=0.5, seed=seed, kinds=("throttle", "500", "503")) as proxy:
        connection = http.client.HTTPConnection("127.0.0.1", int(proxy.url.rsplit(":", 1)[1]), timeout=10)
        for _request in range(40):
            connection.request("POST", "/", body=b"{}", headers=headers)
            connection.getresponse().read()
        connection.close()
        return [record["injected"] for record in proxy.requests]


def test_the_seed_fixes_which_requests_fail(upstream):
    first, again, other = _fault_pattern(upstream, 7), _fault_pattern(upstream, 7), _fault_pattern(upstream, 8)
    assert first == again != other
    injected = [kind for kind in first if kind]
    assert 10 <= len(injected) <= 30 and set(injected) == {"throttle", "500", "503"}


def test_aws_errors_answer_the_first_times_in_turn_then_let_the_call_through(upstream):
    answers = [("InvalidCloudWatchLogsRoleArnException", 1), ("InsufficientEncryptionPolicyException", 2)]
    with fault_proxy.FaultProxy(_url(upstream), aws_errors={"cloudtrail:CreateTrail": answers}) as proxy:
        cloudtrail = _client("cloudtrail", endpoint=proxy.url, attempts=3)
        cloudtrail.get_trail_status(Name="org-trail")  # not matched: through
        codes = []
        for _attempt in range(3):
            with pytest.raises(ClientError) as error:
                cloudtrail.create_trail(**TRAIL)
            codes.append(error.value.response["Error"]["Code"])
        assert codes == [
            "InvalidCloudWatchLogsRoleArnException",
            "InsufficientEncryptionPolicyException",
            "InsufficientEncryptionPolicyException",
        ]
        cloudtrail.create_trail(**TRAIL)
        assert [record["injected"] for record in proxy.requests] == [None] + codes + [None]
        assert proxy.counts()["injected"] == 3
    assert upstream.seen == [
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus",
        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail",
    ]


def test_an_aws_error_always_never_lets_the_call_through(upstream):
    aws_errors = {"config:Put*": ("InsufficientDeliveryPolicyException", fault_proxy.ALWAYS)}
    with fault_proxy.FaultProxy(_url(upstream), aws_errors=aws_errors) as proxy:
        config = _client("config", endpoint=proxy.url)
        for _attempt in range(4):
            with pytest.raises(ClientError, match="InsufficientDeliveryPolicyException"):
                config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "acme-cloudtrail"})
        assert proxy.counts()["by_action"] == {"config:PutDeliveryChannel": 4}
    assert not upstream.seen


def test_aws_errors_from_the_command_line():
    assert fault_proxy.parse_aws_errors(
        [
            "cloudtrail:CreateTrail=InvalidCloudWatchLogsRoleArnException",
            "cloudtrail:CreateTrail=InsufficientEncryptionPolicyException:2",
            "s3:PutBucketNotificationConfiguration=InvalidArgument:always",
        ]
    ) == {
        "cloudtrail:CreateTrail": [
            ("InvalidCloudWatchLogsRoleArnException", 1),
            ("InsufficientEncryptionPolicyException", 2),
        ],
        "s3:PutBucketNotificationConfiguration": [("InvalidArgument", "always")],
    }


@pytest.mark.parametrize(
    "upstream_url, options",
    [
        ("http://10.0.0.1:5000", {}),
        ("https://127.0.0.1:5000", {}),
        ("http://127.0.0.1:5000", {"fault_rate": 1.5}),
        ("http://127.0.0.1:5000", {"kinds": ("throttle", "teapot")}),
        ("http://127.0.0.1:5000", {"permanent_kind": "teapot"}),
        ("http://127.0.0.1:5000", {"aws_errors": {"cloudtrail:CreateTrail": ("TeapotException", 1)}}),
        ("http://127.0.0.1:5000", {"aws_errors": {"cloudtrail:CreateTrail": ("InvalidRoleException", 0)}}),
        (
            "http://127.0.0.1:5000",
            {"aws_errors": {"s3:Put*": [("InvalidArgument", "always"), ("InvalidArgument", 1)]}},
        ),
    ],
)
def test_refuses_a_remote_upstream_and_bad_settings(upstream_url, options):
    with pytest.raises(ValueError):
        fault_proxy.FaultProxy(upstream_url, **options)
