"""Print trusted access and delegated administrators as JSON: the scenario's independent read-back.

Talks only to the emulator: boto3 takes AWS_ENDPOINT_URL from the environment.
"""

import json
import sys

import boto3


def main(principals):
    client = boto3.client("organizations")
    enabled = client.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    admins = {
        principal: sorted(
            admin["Id"]
            for admin in client.list_delegated_administrators(ServicePrincipal=principal)["DelegatedAdministrators"]
        )
        for principal in principals
    }
    print(json.dumps({"enabled": sorted(entry["ServicePrincipal"] for entry in enabled), "admins": admins}))


if __name__ == "__main__":
    main(sys.argv[1:])
