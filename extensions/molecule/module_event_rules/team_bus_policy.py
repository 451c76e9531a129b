"""Give the default event bus a policy statement of another team (not the module's: its Sid is not Trailguard...).

Run by prepare.yml; the module must keep the statement whatever it does to its own. Talks only to the emulator:
boto3 takes AWS_ENDPOINT_URL from the environment.
"""

import json
import sys

import boto3


def main(account_id):
    events = boto3.client("events")
    bus = events.describe_event_bus(Name="default")["Arn"]
    statement = {
        "Sid": "TeamForwarding",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "events:PutEvents",
        "Resource": bus,
    }
    events.put_permission(
        EventBusName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
