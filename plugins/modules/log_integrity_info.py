#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: log_integrity_info
version_added: 1.0.0
short_description: validate the integrity of an organization trail's log files in every account and region
description:
  - Validates the digest and log files that an organization trail delivered to its bucket between
    O(start_time) and O(end_time), for every account with a folder under C(AWSLogs/<organization-id>/) (accounts
    that have left the organization included) and every region found there, the way the CloudTrail User Guide
    describes it in "CloudTrail digest file structure" and "Custom implementations of CloudTrail log file
    integrity validation".
  - "Each digest file (C(_backfill) ones included) must be at the bucket and key it names, and its SHA256withRSA
    signature (the object's C(signature) metadata) must verify over the data signing string with the public key
    that CloudTrail's C(ListPublicKeys) returns for the digest's region and time with the fingerprint the digest
    names. A key found next to the data is never used."
  - Each log file a valid digest names must hash (SHA-256 of the uncompressed bytes) to the digest's
    C(hashValue). The chain is followed through C(previousDigestS3Object), C(previousDigestHashValue) and
    C(previousDigestSignature).
  - "Beyond C(aws cloudtrail validate-logs): digests are expected every hour, so two or more consecutive deleted
    digests are each counted; log files in the range that no digest names are reported (V(injected), or
    V(unverified) when they fall where digests are missing); and each break in a chain is matched against the
    trail's successful C(StopLogging) and C(StartLogging) events in the verified logs of every account, to tell a
    pause in logging from deleted digests. An account that has left the organization (see
    O(member_account_ids)) may stop having digests."
  - "A digest whose signature fails is V(modified) when the next digest recorded a different hash for it, and
    V(invalid_signature) when its content is what the next digest recorded (or nothing comes after it)."
  - Digest files are expected once an hour; one counts as missing an hour after its hour has ended, and digests
    ending up to an hour after O(end_time) are read, as the AWS CLI does, for the log files delivered just before
    O(end_time).
  - The accounts and regions are read in parallel, O(max_workers) at a time, with one S3 client and one
    CloudTrail client per region; log files are streamed and hashed, never held in memory.
  - Read only.
author:
  - Trailguard maintainers (@trailguard)
options:
  bucket:
    description:
      - The trail's bucket. Run the module with credentials that can list and read it (usually the log-archive
        account's).
    type: str
    required: true
  prefix:
    description:
      - The trail's S3 key prefix, if it has one.
    type: str
    default: ""
  organization_id:
    description:
      - The organization's ID; the trail delivers under C(AWSLogs/<organization_id>/).
    type: str
    required: true
  trail_name:
    description:
      - The organization trail's name, part of every digest file's name.
    type: str
    required: true
  trail_home_region:
    description:
      - The trail's home region, part of every digest file's name.
    type: str
    required: true
  trail_arn:
    description:
      - The trail's ARN. C(StopLogging) and C(StartLogging) calls that name the trail by ARN count too.
    type: str
  start_time:
    description:
      - The start of the range, in UTC (ISO 8601, for example V(2026-11-20T00:00:00Z)). Defaults to 24 hours
        before O(end_time).
    type: str
  end_time:
    description:
      - The end of the range, in UTC (ISO 8601). Defaults to now.
    type: str
  accounts:
    description:
      - Only these account IDs. Defaults to every account with a folder in the bucket.
      - C(StopLogging) and C(StartLogging) events are read from the log files of the accounts validated; keep the
        management account (or the delegated administrator that stops and starts the trail) among them, or a
        pause in logging shows as a chain break.
    type: list
    elements: str
    default: []
  regions:
    description:
      - Only these regions. Defaults to every region with digest or log files for each account.
    type: list
    elements: str
    default: []
  member_account_ids:
    description:
      - The accounts that are members of the organization now. An account in the bucket but not in this list has
        left the organization; its digests may stop. When empty, every account counts as a member.
    type: list
    elements: str
    default: []
  max_workers:
    description:
      - How many account and region pairs are validated at the same time.
    type: int
    default: 10
notes:
  - Needs C(s3:ListBucket) and C(s3:GetObject) on the bucket (and C(kms:Decrypt) with the trail's key, as for any
    reader of the logs), and C(cloudtrail:ListPublicKeys) in each region.
  - Uses the C(cryptography) Python library, which ansible-core itself requires.
  - A second trail delivering to the same bucket and prefix would have its log files reported as injected; give
    each trail its own prefix.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Validate the last 24 hours of the organization trail's logs
  trailguard.cloudtrail.log_integrity_info:
    region: us-east-1
    bucket: acme-cloudtrail
    organization_id: o-exampleorgid
    trail_name: acme-organization-trail
    trail_home_region: us-east-1
  register: integrity

- name: Fail on any invalid or missing file
  ansible.builtin.assert:
    that:
      - integrity.report.summary.status == 'pass'
    fail_msg: "{{ integrity.report.summary_lines | join('\n') }}"

- name: One account, one day
  trailguard.cloudtrail.log_integrity_info:
    region: us-east-1
    bucket: acme-cloudtrail
    organization_id: o-exampleorgid
    trail_name: acme-organization-trail
    trail_home_region: us-east-1
    accounts: ["333333333333"]
    start_time: "2026-11-20T00:00:00Z"
    end_time: "2026-11-21T00:00:00Z"
"""

RETURN = r"""
report:
  description: The integrity report.
  returned: always
  type: dict
  contains:
    generated_at:
      description: When the report was made (UTC).
      type: str
      sample: "2026-11-22T09:00:00Z"
    organization_id:
      description: The organization's ID.
      type: str
    bucket:
      description: The bucket read.
      type: str
    prefix:
      description: The trail's key prefix.
      type: str
    trail:
      description: The trail's C(name), C(home_region) and C(arn).
      type: dict
    start_time:
      description: The start of the range (UTC).
      type: str
    end_time:
      description: The end of the range (UTC).
      type: str
    summary:
      description:
        - C(status) (V(fail) when any account and region has a problem, else V(pass)); C(accounts),
          C(accounts_failing) and C(regions).
        - C(digests) and C(backfill_digests), counts by state - C(valid), C(missing), C(modified),
          C(invalid_signature); C(log_files), counts by state - C(valid), C(missing), C(modified), C(injected),
          C(unverified).
        - C(chain_breaks), those no StopLogging/StartLogging explains; C(logging_paused), those they explain.
      type: dict
      sample: {"status": "pass", "accounts": 5, "accounts_failing": 0, "regions": ["eu-west-1", "us-east-1"],
               "digests": {"valid": 240, "missing": 0, "modified": 0, "invalid_signature": 0},
               "backfill_digests": {"valid": 0, "missing": 0, "modified": 0, "invalid_signature": 0},
               "log_files": {"valid": 480, "missing": 0, "modified": 0, "injected": 0, "unverified": 0},
               "chain_breaks": 0, "logging_paused": 0}
    summary_lines:
      description: A short text summary, then one line per problem (at most 20).
      type: list
      elements: str
    accounts:
      description: One per account, with C(account_id), C(member) (V(false) when it has left the organization,
        null when unknown), C(status) (V(pass), V(fail) or V(empty)) and C(regions), one per region, each with
        C(region), C(status), C(paused), the counts C(digests), C(backfill_digests) and C(log_files), and its
        C(findings).
      type: list
      elements: dict
    findings:
      description:
        - Every finding, each with C(account_id), C(region), C(kind), C(object) (the S3 key), C(time) and C(detail).
        - Problems - V(missing_digest) (with C(count) and the C(gap)), V(modified_digest), V(invalid_signature),
          V(missing_log), V(modified_log), V(injected_log), V(chain_break). Not problems by themselves -
          V(unverified_log) (it follows from a missing or invalid digest) and V(logging_paused) (with the
          C(events) that explain the gap).
      type: list
      elements: dict
"""

import datetime

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.accounts import client_maker
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import HAS_CRYPTOGRAPHY
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import AnsibleLogIntegrityError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import IntegrityScan
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import build_report
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import format_time
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import parse_time
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.log_integrity import run_scan
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import ORGANIZATION_ID_RE
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_account_id
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_arn
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_bucket_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import check_trail_name
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.validation import first_error


def time_range(params, now):
    """(start, end, error): the range as aware UTC datetimes, or the first problem with it."""
    try:
        end = parse_time(params["end_time"]) if params["end_time"] else now
    except ValueError:
        return None, None, f"end_time must be an ISO 8601 time such as 2026-11-20T00:00:00Z, got {params['end_time']!r}"
    try:
        start = parse_time(params["start_time"]) if params["start_time"] else end - datetime.timedelta(hours=24)
    except ValueError:
        return (
            None,
            None,
            f"start_time must be an ISO 8601 time such as 2026-11-20T00:00:00Z, got {params['start_time']!r}",
        )
    if start >= end:
        return None, None, f"start_time ({format_time(start)}) must be before end_time ({format_time(end)})"
    if start > now:
        return None, None, f"start_time ({format_time(start)}) is in the future"
    return start, end, None


def validate(params):
    """The first problem with the options, or None; before any AWS call."""
    errors = [
        check_bucket_name(params["bucket"], "bucket"),
        check_trail_name(params["trail_name"], "trail_name"),
        (
            f"trail_name must be the trail's name, not its ARN (give the ARN as trail_arn), got {params['trail_name']!r}"
            if params["trail_name"].startswith("arn:")
            else None
        ),
        check_arn(params["trail_arn"], "trail_arn", service="cloudtrail"),
        (
            None
            if ORGANIZATION_ID_RE.match(params["organization_id"])
            else f"organization_id must look like o-exampleorgid, got {params['organization_id']!r}"
        ),
    ]
    for option in ("accounts", "member_account_ids"):
        errors += [check_account_id(value, f"{option}[{index}]") for index, value in enumerate(params[option])]
    if params["max_workers"] < 1:
        errors.append(f"max_workers must be at least 1, got {params['max_workers']}")
    return first_error(*errors)


def integrity(params, make_client, start, end, now):
    """Discover the accounts and regions, validate each, and build the report."""
    s3 = make_client("s3")
    clients = {}

    def cloudtrail(region):
        if region not in clients:
            clients[region] = make_client("cloudtrail", region)
        return clients[region]

    scan = IntegrityScan(
        s3,
        cloudtrail,
        params["bucket"],
        params["prefix"],
        params["organization_id"],
        params["trail_name"],
        params["trail_home_region"],
        start,
        end,
        now,
        trail_arn=params["trail_arn"],
    )
    accounts = params["accounts"] or scan.accounts()
    regions = {}
    for account in accounts:
        found = scan.regions(account)
        regions[account] = [region for region in found if region in params["regions"]] if params["regions"] else found
    members = params["member_account_ids"]
    membership = {account: (account in members) if members else None for account in accounts}
    # Region clients are made before the pool starts: the session that makes them is not thread-safe.
    for region in {region for found in regions.values() for region in found}:
        cloudtrail(region)
    results = run_scan(scan, accounts, regions, membership, params["max_workers"])
    return build_report(
        results,
        dict(params, home_region=params["trail_home_region"], start_time=format_time(start), end_time=format_time(end)),
        format_time(now),
    )


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        prefix=dict(type="str", default=""),
        organization_id=dict(type="str", required=True),
        trail_name=dict(type="str", required=True),
        trail_home_region=dict(type="str", required=True),
        trail_arn=dict(type="str"),
        start_time=dict(type="str"),
        end_time=dict(type="str"),
        accounts=dict(type="list", elements="str", default=[]),
        regions=dict(type="list", elements="str", default=[]),
        member_account_ids=dict(type="list", elements="str", default=[]),
        max_workers=dict(type="int", default=10),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    error = validate(module.params)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end, range_error = time_range(module.params, now)
    if error or range_error:
        module.fail_json(msg=error or range_error)

    make_client = client_maker(module, AWSRetry.jittered_backoff())
    try:
        report = integrity(module.params, make_client, start, end, now)
    except AnsibleLogIntegrityError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, report=report)


if __name__ == "__main__":
    main()
