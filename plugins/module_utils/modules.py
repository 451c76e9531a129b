# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import TRAILGUARD_COLLECTION_NAME
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.common import TRAILGUARD_COLLECTION_VERSION


class TrailguardAWSModule(AnsibleAWSModule):
    """AnsibleAWSModule that reports this collection in the AWS User-Agent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(
            collection_name=TRAILGUARD_COLLECTION_NAME,
            collection_version=TRAILGUARD_COLLECTION_VERSION,
        )
