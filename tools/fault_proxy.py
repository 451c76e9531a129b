"""A fault-injecting HTTP endpoint between the AWS SDK and the local emulator, for tests only.

It listens on 127.0.0.1 (a free port), forwards every request to the emulator
(which must be on the loopback too) and, for a configurable fraction of them,
answers instead with the error AWS sends when it is overloaded:

    throttle  the service's own throttling error, in its protocol's shape:
              JSON ThrottlingException (Organizations: TooManyRequestsException),
              query <ErrorResponse> Throttling, EC2 RequestLimitExceeded, S3 SlowDown (503)
    500       InternalFailure (S3: InternalError), HTTP 500
    503       ServiceUnavailable, HTTP 503
    reset     the TCP connection is reset (RST) without an answer

An injected fault never reaches the emulator: the write it would have made has
not happened, as when AWS throttles a call. It can also add latency to every
request, answer chosen actions always with a non-retryable AccessDenied
(`permanent`, to test that a run fails fast with a clear message), and call a
hook after the emulator answered a request and before the answer is passed on (crash tests kill the playbook
there, between two calls of one module; the secrets test reads the sessions
STS hands out).

It can also answer chosen actions with one of AWS's own errors (AWS_ERRORS: the
code, HTTP status and message AWS sends, in the service's protocol) the first N
times, or always, and then let them through (`aws_errors`). These are the
answers AWS gives while a new role, trusted access or a key, bucket or queue
policy has not propagated yet:

    FaultProxy(emulator_url, aws_errors={
        "cloudtrail:CreateTrail": [("InvalidCloudWatchLogsRoleArnException", 1),
                                   ("InsufficientEncryptionPolicyException", 2)],   # 3 refusals, then through
        "config:PutDeliveryChannel": ("InsufficientDeliveryPolicyException", ALWAYS),
    })

Every request is recorded: the service (from the SigV4 credential scope), the
action (from X-Amz-Target, the smithy RPC v2 CBOR path, the query protocol's
Action or S3's method and sub-resource), whether it is a write, the HTTP status
and the fault injected, if any:

    with FaultProxy(emulator_url, fault_rate=0.2, seed=1) as proxy:   # proxy.url
        ... run the playbook with AWS_ENDPOINT_URL=proxy.url ...
        proxy.counts()   # {"reads": n, "writes": n, "injected": n, "by_action": {"kms:CreateKey": n}}

    python tools/fault_proxy.py --upstream http://127.0.0.1:5000 --fault-rate 0.2 --log requests.jsonl

Why not an existing proxy: mitmproxy 12 needs Python 3.12, and 11.x (the last
for 3.11) pins cryptography<44.1 while this project pins cryptography 50 (moto,
ansible); proxy.py fits but runs its plugins in separate acceptor processes, so
the request log that the tests and the benchmark read in-process would need IPC.
What is left once the AWS-specific parts are written is a small threaded
forwarder on the standard library, so that is what this is.
"""

import argparse
import fnmatch
import http.client
import http.server
import json
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs
from urllib.parse import urlsplit

KINDS = ("throttle", "500", "503", "reset")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Answered locally (no upstream) and never counted: the emulator's own API.
EMULATOR_PATHS = ("/moto-api",)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}
# BatchGet reads several items at once (Athena BatchGetNamedQuery, Glue BatchGetPartition).
READ_PREFIXES = ("Describe", "Get", "BatchGet", "List", "Head", "Lookup", "Check", "Test")
# Reads that do not look like one: STS hands out credentials, nothing changes.
READ_ACTIONS = {"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetCallerIdentity"}

# ---------------------------------------------------------------- classification

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)")

# S3 sub-resources (query keys) -> the operation's noun; the verb comes from the method.
S3_BUCKET_SUBRESOURCES = {
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "lifecycle": "BucketLifecycleConfiguration",
    "versioning": "BucketVersioning",
    "encryption": "BucketEncryption",
    "publicAccessBlock": "PublicAccessBlock",
    "ownershipControls": "BucketOwnershipControls",
    "logging": "BucketLogging",
    "notification": "BucketNotificationConfiguration",
    "tagging": "BucketTagging",
    "acl": "BucketAcl",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "object-lock": "ObjectLockConfiguration",
    "location": "BucketLocation",
    "replication": "BucketReplication",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "analytics": "BucketAnalyticsConfiguration",
    "metrics": "BucketMetricsConfiguration",
    "inventory": "BucketInventoryConfiguration",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
}
S3_OBJECT_SUBRESOURCES = {
    "tagging": "ObjectTagging",
    "acl": "ObjectAcl",
    "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold",
    "attributes": "ObjectAttributes",
}
S3_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}
# Where S3's operation name is not verb + noun.
S3_EXCEPTIONS = {
    ("DELETE", "lifecycle"): "DeleteBucketLifecycle",
    ("GET", "uploads"): "ListMultipartUploads",
    ("GET", "versions"): "ListObjectVersions",
    ("POST", "delete"): "DeleteObjects",
}


def _s3_action(method, path, query, headers):
    parts = path.lstrip("/").split("/", 1)
    bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
    if not bucket:
        return "ListBuckets"
    if method == "HEAD":
        return "HeadObject" if key else "HeadBucket"
    if not key:
        for name in query:
            if (method, name) in S3_EXCEPTIONS:
                return S3_EXCEPTIONS[(method, name)]
            if name in S3_BUCKET_SUBRESOURCES and method in S3_VERBS:
                return S3_VERBS[method] + S3_BUCKET_SUBRESOURCES[name]
        if method == "GET":
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method, f"{method}Bucket")
    for name in query:
        if name in S3_OBJECT_SUBRESOURCES and method in S3_VERBS:
            return S3_VERBS[method] + S3_OBJECT_SUBRESOURCES[name]
    if "uploadId" in query:
        if method == "PUT":
            return "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart"
        return {"GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}[method]
    if method == "POST":
        for name, action in (
            ("uploads", "CreateMultipartUpload"),
            ("restore", "RestoreObject"),
            ("select", "SelectObjectContent"),
        ):
            if name in query:
                return action
        return "PostObject"
    if method == "PUT":
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    return {"GET": "GetObject", "DELETE": "DeleteObject"}.get(method, f"{method}Object")


def classify(method, path, headers, body=b""):
    """{service, action, write, protocol} of one request (headers: a dict with lower-case names)."""
    split = urlsplit(path)
    query = parse_qs(split.query, keep_blank_values=True)
    scope = CREDENTIAL_SCOPE.search(headers.get("authorization", "")) or CREDENTIAL_SCOPE.search(
        "Credential=" + query.get("X-Amz-Credential", [""])[0]
    )
    service = scope.group(1) if scope else "unsigned"
    target = headers.get("x-amz-target")
    cbor = CBOR_PATH.match(split.path)
    if target:
        protocol, action = "json", target.rsplit(".", 1)[-1]
    elif cbor:
        protocol, action = "cbor", cbor.group(1)
    elif service == "s3":
        protocol, action = "s3", _s3_action(method, split.path, query, headers)
    else:
        form = {}
        if "x-www-form-urlencoded" in headers.get("content-type", ""):
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        action = (form.get("Action") or query.get("Action") or [None])[0]
        protocol = "ec2" if service == "ec2" else "query"
        if action is None:
            protocol, action = "rest", f"{method} {split.path}"
    if protocol == "s3":
        write = method in ("PUT", "POST", "DELETE") and action != "SelectObjectContent"
    else:
        write = not (action.startswith(READ_PREFIXES) or f"{service}:{action}" in READ_ACTIONS)
    return {"service": service, "action": action, "write": write, "protocol": protocol}


# ---------------------------------------------------------------- error answers

THROTTLE_CODES = {
    "organizations": "TooManyRequestsException",
    "s3": "SlowDown",
    "ec2": "RequestLimitExceeded",
    "iam": "Throttling",
    "sts": "Throttling",
    "sns": "Throttling",
    "monitoring": "Throttling",
    "sqs": "RequestThrottled",
}
# JSON and CBOR services that moved from the query protocol name their old error code in a header.
QUERY_COMPATIBLE = {"sqs", "monitoring"}
MESSAGES = {
    "throttle": "Rate exceeded",
    "500": "We encountered an internal error. Please try again.",
    "503": "Service is unavailable. Please try again.",
}


# AWS's answers to a call that depends on a change AWS has not propagated yet (or on one really missing), by code:
# (HTTP status, message as AWS words it, with the resource names left out). Sources: the services' API references
# (error lists of CloudTrail's CreateTrail, UpdateTrail, PutInsightSelectors and RegisterOrganizationDelegatedAdmin,
# AWS Config's PutDeliveryChannel and PutConfigurationRecorder) and the messages AWS sends with them.
AWS_ERRORS = {
    # CloudTrail, JSON 1.1
    "InsufficientEncryptionPolicyException": (400, "Insufficient permissions to access S3 bucket or KMS key."),
    "InsufficientS3BucketPolicyException": (400, "Incorrect S3 bucket policy is detected for bucket."),
    "InvalidCloudWatchLogsRoleArnException": (400, "Access denied. Check the trust relationships for your role."),
    "InvalidCloudWatchLogsLogGroupArnException": (400, "Access denied. Check the permissions for your role."),
    "CloudTrailAccessNotEnabledException": (
        400,
        "The request could not be processed because your organization hasn't enabled CloudTrail service access. "
        "Enable service access for CloudTrail, and then try again.",
    ),
    # AWS Config, JSON 1.1
    "InsufficientDeliveryPolicyException": (
        400,
        "Insufficient delivery policy to s3 bucket, unable to write to bucket, provided s3 key prefix is 'null'.",
    ),
    # (the API reference's wording: AWS gives the same code for a role it cannot assume yet)
    "InvalidRoleException": (
        400,
        "You have provided a null or empty Amazon Resource Name (ARN) for the IAM role assumed by Config and used "
        "by the customer managed configuration recorder.",
    ),
    # S3, REST-XML: PutBucketNotificationConfiguration's test message to the destination failed
    "InvalidArgument": (400, "Unable to validate the following destination configurations"),
}
ALWAYS = "always"


def _error_code(kind, service):
    if kind == "throttle":
        return THROTTLE_CODES.get(service, "ThrottlingException"), (503 if service == "s3" else 400)
    if kind == "500":
        return ("InternalError" if service in ("s3", "ec2") else "InternalFailure"), 500
    if kind == "503":
        return ("Unavailable" if service == "ec2" else "ServiceUnavailable"), 503
    if kind == "permanent":
        if service == "ec2":
            return "UnauthorizedOperation", 403
        return ("AccessDeniedException", 400) if service not in ("s3", "iam", "sts", "sns") else ("AccessDenied", 403)
    raise ValueError(f"unknown fault kind {kind!r}")


def _cbor_text(text):
    data = text.encode("utf-8")
    length = len(data)
    if length < 24:
        head = bytes([0x60 | length])
    elif length < 256:
        head = bytes([0x78, length])
    else:
        head = b"\x79" + struct.pack(">H", length)
    return head + data


def cbor_map(mapping):
    """A CBOR map of text to text (all the smithy RPC v2 CBOR error body needs)."""
    return bytes([0xA0 | len(mapping)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in mapping.items())


def error_response(kind, request, message=None):
    """(status, headers, body) of the answer AWS gives for this fault kind to this request (classify()'s dict)."""
    code, status = _error_code(kind, request["service"])
    return _error_answer(code, status, request, message or MESSAGES.get(kind, "Injected error"))


def aws_error_response(code, request):
    """(status, headers, body) of AWS's own error `code` (one of AWS_ERRORS) to this request."""
    status, message = AWS_ERRORS[code]
    return _error_answer(code, status, request, message)


def _error_answer(code, status, request, message):
    service, protocol = request["service"], request["protocol"]
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol in ("json", "cbor"):
        if service in QUERY_COMPATIBLE:
            headers["x-amzn-query-error"] = f"{code};{'Server' if status >= 500 else 'Sender'}"
        if protocol == "cbor":
            headers.update({"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
            return status, headers, cbor_map({"__type": code, "message": message})
        headers["Content-Type"] = "application/x-amz-json-1.1"
        return status, headers, json.dumps({"__type": code, "message": message}).encode()
    headers["Content-Type"] = "text/xml"
    if protocol == "s3":
        headers["x-amz-request-id"] = request_id
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
        )
    elif protocol == "ec2":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    else:
        fault = "Receiver" if status >= 500 else "Sender"
        body = (
            f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/"><Error><Type>{fault}</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, headers, body.encode()


# ---------------------------------------------------------------- the proxy


def _aws_error_rules(aws_errors):
    """[(glob, [(code, times), ...])] from {'service:Action' glob: (code, times) or a list of them}."""
    rules = []
    for pattern, answers in (aws_errors or {}).items():
        answers = [answers] if isinstance(answers, tuple) else list(answers)
        for index, answer in enumerate(answers):
            code, times = answer
            last = index == len(answers) - 1
            if code not in AWS_ERRORS:
                raise ValueError(f"aws_errors[{pattern!r}]: {code!r} is not one of {sorted(AWS_ERRORS)}")
            if not ((times == ALWAYS and last) or (isinstance(times, int) and times >= 1)):
                raise ValueError(f"aws_errors[{pattern!r}]: times must be 1 or more, or {ALWAYS!r} for the last answer")
        rules.append((pattern, answers))
    return rules


def _nth_answer(answers, seen):
    """The error code for the request after `seen` matching ones, or None once the answers are used up."""
    for code, times in answers:
        if times == ALWAYS or seen < times:
            return code
        seen -= times
    return None


def _matcher(permanent):
    """permanent: None, a callable(record) -> bool, or 'service:Action' glob(s) such as 'kms:CreateKey'."""
    if permanent is None or callable(permanent):
        return permanent
    patterns = [permanent] if isinstance(permanent, str) else list(permanent)
    return lambda record: any(fnmatch.fnmatchcase(f"{record['service']}:{record['action']}", p) for p in patterns)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK expects
    server_version = "TrailguardFaultProxy"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and delayed ACKs add 40 ms to each answer.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the proxy keeps its own log

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self):
        # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _handle(self):
        proxy = self.server.proxy
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = classify(self.command, self.path, headers, body)
        counted = not self.path.startswith(EMULATOR_PATHS)
        record = {key: request[key] for key in ("service", "action", "write")}
        record.update(status=None, injected=None)
        fault = proxy._decide(record) if counted else None  # pylint: disable=protected-access
        if fault:
            record["injected"] = fault
            if fault == "reset":
                proxy._record(record)  # pylint: disable=protected-access
                self._reset()
                return
            message = None
            if fault == "permanent":
                message = (
                    f"Trailguard fault proxy: {record['service']}:{record['action']} is always denied in this test"
                )
            if fault in AWS_ERRORS:
                status, error_headers, error_body = aws_error_response(fault, request)
            else:
                status, error_headers, error_body = error_response(fault, request, message)
            record["status"] = status
            proxy._record(record)  # pylint: disable=protected-access
            self._send(status, error_headers.items(), error_body)
            return
        if proxy.latency:
            time.sleep(proxy.latency)
        status, response_headers, response_body = proxy._forward(
            self.command, self.path, self.headers, body
        )  # pylint: disable=protected-access
        record["status"] = status
        if counted:
            proxy._record(record)  # pylint: disable=protected-access
            if proxy.hook:
                signer = ACCESS_KEY.search(headers.get("authorization", ""))
                proxy.hook(dict(record, response=response_body, access_key=signer.group(1) if signer else None))
        self._send(status, response_headers, response_body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away (a crash test killed it): nothing to report
        super().handle_error(request, client_address)


class FaultProxy:
    """A fault-injecting, request-counting forwarder on 127.0.0.1 in front of the emulator at upstream_url.

    fault_rate: fraction (0..1) of AWS requests answered with a fault of one of `kinds` (picked at random)
    latency:    seconds added before each forwarded request
    seed:       seeds the random choice of faults
    log_path:   if set, every request is appended there as one JSON line
    permanent:  'service:Action' glob(s) or a predicate(record) whose requests always get a non-retryable
                AccessDenied, or the fault named by permanent_kind ("denied" or one of KINDS)
    aws_errors: {'service:Action' glob: (code, times) or [(code, times), ...]}: the requests matching the glob
                get AWS's own error `code` (one of AWS_ERRORS) `times` times, in the order given, then go
                through; times ALWAYS ("always", last answer only) never lets them through. The injected
                record's "injected" is the code.
    hook:       callable(record), called after the emulator answered and before the answer is passed on;
                the record also holds the answer's body as "response" (bytes) and the access key ID the
                request was signed with as "access_key" (which session made it)
    """

    def __init__(
        self,
        upstream_url,
        *,
        fault_rate=0.0,
        latency=0.0,
        seed=0,
        kinds=KINDS,
        log_path=None,
        permanent=None,
        permanent_kind="denied",
        aws_errors=None,
        hook=None,
    ):
        upstream = urlsplit(upstream_url)
        if upstream.scheme != "http" or upstream.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"the upstream must be the local emulator (http on the loopback), not {upstream_url}")
        unknown = set(kinds) - set(KINDS)
        if unknown or not 0.0 <= fault_rate <= 1.0 or (fault_rate and not kinds):
            raise ValueError(f"fault_rate must be 0..1 and kinds a non-empty subset of {KINDS}")
        if permanent_kind not in ("denied",) + KINDS:
            raise ValueError(f"permanent_kind must be 'denied' or one of {KINDS}")
        self.permanent_kind = "permanent" if permanent_kind == "denied" else permanent_kind
        self.upstream = (upstream.hostname, upstream.port or 80)
        self.fault_rate = fault_rate
        self.latency = latency
        self.kinds = tuple(kinds)
        self.log_path = log_path
        self.permanent = _matcher(permanent)
        self.aws_errors = _aws_error_rules(aws_errors)
        self._aws_errors_seen = [0] * len(self.aws_errors)
        self.hook = hook
        self.url = None
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._requests = []
        self._server = None
        self._thread = None
        self._log = None

    # -- life cycle

    def start(self, port=0):
        """Listen on 127.0.0.1 (a free port unless one is given); return the URL to use as AWS_ENDPOINT_URL."""
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.proxy = self
        if self.log_path:
            self._log = open(self.log_path, "a", encoding="utf-8")  # pylint: disable=consider-using-with
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-proxy", daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- counting

    @property
    def requests(self):
        """Every request so far: {service, action, write, status, injected}."""
        with self._lock:
            return [dict(record) for record in self._requests]

    def counts(self):
        with self._lock:
            records = list(self._requests)
        by_action = {}
        for record in records:
            name = f"{record['service']}:{record['action']}"
            by_action[name] = by_action.get(name, 0) + 1
        return {
            "reads": sum(1 for record in records if not record["write"]),
            "writes": sum(1 for record in records if record["write"]),
            "injected": sum(1 for record in records if record["injected"]),
            "by_action": dict(sorted(by_action.items())),
        }

    def reset_counts(self):
        with self._lock:
            self._requests.clear()

    def _record(self, record):
        with self._lock:
            self._requests.append(record)
            if self._log:
                self._log.write(json.dumps(record) + "\n")
                self._log.flush()

    # -- faults and forwarding

    def _decide(self, record):
        if record["service"] == "unsigned":
            return None
        if self.permanent and self.permanent(record):
            return self.permanent_kind
        name = f"{record['service']}:{record['action']}"
        for index, (pattern, answers) in enumerate(self.aws_errors):
            if fnmatch.fnmatchcase(name, pattern):
                with self._lock:
                    seen = self._aws_errors_seen[index]
                    self._aws_errors_seen[index] += 1
                code = _nth_answer(answers, seen)
                if code:
                    return code
        with self._lock:
            if self.fault_rate and self._random.random() < self.fault_rate:
                return self._random.choice(self.kinds)
        return None

    def _forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
            forwarded = [
                (name, value)
                for name, value in response.getheaders()
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length"
            ]
            return response.status, forwarded, data
        finally:
            connection.close()


def parse_aws_errors(rules):
    """aws_errors from --aws-error values, 'GLOB=CODE:TIMES' (TIMES: a number, 1 if left out, or 'always')."""
    aws_errors = {}
    for rule in rules:
        pattern, _equals, answer = rule.partition("=")
        code, _colon, times = answer.partition(":")
        aws_errors.setdefault(pattern, []).append((code, times if times == ALWAYS else int(times or 1)))
    return aws_errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="the emulator's URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of requests answered with a fault")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each forwarded request")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--permanent", action="append", help="'service:Action' glob always failed (repeatable)")
    parser.add_argument("--permanent-kind", default="denied", help=f"denied (default) or one of {','.join(KINDS)}")
    parser.add_argument(
        "--aws-error",
        action="append",
        default=[],
        metavar="GLOB=CODE:TIMES",
        help=f"answer GLOB ('service:Action') with AWS's error CODE TIMES times (or '{ALWAYS}'), then let it through; "
        "repeat a GLOB for answers in turn",
    )
    parser.add_argument("--log", help="append every request here as a JSON line")
    args = parser.parse_args(argv)

    proxy = FaultProxy(
        args.upstream,
        fault_rate=args.fault_rate,
        latency=args.latency,
        seed=args.seed,
        kinds=tuple(kind for kind in args.kinds.split(",") if kind),
        log_path=args.log,
        permanent=args.permanent,
        permanent_kind=args.permanent_kind,
        aws_errors=parse_aws_errors(args.aws_error),
    )
    url = proxy.start(port=args.port)
    print(url, flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    proxy.stop()
    print(json.dumps(proxy.counts(), indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
