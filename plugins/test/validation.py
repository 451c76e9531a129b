# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Jinja2 tests for the roles' input checks, built on the checks the modules run (module_utils/validation.py).

Each test's docs are in the .yml file of the same name beside this one.
"""

from functools import partial

from ansible_collections.trailguard.cloudtrail.plugins.module_utils import validation


def _test(check):
    """A Jinja2 test from a check: true when the value is given and the check finds nothing wrong."""

    def test(value):
        return value is not None and check(value, "value") is None

    return test


class TestModule:
    def tests(self):
        return {
            "account_id": _test(validation.check_account_id),
            "bucket_name": _test(validation.check_bucket_name),
            "iam_name": _test(validation.check_iam_name),
            "iam_principal_arn": _test(validation.check_iam_principal_arn),
            "kms_alias": _test(validation.check_kms_alias),
            "kms_key_arn": _test(validation.check_kms_key_arn),
            "log_group_name": _test(validation.check_log_group_name),
            "managed_policy": _test(validation.check_managed_policy),
            "organization_id": _test(validation.check_organization_id),
            "partition": _test(validation.check_partition),
            "region": _test(validation.check_region),
            "scp_target": _test(validation.check_scp_target),
            "trail_arn": _test(validation.check_trail_arn),
            "trail_name": _test(partial(validation.check_trail_name, allow_arn=False)),
        }
