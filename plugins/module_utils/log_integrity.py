# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudTrail log file integrity validation for every account and region of an organization trail.

It follows the CloudTrail User Guide, "CloudTrail digest file structure" and "Custom implementations of
CloudTrail log file integrity validation":

- a digest file is read from its original bucket and key (and must say so: digestS3Bucket/digestS3Object);
- its SHA256withRSA signature (hex, in the object's `signature` metadata) is checked over the data signing
  string (digestEndTime, bucket/key, the hex SHA-256 of the uncompressed digest, the previous digest's signature
  or "null") with the public key that CloudTrail's ListPublicKeys returns for the digest's region and time and
  whose fingerprint is digestPublicKeyFingerprint, never a key found next to the data;
- each log file it names must hash (SHA-256 over the uncompressed bytes) to its hashValue;
- the chain is followed through previousDigestS3Object, previousDigestHashValue and previousDigestSignature.

Beyond the AWS CLI's `validate-logs`, it also checks the hourly cadence of the digests (so two or more
consecutive deleted digests are each reported), lists the log files that no digest names (injected), and
explains chain breaks with the trail's StopLogging and StartLogging events found in the verified logs.

Thin S3 and CloudTrail wrappers (retried, one error type: AnsibleLogIntegrityError), then pure functions, then
the per account and region scan. Objects are streamed, never held whole, except digest files (small).
"""

import datetime
import hashlib
import json
import re
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import CLOUDTRAIL_SERVICE_PRINCIPAL

HOUR = datetime.timedelta(hours=1)
# A digest file counts as late, not missing, until this long after the hour it covers has ended.
DELIVERY_GRACE = HOUR
CHUNK_SIZE = 64 * 1024
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SIGNATURE_ALGORITHM = "SHA256withRSA"
PAUSE_EVENTS = ("StopLogging", "StartLogging")
PAUSE_TOKENS = tuple(f'"{name}"'.encode() for name in PAUSE_EVENTS)
REQUIRED_DIGEST_FIELDS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)
# What counts, per kind of object, in the report.
DIGEST_STATES = ("valid", "missing", "modified", "invalid_signature")
LOG_STATES = ("valid", "missing", "modified", "injected", "unverified")
# Findings that make an account and region fail (log_integrity_strict fails on any of them).
PROBLEMS = (
    "missing_digest",
    "modified_digest",
    "invalid_signature",
    "missing_log",
    "modified_log",
    "injected_log",
    "chain_break",
)

s3_retry = AWSRetry.jittered_backoff()
cloudtrail_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])


class AnsibleLogIntegrityError(AnsibleAWSError):
    pass


class LogIntegrityErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleLogIntegrityError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchKey")


# ---------------------------------------------------------------- AWS calls


@LogIntegrityErrorHandler.common_error_handler("list objects")
@s3_retry
def list_prefixes(client, bucket, prefix):
    """The 'folders' right under prefix (ListObjectsV2 with a delimiter)."""
    paginator = client.get_paginator("list_objects_v2")
    result = paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/").build_full_result()
    return [item["Prefix"] for item in result.get("CommonPrefixes") or []]


@LogIntegrityErrorHandler.common_error_handler("list objects")
@s3_retry
def list_keys(client, bucket, prefix):
    """Every key under prefix."""
    paginator = client.get_paginator("list_objects_v2")
    return [
        item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix) for item in page.get("Contents") or []
    ]


@LogIntegrityErrorHandler.list_error_handler("get object")
@s3_retry
def get_object(client, bucket, key):
    """The GetObject response (Body still unread, Metadata), or None when there is no such key."""
    return client.get_object(Bucket=bucket, Key=key)


@LogIntegrityErrorHandler.common_error_handler("list public keys")
@cloudtrail_retry
def list_public_keys(client, start, end):
    """CloudTrail's public keys (Value, ValidityStartTime, ValidityEndTime, Fingerprint) that signed in [start, end]."""
    paginator = client.get_paginator("list_public_keys")
    return paginator.paginate(StartTime=start, EndTime=end).build_full_result().get("PublicKeyList") or []


# ---------------------------------------------------------------- pure functions


def parse_time(text):
    """A CloudTrail time ("2015-08-17T14:01:31Z") as an aware UTC datetime, or None."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime(TIME_FORMAT) if moment else None


def logs_base(prefix, organization_id):
    """<prefix/>AWSLogs/<org-id>/, where the organization trail delivers every account's files."""
    return f"{prefix.strip('/') + '/' if prefix and prefix.strip('/') else ''}AWSLogs/{organization_id}/"


def digest_key_pattern(prefix, organization_id, trail_name, home_region):
    """A regex for this trail's digest keys, standard and _backfill, capturing account, region and end time."""
    return re.compile(
        "^"
        + re.escape(logs_base(prefix, organization_id))
        + r"(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
        + r"(?P=account)_CloudTrail-Digest_(?P=region)_"
        + re.escape(f"{trail_name}_{home_region}_")
        + r"(?P<end>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
    )


def log_key_pattern(prefix, organization_id):
    """A regex for log file keys, capturing account, region and the delivery time in the name."""
    return re.compile(
        "^"
        + re.escape(logs_base(prefix, organization_id))
        + r"(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
        + r"(?P=account)_CloudTrail_(?P=region)_(?P<delivered>\d{8}T\d{4}Z)_[^/]+\.json\.gz$"
    )


def key_time(text):
    """The UTC time in a key: 20150817T150131Z (digests) or 20150817T1445Z (log files)."""
    fmt = "%Y%m%dT%H%M%SZ" if len(text) == 16 else "%Y%m%dT%H%MZ"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)


def key_end(key):
    """The end time in a digest key's name, or None."""
    match = re.search(r"_(\d{8}T\d{6}Z)(?:_backfill)?\.json\.gz$", key or "")
    return key_time(match.group(1)) if match else None


def days(start, end):
    """Every UTC date from start's to end's, as the YYYY/MM/DD folders of the keys."""
    day = start.date()
    while day <= end.date():
        yield day.strftime("%Y/%m/%d")
        day += datetime.timedelta(days=1)


def signing_string(digest, raw):
    """The data signing string of a digest file, as the CloudTrail User Guide defines it.

    digestEndTime, "bucket/key", the hex SHA-256 of the uncompressed digest file and the previous digest's
    signature ("null" in a starting digest), one per line.
    """
    previous = digest.get("previousDigestSignature") or "null"
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{hashlib.sha256(raw).hexdigest()}\n{previous}"
    ).encode("utf-8")


def choose_public_key(public_keys, fingerprint, start, end):
    """The DER value of the key with this fingerprint that was valid at some time in [start, end], or None.

    ListPublicKeys may return several keys with overlapping validity (a rotation); the digest names its own.
    """
    for key in public_keys:
        if key.get("Fingerprint") != fingerprint:
            continue
        valid_from, valid_to = key.get("ValidityStartTime"), key.get("ValidityEndTime")
        if (valid_from is None or valid_from <= end) and (valid_to is None or valid_to >= start):
            return key["Value"]
    return None


def verify_signature(public_key_der, signature_hex, data):
    """Whether signature_hex is a valid SHA256withRSA signature of data for the DER (PKCS #1 or SPKI) key."""
    try:
        public_key = serialization.load_der_public_key(bytes(public_key_der))
        public_key.verify(bytes.fromhex(signature_hex), data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def decode_digest(body, metadata, bucket, key, backfill):
    """(digest, raw bytes, problem): the parsed digest file, or a problem that makes it invalid."""
    try:
        raw = zlib.decompress(body, zlib.MAX_WBITS | 16)
        digest = json.loads(raw.decode("utf-8"))
    except (zlib.error, ValueError, UnicodeDecodeError):
        return None, body, "not a gzipped JSON digest file"
    if not isinstance(digest, dict) or any(field not in digest for field in REQUIRED_DIGEST_FIELDS):
        return None, raw, "required digest fields are missing"
    if digest["digestS3Bucket"] != bucket or digest["digestS3Object"] != key:
        return (
            None,
            raw,
            f"not where CloudTrail delivered it (it says s3://{digest['digestS3Bucket']}/{digest['digestS3Object']})",
        )
    if not metadata.get("signature") or metadata.get("signature-algorithm") != SIGNATURE_ALGORITHM:
        return digest, raw, "no SHA256withRSA signature in its object metadata"
    if backfill and not metadata.get("backfill-generation-timestamp"):
        return digest, raw, "a backfill digest without its backfill-generation-timestamp metadata"
    return digest, raw, None


def signing_window(digest, metadata, backfill):
    """When CloudTrail signed the digest, as a range to ask ListPublicKeys about.

    A digest is signed after the hour it covers; a backfill digest when it was generated (its
    backfill-generation-timestamp metadata, give or take an hour, as the AWS CLI does).
    """
    if backfill:
        generated = parse_time(metadata["backfill-generation-timestamp"])
        return generated - HOUR, generated + HOUR
    return parse_time(digest["digestStartTime"]), parse_time(digest["digestEndTime"]) + HOUR


class LogHasher:
    """SHA-256 of a gzipped log file's uncompressed bytes, fed chunk by chunk; notes StopLogging/StartLogging."""

    def __init__(self):
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._hash = hashlib.sha256()
        self._tail = b""
        self.mentions_pause = False
        self.error = None

    def update(self, chunk):
        if self.error:
            return
        try:
            self._feed(self._inflater.decompress(chunk))
        except zlib.error:
            self.error = "not a gzipped file"

    def _feed(self, data):
        self._hash.update(data)
        window = self._tail + data
        if not self.mentions_pause and any(token in window for token in PAUSE_TOKENS):
            self.mentions_pause = True
        self._tail = window[-16:]

    def hexdigest(self):
        """The hex digest, or None (with .error set) when the file is not one whole gzip stream."""
        if self.error:
            return None
        try:
            self._feed(self._inflater.flush())
        except zlib.error:
            self.error = "not a gzipped file"
            return None
        if not self._inflater.eof:
            self.error = "the compressed stream is cut short"
            return None
        if self._inflater.unused_data:
            self.error = "unexpected data after the end of the compressed stream"
            return None
        return self._hash.hexdigest()


def pause_events(records, trail_names):
    """The successful StopLogging/StartLogging calls on the trail (by name or ARN) among a log's records."""
    events = []
    for item in records:
        if item.get("eventSource") != CLOUDTRAIL_SERVICE_PRINCIPAL or item.get("eventName") not in PAUSE_EVENTS:
            continue
        if item.get("errorCode") or (item.get("requestParameters") or {}).get("name") not in trail_names:
            continue  # a refused call (an SCP's AccessDenied, say) stopped nothing
        events.append(
            {
                "name": item["eventName"],
                "time": format_time(parse_time(item.get("eventTime"))),
                "account_id": item.get("recipientAccountId") or (item.get("userIdentity") or {}).get("accountId"),
                "region": item.get("awsRegion"),
                "principal": (item.get("userIdentity") or {}).get("arn"),
            }
        )
    return events


def slots(later, earlier):
    """How many hourly digests fit between earlier's end and later's start (rounded to the hour)."""
    return max(0, round((later - earlier) / HOUR))


def analyse_chain(digests, window_start, expected_until):
    """Check the chain and cadence of one account and region's standard digests (sorted by end time).

    Each digest is a dict with key, start, end, status ('valid', 'invalid_signature' or 'modified' after its
    own checks), hash (of its uncompressed bytes), signature (from its metadata), previous_key,
    previous_hash and previous_signature. Statuses are updated in place from what the next digest recorded
    about it. Returns (findings, breaks): findings for missing digests, breaks for chain starts and ends that
    StopLogging/StartLogging events may explain (see explain_break).
    """
    findings, breaks = [], []
    by_key = {digest["key"]: digest for digest in digests}
    for older, newer in zip([None] + digests[:-1], digests):
        if newer["status"] == "modified" and newer.get("previous_key") is None and newer.get("start") is None:
            continue  # unreadable: its links are unknown
        if newer.get("previous_key") is None:
            if older is not None or newer["start"] > window_start:
                breaks.append({"kind": "restart" if older else "start", "older": older, "newer": newer})
            continue
        target = by_key.get(newer["previous_key"])
        if target is not None and newer["status"] == "valid":
            if target["hash"] != newer["previous_hash"]:
                if target["status"] != "modified":
                    target["detail"] = "its content is not what the next digest file recorded (previousDigestHashValue)"
                target["status"] = "modified"
            elif target["signature"] != newer["previous_signature"] and target["status"] == "valid":
                target["status"] = "invalid_signature"
                target["detail"] = "its signature is not what the next digest file recorded (previousDigestSignature)"
            elif target["status"] == "invalid_signature" and target.get("detail", "").startswith("signature"):
                target["detail"] += "; its content is what the next digest file recorded, so the signature was replaced"
        if target is not None:
            continue
        # The digest it names is gone, and so is every hour between the last one present and it.
        if older:
            floor, count = older["end"], max(1, slots(newer["start"], older["end"]))
        else:
            previous_end = key_end(newer["previous_key"])
            if previous_end is None or previous_end < window_start:
                continue  # it ends before the range: not asked about
            floor, count = window_start, 1 + int((previous_end - window_start) / HOUR)
        findings.append(
            {
                "kind": "missing_digest",
                "object": newer["previous_key"],
                "time": format_time(newer["start"]),
                "count": count,
                "detail": (
                    f"{count} digest file(s) missing before {format_time(newer['start'])}"
                    + (f", after {format_time(older['end'])}" if older else "")
                    + f"; the next one names {newer['previous_key'].rsplit('/', 1)[-1]}"
                ),
                "gap": [format_time(floor), format_time(newer["start"])],
            }
        )
    if digests:
        last = digests[-1]
        count = int((expected_until - last["end"]) / HOUR)
        if count > 0:
            breaks.append({"kind": "end", "older": last, "newer": None, "count": count, "until": expected_until})
    elif expected_until - window_start >= HOUR:
        breaks.append(
            {
                "kind": "none",
                "older": None,
                "newer": None,
                "count": int((expected_until - window_start) / HOUR),
                "window": [window_start, expected_until],
            }
        )
    return findings, breaks


def _event_times(events, name):
    return [(parse_time(event["time"]), event) for event in events if event["name"] == name]


def explain_break(brk, events, member=True):
    """The events that make a chain break legitimate, or None.

    - restart (a starting digest after an older one) and end (no digest after the last one): a StopLogging
      in the hour of the last digest before the gap (or the hour before it); for a restart, also a
      StartLogging after it and no later than the starting digest's end;
    - start (the chain begins inside the range): a StartLogging in the hour before the starting digest's end;
    - end or none for an account that is no longer in the organization: the trail stops delivering for it.
    """
    if brk["kind"] in ("end", "none") and member is False:
        return [
            {"name": "AccountLeftOrganization", "time": None, "account_id": None, "region": None, "principal": None}
        ]
    stops, starts = _event_times(events, "StopLogging"), _event_times(events, "StartLogging")
    older, newer = brk.get("older"), brk.get("newer")
    if brk["kind"] == "start":
        found = [event for moment, event in starts if newer["start"] - HOUR <= moment <= newer["end"]]
        return found[:1] or None
    if brk["kind"] not in ("restart", "end"):
        return None
    older_start = older.get("start") or older["end"] - HOUR
    for stop_time, stop in stops:
        if not older_start - HOUR <= stop_time <= older["end"]:
            continue
        if brk["kind"] == "end":
            return [stop]
        found = [event for moment, event in starts if stop_time <= moment <= newer["end"]]
        if found:
            return [stop, found[0]]
    return None


def break_finding(brk, explained):
    """A chain break as a finding (kind chain_break or logging_paused)."""
    older, newer = brk.get("older"), brk.get("newer")
    gap_from = format_time(older["end"]) if older else None
    gap_to = (
        format_time(newer["start"])
        if newer
        else format_time(brk.get("until") or (brk.get("window") or [None, None])[1])
    )
    if explained:
        names = ", ".join(
            f"{event['name']} {event['time'] or ''} {event['principal'] or ''}".strip() for event in explained
        )
        detail = {
            "start": f"the chain starts when logging started ({names})",
            "restart": f"no digest files while logging was off ({names})",
            "end": f"no digest files after logging stopped ({names})",
            "none": "no digest files: the account has left the organization",
        }[brk["kind"]]
        if explained[0]["name"] == "AccountLeftOrganization":
            detail = "no digest files after the last one: the account has left the organization"
        return {
            "kind": "logging_paused",
            "object": (newer or older or {}).get("key"),
            "time": gap_from or gap_to,
            "gap": [gap_from, gap_to],
            "events": explained,
            "detail": detail,
        }
    if brk["kind"] == "none":
        detail = f"no digest file at all between {format_time(brk['window'][0])} and {gap_to}; {brk['count']} expected"
        return {
            "kind": "missing_digest",
            "object": None,
            "time": format_time(brk["window"][0]),
            "count": brk["count"],
            "gap": [format_time(brk["window"][0]), gap_to],
            "detail": detail,
        }
    if brk["kind"] == "end":
        detail = (
            f"{brk['count']} digest file(s) missing after {gap_from} (the last one), and no StopLogging explains it"
        )
        return {
            "kind": "missing_digest",
            "object": None,
            "time": gap_from,
            "count": brk["count"],
            "gap": [gap_from, gap_to],
            "detail": detail,
        }
    detail = (
        f"the chain starts again at {newer['key'].rsplit('/', 1)[-1]}"
        + (f" after {gap_from}" if gap_from else "")
        + " and no StopLogging/StartLogging of the trail explains it (deleted digests, or validation turned off)"
    )
    return {
        "kind": "chain_break",
        "object": newer["key"],
        "time": format_time(newer["start"]),
        "gap": [gap_from, gap_to],
        "detail": detail,
    }


def in_gap(moment, gaps):
    return any(start and end and parse_time(start) <= moment <= parse_time(end) for start, end in gaps)


# ---------------------------------------------------------------- the scan


class IntegrityScan:
    """Validates an organization trail's digest and log files, one account and region per thread-pool task.

    `s3` is a client that reads the bucket (in the log-archive account); `cloudtrail(region)` returns a
    CloudTrail client for a region, for ListPublicKeys. Both are used from several threads (boto3 clients are
    thread-safe), and each region's public keys are asked for once.
    """

    def __init__(
        self, s3, cloudtrail, bucket, prefix, organization_id, trail_name, home_region, start, end, now, trail_arn=None
    ):
        self.s3 = s3
        self.cloudtrail = cloudtrail
        self.bucket = bucket
        self.prefix = prefix or ""
        self.organization_id = organization_id
        self.trail_names = {trail_name} | ({trail_arn} if trail_arn else set())
        self.start = start
        self.end = end
        self.expected_until = min(end + HOUR, now - DELIVERY_GRACE)
        self.base = logs_base(self.prefix, organization_id)
        self.digest_re = digest_key_pattern(self.prefix, organization_id, trail_name, home_region)
        self.log_re = log_key_pattern(self.prefix, organization_id)
        self._keys = {}
        self._keys_lock = threading.Lock()

    # -- discovery

    def accounts(self):
        """Every account with a folder under AWSLogs/<org-id>/, members or not."""
        names = [prefix[len(self.base) :].strip("/") for prefix in list_prefixes(self.s3, self.bucket, self.base)]
        return sorted(name for name in names if re.fullmatch(r"\d{12}", name))

    def regions(self, account_id):
        """Every region with digest or log files of the account."""
        found = set()
        for kind in ("CloudTrail-Digest", "CloudTrail"):
            base = f"{self.base}{account_id}/{kind}/"
            found.update(prefix[len(base) :].strip("/") for prefix in list_prefixes(self.s3, self.bucket, base))
        return sorted(found)

    # -- public keys

    def public_keys(self, region, start, end):
        """ListPublicKeys in the digest's region for [start, end]; the range of the scan is asked once per region."""
        with self._keys_lock:
            cached = self._keys.get(region)
        if cached and cached[0] <= start and end <= cached[1]:
            return cached[2]
        ask_start, ask_end = min(start, self.start - HOUR), max(end, self.end + 2 * HOUR)
        keys = list_public_keys(self.cloudtrail(region), ask_start, ask_end)
        with self._keys_lock:
            if not cached or (ask_start <= cached[0] and cached[1] <= ask_end):
                self._keys[region] = (ask_start, ask_end, keys)
        return keys

    # -- one account and region

    def scan(self, account_id, region, member=None):
        """Validate one account and region; returns its result (see build_report for the shape)."""
        result = {
            "account_id": account_id,
            "region": region,
            "member": member,
            "findings": [],
            "events": [],
            "digests": dict.fromkeys(DIGEST_STATES, 0),
            "backfill_digests": dict.fromkeys(DIGEST_STATES, 0),
            "log_files": dict.fromkeys(LOG_STATES, 0),
        }
        standard, backfill = self._read_digests(account_id, region, result)
        findings, breaks = analyse_chain(standard, self.start, self.expected_until)
        result["findings"] += findings
        result["breaks"] = breaks
        referenced, verified = {}, {}
        for digest in standard + backfill:
            for log in digest.get("log_files") or []:
                where = (log.get("s3Bucket"), log.get("s3Object"))
                if digest["status"] == "valid":
                    verified[where] = log.get("hashValue")
                referenced.setdefault(where, digest["key"])
        for (bucket, key), expected in sorted(verified.items(), key=lambda item: item[0][1] or ""):
            self._check_log(bucket, key, expected, result)
        result["_unreferenced"] = self._unreferenced_logs(account_id, region, referenced)
        result["_unverified"] = sorted(key for (bucket, key) in referenced if (bucket, key) not in verified)
        for kind, digests in (("digests", standard), ("backfill_digests", backfill)):
            for digest in digests:
                result[kind][digest["status"]] += 1
                if digest["status"] != "valid":
                    result["findings"].append(
                        {
                            "kind": "modified_digest" if digest["status"] == "modified" else "invalid_signature",
                            "object": digest["key"],
                            "time": format_time(digest["end"]),
                            "detail": digest.get("detail"),
                            "gap": [format_time(digest["start"] or digest["end"] - HOUR), format_time(digest["end"])],
                        }
                    )
        result["digests"]["missing"] = sum(item.get("count", 1) for item in findings)
        return result

    def _read_digests(self, account_id, region, result):
        base = f"{self.base}{account_id}/CloudTrail-Digest/{region}/"
        last = self.end + HOUR
        standard, backfill = [], []
        for day in days(self.start, last):
            for key in list_keys(self.s3, self.bucket, f"{base}{day}/"):
                match = self.digest_re.match(key)
                if not match or match["account"] != account_id or match["region"] != region:
                    continue
                end = key_time(match["end"])
                if self.start <= end <= last:
                    (backfill if match["backfill"] else standard).append(
                        self._read_digest(key, region, end, bool(match["backfill"]))
                    )
        standard.sort(key=lambda item: (item["end"], item["key"]))
        backfill.sort(key=lambda item: (item["end"], item["key"]))
        return standard, backfill

    def _read_digest(self, key, region, end, backfill):
        entry = {
            "key": key,
            "end": end,
            "start": None,
            "status": "modified",
            "hash": None,
            "signature": None,
            "previous_key": None,
            "previous_hash": None,
            "previous_signature": None,
            "log_files": [],
        }
        response = get_object(self.s3, self.bucket, key)
        if response is None:  # listed, then deleted
            entry["detail"] = "deleted while being read"
            return entry
        metadata = response.get("Metadata") or {}
        body = response["Body"].read()
        digest, raw, problem = decode_digest(body, metadata, self.bucket, key, backfill)
        entry["hash"] = hashlib.sha256(raw).hexdigest()
        entry["signature"] = metadata.get("signature")
        if digest is None:
            entry["detail"] = problem
            return entry
        entry.update(
            start=parse_time(digest["digestStartTime"]) or end - HOUR,
            previous_key=digest.get("previousDigestS3Object"),
            previous_hash=digest.get("previousDigestHashValue"),
            previous_signature=digest.get("previousDigestSignature"),
            log_files=digest.get("logFiles") or [],
        )
        if problem:
            entry.update(status="invalid_signature", detail=problem)
            return entry
        window = signing_window(digest, metadata, backfill)
        public_key = choose_public_key(self.public_keys(region, *window), digest["digestPublicKeyFingerprint"], *window)
        if public_key is None:
            entry.update(
                status="invalid_signature",
                detail=f"no CloudTrail public key in {region} with fingerprint {digest['digestPublicKeyFingerprint']}",
            )
        elif not verify_signature(public_key, metadata["signature"], signing_string(digest, raw)):
            entry.update(status="invalid_signature", detail="signature verification failed")
        else:
            entry["status"] = "valid"
        return entry

    def _check_log(self, bucket, key, expected, result):
        response = get_object(self.s3, bucket, key)
        if response is None:
            result["log_files"]["missing"] += 1
            result["findings"].append(
                {"kind": "missing_log", "object": key, "detail": "named by a valid digest file, not found"}
            )
            return
        hasher = LogHasher()
        for chunk in response["Body"].iter_chunks(CHUNK_SIZE):
            hasher.update(chunk)
        actual = hasher.hexdigest()
        if actual != expected:
            result["log_files"]["modified"] += 1
            detail = hasher.error or "its SHA-256 is not the hashValue its digest file recorded"
            result["findings"].append({"kind": "modified_log", "object": key, "detail": detail})
            return
        result["log_files"]["valid"] += 1
        if hasher.mentions_pause:
            # Rare (the trail's own StopLogging/StartLogging): read the verified file again, whole, for its events.
            body = get_object(self.s3, bucket, key)["Body"].read()
            records = json.loads(zlib.decompress(body, zlib.MAX_WBITS | 16)).get("Records") or []
            result["events"] += [dict(event, object=key) for event in pause_events(records, self.trail_names)]

    def _unreferenced_logs(self, account_id, region, referenced):
        """Log files delivered in the range that no digest file names, with their delivery times."""
        base = f"{self.base}{account_id}/CloudTrail/{region}/"
        found = []
        for day in days(self.start, self.end):
            for key in list_keys(self.s3, self.bucket, f"{base}{day}/"):
                match = self.log_re.match(key)
                if not match or (self.bucket, key) in referenced:
                    continue
                delivered = key_time(match["delivered"])
                if self.start <= delivered <= self.end:
                    found.append((key, delivered))
        return found


def finish(result, events):
    """Explain the breaks with the organization's pause events and sort the log files no digest verified."""
    # Where no valid digest vouches for the log files: missing or invalid digests, unexplained breaks.
    gaps = [
        item["gap"]
        for item in result["findings"]
        if item["kind"] in ("missing_digest", "modified_digest", "invalid_signature")
    ]
    for brk in result.pop("breaks"):
        explained = explain_break(brk, events, member=result["member"])
        finding = break_finding(brk, explained)
        result["findings"].append(finding)
        if finding["kind"] == "missing_digest":
            result["digests"]["missing"] += finding["count"]
        if finding["kind"] != "logging_paused":
            gaps.append(finding["gap"])
    for key, delivered in result.pop("_unreferenced"):
        state = "unverified" if in_gap(delivered, gaps) else "injected"
        result["log_files"][state] += 1
        detail = (
            "delivered where digest files are missing or invalid; nothing vouches for it"
            if state == "unverified"
            else "no digest file names it: CloudTrail did not deliver it"
        )
        result["findings"].append(
            {"kind": f"{state}_log", "object": key, "time": format_time(delivered), "detail": detail}
        )
    for key in result.pop("_unverified"):
        result["log_files"]["unverified"] += 1
        result["findings"].append(
            {"kind": "unverified_log", "object": key, "detail": "named only by digest files that are not valid"}
        )
    problems = [item for item in result["findings"] if item["kind"] in PROBLEMS]
    checked = sum(result["digests"].values()) + sum(result["backfill_digests"].values())
    result["status"] = "fail" if problems else ("pass" if checked else "empty")
    # Stopped (and maybe started again) inside the range; a chain that merely starts in it does not count.
    result["paused"] = any(
        event["name"] == "StopLogging"
        for item in result["findings"]
        if item["kind"] == "logging_paused"
        for event in item["events"]
    )
    result["findings"].sort(key=lambda item: (item.get("time") or "", item["kind"], item.get("object") or ""))
    return result


def run_scan(scan, accounts, regions, members, max_workers):
    """Every account x region through scan.scan in a bounded pool, then the breaks explained org-wide.

    StopLogging is called in the management (or delegated administrator) account, so its event is in that
    account's logs, while every account's chain breaks: events are gathered from all before any is explained.
    """
    units = [(account, region) for account in accounts for region in regions[account]]

    def one(unit):
        account, region = unit
        return scan.scan(account, region, members.get(account))

    if not units:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(units)))) as pool:
        results = list(pool.map(one, units))
    events = sorted((event for result in results for event in result["events"]), key=lambda event: event["time"] or "")
    return [finish(result, events) for result in results]


def _add(total, counts):
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value
    return total


def build_report(results, params, generated_at):
    """The JSON report: summary, summary_lines, accounts (each with its regions) and the findings."""
    accounts = {}
    for result in results:
        account = accounts.setdefault(
            result["account_id"],
            {"account_id": result["account_id"], "member": result["member"], "status": "empty", "regions": []},
        )
        account["regions"].append(
            {
                key: result[key]
                for key in ("region", "status", "paused", "digests", "backfill_digests", "log_files", "findings")
            }
        )
    order = {"empty": 0, "pass": 1, "fail": 2}
    for account in accounts.values():
        account["status"] = max((region["status"] for region in account["regions"]), key=order.get, default="empty")
    summary = {
        "status": "fail" if any(result["status"] == "fail" for result in results) else "pass",
        "accounts": len(accounts),
        "accounts_failing": sum(1 for account in accounts.values() if account["status"] == "fail"),
        "regions": sorted({result["region"] for result in results}),
        "digests": dict.fromkeys(DIGEST_STATES, 0),
        "backfill_digests": dict.fromkeys(DIGEST_STATES, 0),
        "log_files": dict.fromkeys(LOG_STATES, 0),
        "chain_breaks": 0,
        "logging_paused": 0,
    }
    for result in results:
        for kind in ("digests", "backfill_digests", "log_files"):
            _add(summary[kind], result[kind])
        summary["chain_breaks"] += sum(1 for item in result["findings"] if item["kind"] == "chain_break")
        summary["logging_paused"] += sum(1 for item in result["findings"] if item["kind"] == "logging_paused")
    findings = [
        dict(item, account_id=result["account_id"], region=result["region"])
        for result in results
        for item in result["findings"]
    ]
    problems = [item for item in findings if item["kind"] in PROBLEMS]
    digests, logs = summary["digests"], summary["log_files"]
    lines = [
        f"CloudTrail log integrity: {summary['status'].upper()} - {summary['accounts']} accounts, "
        f"{len(summary['regions'])} regions, {params['start_time']} to {params['end_time']}",
        f"digest files: {digests['valid']} valid, {digests['missing']} missing, {digests['modified']} modified, "
        f"{digests['invalid_signature']} badly signed (backfill: {summary['backfill_digests']['valid']} valid)",
        f"log files: {logs['valid']} valid, {logs['missing']} missing, {logs['modified']} modified, "
        f"{logs['injected']} injected, {logs['unverified']} unverified",
        f"chain breaks: {summary['chain_breaks']} unexplained, {summary['logging_paused']} explained by the trail's "
        "StopLogging/StartLogging (or an account leaving the organization)",
    ]
    lines += [
        f"{item['account_id']} {item['region']}: {item['kind']} {item.get('object') or ''} - {item.get('detail') or ''}".replace(
            "  ", " "
        )
        for item in problems[:20]
    ]
    if len(problems) > 20:
        lines.append(f"... and {len(problems) - 20} more problems (see the report's findings)")
    return {
        "generated_at": generated_at,
        "organization_id": params["organization_id"],
        "bucket": params["bucket"],
        "prefix": params["prefix"] or "",
        "trail": {"name": params["trail_name"], "home_region": params["home_region"], "arn": params.get("trail_arn")},
        "start_time": params["start_time"],
        "end_time": params["end_time"],
        "summary": summary,
        "summary_lines": lines,
        "accounts": sorted(accounts.values(), key=lambda account: account["account_id"]),
        "findings": findings,
    }
