"""A test-only stand-in for CloudTrail's delivery: log files and signed hourly digest files in a bucket.

The emulator (moto) never writes CloudTrail logs. This writes, through any S3 client, what CloudTrail writes for
an organization trail with log file validation on, in AWS's documented layout and format:

  <prefix/>AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/
      <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<16 characters>.json.gz          (a gzipped {"Records": [...]})
  <prefix/>AWSLogs/<org-id>/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
      <account>_CloudTrail-Digest_<region>_<trail>_<home region>_YYYYMMDDTHHMMSSZ.json.gz

(CloudTrail User Guide: "CloudTrail log file examples", "CloudTrail record contents", "CloudTrail digest file
structure", "Custom implementations of CloudTrail log file integrity validation".) One digest per account, region
and hour, empty hours included, each naming the previous one and signed SHA256withRSA over the documented signing
string, the hex signature in the object's x-amz-meta-signature. When logging stops, the hour's digest is the last
of its chain and the management account's log holds the StopLogging event; when it starts again, a starting
digest (previous* null) begins a new chain and the log holds StartLogging.

The signing key is the test key in tools/cloudtrail_test_key.pem; the emulator serves its public half from
CloudTrail ListPublicKeys (tools/moto_server.py). The tamper functions do what someone with write access to the
bucket could do. Used by the tests, the integrity benchmark and `make demo`; never by the collection.
"""

import datetime
import functools
import gzip
import hashlib
import json
import random
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

TEST_KEY_PATH = Path(__file__).resolve().parent / "cloudtrail_test_key.pem"
# When the test key "signs": the emulator's ListPublicKeys returns it for any range that overlaps this.
KEY_VALIDITY = (
    datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
    datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc),
)
SIGNATURE_ALGORITHM = "SHA256withRSA"
HOUR = datetime.timedelta(hours=1)


@functools.lru_cache(maxsize=1)
def signing_key():
    data = TEST_KEY_PATH.read_bytes()
    return serialization.load_pem_private_key(data[data.index(b"-----BEGIN") :], password=None)


def public_key_der(key=None):
    """The public key in DER PKCS #1, the form ListPublicKeys returns."""
    return (
        (key or signing_key()).public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    )


def fingerprint(key=None):
    """The hex fingerprint a digest names in digestPublicKeyFingerprint (MD5 of the DER key, 32 hex digits)."""
    return hashlib.md5(public_key_der(key)).hexdigest()  # nosec: an identifier, as AWS's, not a security hash


def public_keys(start, end):
    """ListPublicKeys' answer for [start, end]: the test key when its validity overlaps the range."""
    valid_from, valid_to = KEY_VALIDITY
    if end < valid_from or start > valid_to:
        return []
    return [
        {
            "Value": public_key_der(),
            "ValidityStartTime": valid_from,
            "ValidityEndTime": valid_to,
            "Fingerprint": fingerprint(),
        }
    ]


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def gzip_json(document):
    """(gzipped bytes, the uncompressed bytes) of a JSON document, as CloudTrail writes it."""
    raw = json.dumps(document, separators=(",", ":")).encode()
    return gzip.compress(raw, mtime=0), raw


def signing_string(digest, raw):
    """The documented data signing string of a digest file (raw: its uncompressed bytes)."""
    previous = digest.get("previousDigestSignature") or "null"
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{hashlib.sha256(raw).hexdigest()}\n{previous}"
    ).encode()


def sign(digest, raw, key=None):
    """The hex SHA256withRSA signature of a digest file."""
    return (key or signing_key()).sign(signing_string(digest, raw), padding.PKCS1v15(), hashes.SHA256()).hex()


@dataclass(frozen=True)
class Trail:
    """An organization trail and where it delivers."""

    bucket: str
    organization_id: str
    name: str
    home_region: str
    management_account_id: str
    prefix: str = ""

    @property
    def arn(self):
        return f"arn:aws:cloudtrail:{self.home_region}:{self.management_account_id}:trail/{self.name}"

    def base(self, account_id):
        return f"{self.prefix + '/' if self.prefix else ''}AWSLogs/{self.organization_id}/{account_id}"

    def log_key(self, account_id, region, delivered, unique):
        return (
            f"{self.base(account_id)}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account_id}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz"
        )

    def digest_key(self, account_id, region, end, backfill=False):
        return (
            f"{self.base(account_id)}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/{account_id}_CloudTrail-Digest_"
            f"{region}_{self.name}_{self.home_region}_{end:%Y%m%dT%H%M%SZ}{'_backfill' if backfill else ''}.json.gz"
        )


def record(trail, account_id, region, event_name, at, source="ec2.amazonaws.com", parameters=None, user="alice"):
    """One CloudTrail record ("CloudTrail record contents") of an API call by an IAM user of the account."""
    return {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE" + account_id[-6:],
            "arn": f"arn:aws:iam::{account_id}:user/{user}",
            "accountId": account_id,
            "accessKeyId": "AKIAEXAMPLE" + account_id[-6:],
            "userName": user,
        },
        "eventTime": iso(at),
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2.17.0",
        "requestParameters": parameters,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=random.getrandbits(128))),
        "eventID": str(uuid.UUID(int=random.getrandbits(128))),
        "readOnly": event_name.startswith(("Describe", "Get", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }


def _offset(account_id, region):
    """Each account and region has its own minute and second in the hour at which its digests end."""
    seed = int(hashlib.sha256(f"{account_id}/{region}".encode()).hexdigest(), 16)
    return datetime.timedelta(minutes=1 + seed % 50, seconds=seed % 60)


class Delivery:
    """Writes a trail's deliveries for accounts x regions x hours into the bucket through `s3`.

    `pauses` is a list of (stopped_at, started_at): logging stops at the first and starts again at the second
    (the management account's home-region log records StopLogging and StartLogging). The first hour of the
    range also starts logging, with a StartLogging event.
    """

    def __init__(self, s3, trail, logs_per_hour=1, records_per_log=3, workers=8, key=None):
        self.s3 = s3
        self.trail = trail
        self.logs_per_hour = logs_per_hour
        self.records_per_log = records_per_log
        self.workers = workers
        self.key = key

    def run(self, accounts, regions, start, hours, pauses=()):
        """Deliver; returns {(account, region): [{"key", "start", "end", "starting", "logs": [keys]}, ...]}."""
        chains = [(account, region) for account in accounts for region in regions]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(lambda chain: self._deliver_chain(*chain, start, hours, pauses), chains))
        return dict(zip(chains, results))

    def _events(self, account_id, region, window_start, window_end, pauses, first):
        """The control events (StartLogging/StopLogging) of the trail in this account's hour, with their times."""
        if account_id != self.trail.management_account_id or region != self.trail.home_region:
            return []
        events = []
        starts = ([window_start] if first else []) + [started for _stopped, started in pauses]
        for name, moments in (("StartLogging", starts), ("StopLogging", [stopped for stopped, _started in pauses])):
            for moment in moments:
                if window_start <= moment < window_end:
                    events.append((moment, name))
        return events

    def _deliver_chain(self, account_id, region, start, hours, pauses):
        rng = random.Random(f"{account_id}/{region}/{start}")
        offset = _offset(account_id, region)
        digests, previous = [], None
        for hour in range(hours):
            window_end = start + offset + (hour + 1) * HOUR
            window_start = window_end - HOUR
            if any(stopped < window_start and started >= window_end for stopped, started in pauses):
                previous = None  # no digest while logging is off; the next one starts a new chain
                continue
            restarted = [started for _stopped, started in pauses if window_start <= started < window_end]
            delivery_start = max([window_start] + restarted)
            stopped = [moment for moment, _started in pauses if window_start <= moment < window_end]
            delivery_end = min([window_end] + [moment + datetime.timedelta(minutes=5) for moment in stopped])
            events = self._events(account_id, region, window_start, window_end, pauses, first=hour == 0)
            logs = self._deliver_logs(account_id, region, delivery_start, delivery_end, events, rng)
            digest = self._deliver_digest(account_id, region, delivery_start, window_end, logs, previous)
            digests.append(digest)
            previous = None if stopped else digest
        return [
            {key: digest[key] for key in ("key", "start", "end", "starting")}
            | {"logs": [log["key"] for log in digest["logs"]]}
            for digest in digests
        ]

    def _deliver_logs(self, account_id, region, delivery_start, delivery_end, events, rng):
        span = delivery_end - delivery_start
        times = [delivery_start + span * (i + 1) / (self.logs_per_hour + 1) for i in range(self.logs_per_hour)]
        logs = []
        for moment, name in events:
            # The control event's own log file, delivered a few minutes after the call.
            delivered = min(moment + datetime.timedelta(minutes=2), delivery_end - datetime.timedelta(seconds=1))
            records = [
                record(
                    self.trail,
                    account_id,
                    region,
                    name,
                    moment,
                    source="cloudtrail.amazonaws.com",
                    parameters={"name": self.trail.arn},
                    user="admin",
                )
            ]
            logs.append(self._put_log(account_id, region, delivered, records, rng))
        for delivered in times:
            records = [
                record(
                    self.trail,
                    account_id,
                    region,
                    rng.choice(("DescribeInstances", "GetCallerIdentity", "ListBuckets")),
                    delivered - datetime.timedelta(minutes=3 + n),
                )
                for n in range(self.records_per_log)
            ]
            logs.append(self._put_log(account_id, region, delivered, records, rng))
        return sorted(logs, key=lambda log: log["key"])

    def _put_log(self, account_id, region, delivered, records, rng):
        unique = "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _position in range(16)
        )
        key = self.trail.log_key(account_id, region, delivered, unique)
        body, raw = gzip_json({"Records": records})
        self.s3.put_object(Bucket=self.trail.bucket, Key=key, Body=body, ContentType="application/json")
        times = sorted(item["eventTime"] for item in records)
        return {"key": key, "hash": hashlib.sha256(raw).hexdigest(), "oldest": times[0], "newest": times[-1]}

    def _deliver_digest(self, account_id, region, start, end, logs, previous, backfill_at=None):
        key = self.trail.digest_key(account_id, region, end, backfill=backfill_at is not None)
        document = {
            "awsAccountId": account_id,
            "digestStartTime": iso(start),
            "digestEndTime": iso(end),
            "digestS3Bucket": self.trail.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fingerprint(self.key),
            "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
            "newestEventTime": max((log["newest"] for log in logs), default=None),
            "oldestEventTime": min((log["oldest"] for log in logs), default=None),
            "previousDigestS3Bucket": previous and self.trail.bucket,
            "previousDigestS3Object": previous and previous["key"],
            "previousDigestHashValue": previous and previous["hash"],
            "previousDigestHashAlgorithm": previous and "SHA-256",
            "previousDigestSignature": previous and previous["signature"],
            "logFiles": [
                {
                    "s3Bucket": self.trail.bucket,
                    "s3Object": log["key"],
                    "hashValue": log["hash"],
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": log["newest"],
                    "oldestEventTime": log["oldest"],
                }
                for log in logs
            ],
        }
        body, raw = gzip_json(document)
        signature = sign(document, raw, self.key)
        metadata = {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM}
        if backfill_at is not None:
            metadata["backfill-generation-timestamp"] = iso(backfill_at)
        self.s3.put_object(
            Bucket=self.trail.bucket, Key=key, Body=body, Metadata=metadata, ContentType="application/json"
        )
        return {
            "key": key,
            "start": start,
            "end": end,
            "starting": previous is None,
            "logs": logs,
            "hash": hashlib.sha256(raw).hexdigest(),
            "signature": signature,
        }

    def backfill(self, account_id, region, end, generated_at, log_times):
        """A backfill digest: log files delivered late, each in its own new log file, in a `_backfill` digest."""
        rng = random.Random(f"backfill/{account_id}/{region}/{end}")
        logs = [
            self._put_log(
                account_id,
                region,
                moment,
                [record(self.trail, account_id, region, "DescribeInstances", moment - datetime.timedelta(minutes=1))],
                rng,
            )
            for moment in log_times
        ]
        digest = self._deliver_digest(account_id, region, end - HOUR, end, logs, None, backfill_at=generated_at)
        return {"key": digest["key"], "logs": [log["key"] for log in logs]}


# ---------------------------------------------------------------- tampering


def _read(s3, bucket, key):
    response = s3.get_object(Bucket=bucket, Key=key)
    return zlib.decompress(response["Body"].read(), zlib.MAX_WBITS | 16), response.get("Metadata") or {}


def delete(s3, bucket, key):
    s3.delete_object(Bucket=bucket, Key=key)


def modify_log(s3, bucket, key):
    """Rewrite one record of a log file in place (same key, valid gzip JSON): hide who made the call."""
    raw, _metadata = _read(s3, bucket, key)
    document = json.loads(raw)
    document["Records"][0]["sourceIPAddress"] = "198.51.100.66"
    body, _raw = gzip_json(document)
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def modify_digest(s3, bucket, key):
    """Drop the last log file from a digest's list, keeping its object metadata (and so its old signature)."""
    raw, metadata = _read(s3, bucket, key)
    document = json.loads(raw)
    document["logFiles"] = document["logFiles"][:-1]
    body, _raw = gzip_json(document)
    s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata, ContentType="application/json")


def resign_digest(s3, bucket, key, key_pair):
    """Replace a digest's signature with one made by another key, still claiming CloudTrail's fingerprint."""
    raw, metadata = _read(s3, bucket, key)
    metadata = dict(metadata, signature=sign(json.loads(raw), raw, key_pair))
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        Metadata=metadata,
        MetadataDirective="REPLACE",
    )


def inject_log(s3, trail, account_id, region, delivered):
    """A plausible log file that CloudTrail never delivered (no digest names it); returns its key."""
    rng = random.Random(f"inject/{account_id}/{region}/{delivered}")
    unique = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _position in range(16))
    key = trail.log_key(account_id, region, delivered, unique)
    records = [
        record(
            trail,
            account_id,
            region,
            "ConsoleLogin",
            delivered - datetime.timedelta(minutes=4),
            source="signin.amazonaws.com",
        )
    ]
    body, _raw = gzip_json({"Records": records})
    s3.put_object(Bucket=trail.bucket, Key=key, Body=body, ContentType="application/json")
    return key


def deliver_organization(url, org, bucket, trail_name, home_region, regions, hours, end=None):
    """Deliver `hours` hours up to `end` (default: the last full hour) for every account of a tools/seed_org.py
    organization, writing as the log-archive account, as the demo does after the main playbook."""
    import boto3  # pylint: disable=import-outside-toplevel

    audit = org["log_archive"]["account_id"]
    creds = boto3.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{audit}:role/OrganizationAccountAccessRole", RoleSessionName="cloudtrail-delivery"
    )["Credentials"]
    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    trail = Trail(bucket, org["organization_id"], trail_name, home_region, org["management"]["account_id"])
    end = end or datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    accounts = [org["management"]["account_id"], audit] + [member["account_id"] for member in org["members"]]
    return Delivery(s3, trail).run(accounts, regions, end - (hours + 1) * HOUR, hours)
