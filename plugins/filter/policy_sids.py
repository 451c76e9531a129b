# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Jinja2 filters that list the Sids of the policies the roles write, for their promises entry points.

The Sids are read from the builders in plugins/plugin_utils/policies.py; each
filter's docs are in the .yml file of the same name beside this one.
"""

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies


class FilterModule:
    def filters(self):
        return {
            "audit_bucket_policy_sids": policies.audit_bucket_policy_sids,
            "kms_key_policy_sids": policies.kms_key_policy_sids,
        }
