"""Print AWS Config state as JSON: the recorder, its status and the delivery channel in each region given, the
aggregators, and (with --organization) AWS Config's trusted access and delegated administrators.

The scenario's independent read-back (community.aws has no AWS Config info modules). Talks only to the
emulator: boto3 takes AWS_ENDPOINT_URL and the account's credentials from the environment.
Usage: read_config.py [--organization] <region> [<region> ...]
"""

import json
import sys

import boto3

CONFIG_PRINCIPALS = ("config.amazonaws.com", "config-multiaccountsetup.amazonaws.com")


def region_state(region):
    config = boto3.client("config", region_name=region)
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    return {
        "recorders": {r["name"]: {"role_arn": r["roleARN"], "group": r["recordingGroup"]} for r in recorders},
        "recording": {s["name"]: s["recording"] for s in statuses},
        "channels": {c["name"]: c for c in config.describe_delivery_channels()["DeliveryChannels"]},
        "aggregators": {
            a["ConfigurationAggregatorName"]: a.get("OrganizationAggregationSource")
            for a in config.describe_configuration_aggregators()["ConfigurationAggregators"]
        },
    }


def organization_state():
    orgs = boto3.client("organizations")
    enabled = [s["ServicePrincipal"] for s in orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]]
    delegated = {}
    for principal in CONFIG_PRINCIPALS:
        try:
            admins = orgs.list_delegated_administrators(ServicePrincipal=principal)["DelegatedAdministrators"]
        except orgs.exceptions.InvalidInputException:  # moto knows no delegated administrators for this principal
            admins = []
        delegated[principal] = sorted(admin["Id"] for admin in admins)
    return {"trusted": sorted(p for p in enabled if p in CONFIG_PRINCIPALS), "delegated": delegated}


def main(args):
    result = {}
    if args[:1] == ["--organization"]:
        result["organization"] = organization_state()
        args = args[1:]
    result["regions"] = {region: region_state(region) for region in args}
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
