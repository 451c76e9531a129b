# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organization trail's advanced event selectors, built from switches.

Management events are always logged, read and write. S3 data events, when on,
leave out the trail's own log bucket(s): otherwise every log file CloudTrail
writes is itself a data event, a feedback loop that costs money and noise
(awslabs/landing-zone-accelerator-on-aws#1192). `NotStartsWith` is used, not
`NotEquals`, because object ARNs are bucket ARN + "/" + key
(hashicorp/terraform-provider-aws#28582).

The management-events selector has the name the CloudTrail console gives it,
`Management events selector`: scanners read the name. Prowler's
cloudtrail_multi_region_enabled_logging_management_events, for one, counts an
advanced selector as logging management events only under that name, and the
CIS benchmark's audit procedure shows it as the correct output.
"""

# The CloudTrail console's name for the selector of management events.
MANAGEMENT_EVENTS_SELECTOR = "Management events selector"


def advanced_event_selectors(excluded_bucket_names=(), s3_data_events=False, lambda_data_events=False, partition="aws"):
    """Selectors in the snake_case shape of the org_trail module's option."""
    selectors = [
        {
            "name": MANAGEMENT_EVENTS_SELECTOR,
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    if s3_data_events:
        s3_selectors = [
            {"field": "eventCategory", "equals": ["Data"]},
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
        ]
        excluded = sorted({f"arn:{partition}:s3:::{name}/" for name in excluded_bucket_names if name})
        if excluded:
            s3_selectors.append({"field": "resources.ARN", "not_starts_with": excluded})
        selectors.append({"name": "S3 data events, except the log buckets", "field_selectors": s3_selectors})
    if lambda_data_events:
        selectors.append(
            {
                "name": "Lambda data events",
                "field_selectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
                ],
            }
        )
    return selectors
