# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Jinja2 filters that build the Athena table over the organization trail's logs and its saved queries.

The builders live in plugins/plugin_utils/cloudtrail_athena.py; each filter's docs are in the .yml file of the
same name beside this one. Bad input is an AnsibleFilterError that says what is wrong.
"""

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import cloudtrail_athena


def _filter(builder):
    @functools.wraps(builder)
    def run(*args, **kwargs):
        try:
            return builder(*args, **kwargs)
        except ValueError as e:
            raise AnsibleFilterError(f"{builder.__name__}: {e}") from e

    return run


class FilterModule:
    def filters(self):
        return {
            "cloudtrail_table": _filter(cloudtrail_athena.cloudtrail_table),
            "cloudtrail_queries": _filter(cloudtrail_athena.cloudtrail_queries),
        }
