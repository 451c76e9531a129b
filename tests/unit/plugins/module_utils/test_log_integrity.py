"""Log file integrity: the signing string, the key choice across a rotation, backfill digests, the chain checks.

The scans run against moto's in-process mock (with the emulator's ListPublicKeys) and files written by
tools/cloudtrail_delivery.py, the test stand-in for CloudTrail's delivery.
"""

import datetime
import gzip
import hashlib

import boto3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

import cloudtrail_delivery as delivery
from ansible_collections.trailguard.cloudtrail.plugins.module_utils import log_integrity as li

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 18, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)
ORG, MANAGEMENT, MEMBER = "o-abcdef1234", "111111111111", "222222222222"
BUCKET = "trail-bucket"


def test_signing_string_is_the_documented_one():
    """CloudTrail User Guide, "Custom implementations ...", D. Recreate the data signing string."""
    raw = b'{"digest": "file"}'
    digest = {
        "digestEndTime": "2015-08-12T04:01:31Z",
        "digestS3Bucket": "amzn-s3-demo-bucket",
        "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/12/x.json.gz",
        "previousDigestSignature": "6e8540b83c3ac86a",
    }
    expected = (
        "2015-08-12T04:01:31Z\namzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/12/x.json.gz\n"
        f"{hashlib.sha256(raw).hexdigest()}\n6e8540b83c3ac86a"
    ).encode()
    assert li.signing_string(digest, raw) == expected
    # A starting digest has no previous signature: the string ends in "null", as the AWS CLI writes it.
    assert li.signing_string(dict(digest, previousDigestSignature=None), raw).endswith(b"\nnull")


def _key_entry(key, valid_from, valid_to):
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return {
        "Value": der,
        "Fingerprint": hashlib.md5(der).hexdigest(),
        "ValidityStartTime": valid_from,
        "ValidityEndTime": valid_to,
    }


def test_the_key_is_chosen_by_fingerprint_and_time_across_a_rotation():
    old_key, new_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _key in range(2))
    rotation = T0 + datetime.timedelta(days=10)
    old = _key_entry(old_key, T0 - datetime.timedelta(days=30), rotation + datetime.timedelta(days=1))
    new = _key_entry(new_key, rotation, rotation + datetime.timedelta(days=30))
    keys = [new, old]  # ListPublicKeys may return both, in any order, with overlapping validity
    before, after = (T0, T0 + HOUR), (
        rotation + datetime.timedelta(days=5),
        rotation + datetime.timedelta(days=5, hours=1),
    )
    assert li.choose_public_key(keys, old["Fingerprint"], *before) == old["Value"]
    assert li.choose_public_key(keys, new["Fingerprint"], *after) == new["Value"]
    # The old key had expired: a digest of after the rotation cannot have been signed with it.
    assert li.choose_public_key(keys, old["Fingerprint"], *after) is None
    assert li.choose_public_key(keys, "0" * 32, *before) is None
    data = b"2026-11-18T01:00:00Z\nbucket/key\nabc\nnull"
    signature = new_key.sign(data, padding.PKCS1v15(), hashes.SHA256()).hex()
    assert li.verify_signature(new["Value"], signature, data)
    assert not li.verify_signature(old["Value"], signature, data)
    assert not li.verify_signature(new["Value"], signature, data + b"x")
    # A key in SubjectPublicKeyInfo form, as one of the documentation's samples, verifies too.
    spki = new_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert li.verify_signature(spki, signature, data)


def test_the_log_hasher_hashes_the_uncompressed_bytes_and_refuses_trailing_data():
    raw = b'{"Records":[{"eventName":"StopLogging"}]}'
    hasher = li.LogHasher()
    body = gzip.compress(raw)
    for index in range(0, len(body), 7):  # small chunks: the token may straddle two
        hasher.update(body[index : index + 7])
    assert hasher.hexdigest() == hashlib.sha256(raw).hexdigest() and hasher.mentions_pause
    trailing = li.LogHasher()
    trailing.update(gzip.compress(raw) + b"extra")
    assert trailing.hexdigest() is None and "after the end" in trailing.error
    cut = li.LogHasher()
    cut.update(gzip.compress(raw)[:-6])
    assert cut.hexdigest() is None


def _name(hour):
    """The key of the digest of hour `hour` (it ends at 5 past the next hour)."""
    end = T0 + datetime.timedelta(minutes=5) + (hour + 1) * HOUR
    return f"{MEMBER}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_{end:%Y%m%dT%H%M%SZ}.json.gz"


def _digest(hour, previous="auto", status="valid"):
    end = T0 + datetime.timedelta(minutes=5) + (hour + 1) * HOUR
    return {
        "key": _name(hour),
        "start": end - HOUR,
        "end": end,
        "status": status,
        "hash": f"h{hour}",
        "signature": f"s{hour}",
        "previous_key": _name(hour - 1) if previous == "auto" else previous,
        "previous_hash": f"h{hour - 1}",
        "previous_signature": f"s{hour - 1}",
    }


def test_two_consecutive_deleted_digests_are_both_counted():
    digests = [_digest(hour) for hour in range(8) if hour not in (3, 4)]
    findings, breaks = li.analyse_chain(digests, T0 + HOUR, T0 + 9 * HOUR)
    assert [(item["kind"], item["count"], item["object"]) for item in findings] == [("missing_digest", 2, _name(4))]
    assert breaks == []


def test_missing_digests_at_the_start_and_the_end_of_the_range():
    digests = [_digest(hour) for hour in range(2, 6)]
    findings, breaks = li.analyse_chain(digests, T0, T0 + 9 * HOUR)
    # The digests of hours 1, 0 and -1 end inside the range (2:05, 1:05, 0:05); the newest present ends at
    # 6:05, and two more were due by 9:00.
    assert [(item["kind"], item["count"]) for item in findings] == [("missing_digest", 3)]
    assert [(brk["kind"], brk["count"]) for brk in breaks] == [("end", 2)]
    assert li.break_finding(breaks[0], None)["kind"] == "missing_digest"


def test_a_changed_digest_is_told_from_a_replaced_signature_by_the_next_digest():
    digests = [_digest(hour) for hour in range(5)]
    digests[1].update(status="invalid_signature", detail="signature verification failed")
    digests[3].update(status="invalid_signature", detail="signature verification failed", hash="changed")
    li.analyse_chain(digests, T0, T0 + 6 * HOUR)
    assert digests[1]["status"] == "invalid_signature" and "replaced" in digests[1]["detail"]
    assert digests[3]["status"] == "modified"


def _event(name, at, error=None):
    item = {
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "requestParameters": {"name": "org-trail"},
        "recipientAccountId": MANAGEMENT,
        "awsRegion": "us-east-1",
        "userIdentity": {"arn": f"arn:aws:iam::{MANAGEMENT}:user/admin"},
    }
    if error:
        item["errorCode"] = error
    return item


def test_a_chain_break_is_legitimate_only_with_successful_stop_and_start_events():
    digests = [_digest(hour) for hour in range(3)] + [_digest(6, previous=None), _digest(7)]
    findings, breaks = li.analyse_chain(digests, T0 + HOUR, T0 + 9 * HOUR)
    assert findings == [] and [brk["kind"] for brk in breaks] == ["restart"]
    stop, start = T0 + datetime.timedelta(hours=2, minutes=40), T0 + datetime.timedelta(hours=6, minutes=2)
    events = li.pause_events([_event("StopLogging", stop), _event("StartLogging", start)], {"org-trail"})
    assert [event["name"] for event in li.explain_break(breaks[0], events)] == ["StopLogging", "StartLogging"]
    # A StopLogging that an SCP refused stopped nothing, and a stop without a start explains no restart.
    refused = li.pause_events(
        [_event("StopLogging", stop, error="AccessDenied"), _event("StartLogging", start)], {"org-trail"}
    )
    assert li.explain_break(breaks[0], refused) is None
    assert li.explain_break(breaks[0], events[:1]) is None
    assert li.break_finding(breaks[0], None)["kind"] == "chain_break"


def _scan(s3, start, end, **kwargs):
    scan = li.IntegrityScan(
        s3,
        lambda region: boto3.client("cloudtrail", region_name=region),
        BUCKET,
        "",
        ORG,
        "org-trail",
        "us-east-1",
        start,
        end,
        datetime.datetime.now(UTC),
        **kwargs,
    )
    regions = {account: scan.regions(account) for account in scan.accounts()}
    return li.run_scan(scan, sorted(regions), regions, {}, 2)


@mock_aws
def test_backfill_digests_are_validated_and_their_logs_are_not_injected():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    trail = delivery.Trail(BUCKET, ORG, "org-trail", "us-east-1", MANAGEMENT)
    feed = delivery.Delivery(s3, trail)
    feed.run([MANAGEMENT], ["us-east-1"], T0, 6)
    late = [T0 + datetime.timedelta(hours=2, minutes=50)]
    good = feed.backfill(MANAGEMENT, "us-east-1", T0 + 4 * HOUR, T0 + 5 * HOUR, late)
    bad = feed.backfill(
        MANAGEMENT, "us-east-1", T0 + 5 * HOUR, T0 + 5 * HOUR, [T0 + datetime.timedelta(hours=3, minutes=50)]
    )
    assert good["key"].endswith("_backfill.json.gz")
    # Without its backfill-generation-timestamp metadata a backfill digest is not valid (as the AWS CLI says).
    s3.copy_object(
        Bucket=BUCKET,
        Key=bad["key"],
        CopySource={"Bucket": BUCKET, "Key": bad["key"]},
        Metadata={"signature": "00", "signature-algorithm": "SHA256withRSA"},
        MetadataDirective="REPLACE",
    )
    [result] = _scan(s3, T0 + HOUR, T0 + 5 * HOUR)
    assert result["backfill_digests"]["valid"] == 1 and result["backfill_digests"]["invalid_signature"] == 1
    assert result["log_files"]["injected"] == 0
    assert result["log_files"]["unverified"] == 1  # the bad backfill digest's log file
    assert result["status"] == "fail"
    assert result["digests"]["valid"] == 5 and result["digests"]["missing"] == 0


@mock_aws
def test_a_digest_moved_from_its_original_key_or_signed_with_another_key_is_not_valid():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    trail = delivery.Trail(BUCKET, ORG, "org-trail", "us-east-1", MANAGEMENT)
    chains = delivery.Delivery(s3, trail).run([MANAGEMENT, MEMBER], ["us-east-1"], T0, 6)
    chain = chains[(MEMBER, "us-east-1")]
    # Another account's genuine digest copied over this one: signed by CloudTrail, but not for this key.
    s3.copy_object(
        Bucket=BUCKET,
        Key=chain[2]["key"],
        CopySource={"Bucket": BUCKET, "Key": chains[(MANAGEMENT, "us-east-1")][2]["key"]},
    )
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    delivery.resign_digest(s3, BUCKET, chain[4]["key"], attacker)
    results = {result["account_id"]: result for result in _scan(s3, T0 + HOUR, T0 + 6 * HOUR)}
    member = results[MEMBER]
    details = {
        item["object"]: item["detail"]
        for item in member["findings"]
        if item["kind"] in ("modified_digest", "invalid_signature")
    }
    assert "not where CloudTrail delivered it" in details[chain[2]["key"]]
    assert "replaced" in details[chain[4]["key"]]
    assert results[MANAGEMENT]["status"] == "pass"
