# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Jinja2 filter that builds the organization trail's advanced event selectors.

The builder lives in plugins/plugin_utils/event_selectors.py; its docs are in
advanced_event_selectors.yml beside this file.
"""

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import event_selectors


class FilterModule:
    def filters(self):
        return {"advanced_event_selectors": event_selectors.advanced_event_selectors}
