# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

TRAILGUARD_COLLECTION_NAME = "trailguard.cloudtrail"
TRAILGUARD_COLLECTION_VERSION = "1.0.0"

# The service principal CloudTrail writes and reads as (bucket, key and topic policies; trusted access).
CLOUDTRAIL_SERVICE_PRINCIPAL = "cloudtrail.amazonaws.com"
