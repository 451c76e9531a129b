"""Print the log group's metric filters and the account's metric alarms, as JSON keyed by name.

The scenario's independent read-back. Talks only to the emulator: boto3 takes AWS_ENDPOINT_URL from the environment.

Usage: read_state.py <log group>
"""

import json
import sys

import boto3


def main(log_group):
    logs, cloudwatch = boto3.client("logs"), boto3.client("cloudwatch")
    filters = {
        item["filterName"]: {"pattern": item["filterPattern"], "metrics": item["metricTransformations"]}
        for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName=log_group)
        for item in page["metricFilters"]
    }
    alarms = {
        alarm["AlarmName"]: {
            key: alarm.get(key)
            for key in (
                "AlarmDescription",
                "MetricName",
                "Namespace",
                "Statistic",
                "ComparisonOperator",
                "Threshold",
                "Period",
                "EvaluationPeriods",
                "DatapointsToAlarm",
                "TreatMissingData",
                "AlarmActions",
            )
        }
        for page in cloudwatch.get_paginator("describe_alarms").paginate()
        for alarm in page["MetricAlarms"]
    }
    print(json.dumps({"filters": filters, "alarms": alarms}))


if __name__ == "__main__":
    main(*sys.argv[1:])
