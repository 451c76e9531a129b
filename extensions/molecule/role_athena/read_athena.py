"""Print what the athena role made in the account, as JSON: the scenario's independent read-back with boto3.

Talks only to the emulator: boto3 takes AWS_ENDPOINT_URL (and the assumed role's keys) from the environment.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError

WORKGROUP, RESULTS_BUCKET, DATABASE, TABLE, ROLE = (
    "trailguard-cloudtrail",
    "trailguard-athena-results",
    "trailguard_cloudtrail",
    "cloudtrail_logs",
    "TrailguardAthenaReader",
)


def optional(call, *codes):
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in codes:
            return None
        raise


def main():
    s3, kms, glue, athena, iam = (boto3.client(name) for name in ("s3", "kms", "glue", "athena", "iam"))
    buckets = sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"])
    state = {
        "buckets": buckets,
        "aliases": sorted(alias["AliasName"] for alias in kms.list_aliases()["Aliases"]),
        "databases": sorted(database["Name"] for database in glue.get_databases()["DatabaseList"]),
        "roles": sorted(role["RoleName"] for role in iam.list_roles()["Roles"]),
        "workgroup": optional(lambda: athena.get_work_group(WorkGroup=WORKGROUP)["WorkGroup"], "InvalidRequestException"),
        "queries": [],
    }
    if state["workgroup"]:
        state["workgroup"].pop("CreationTime", None)
        ids = athena.list_named_queries(WorkGroup=WORKGROUP)["NamedQueryIds"]
        state["queries"] = athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"] if ids else []
    if RESULTS_BUCKET in buckets:
        state["results_bucket"] = {
            "encryption": s3.get_bucket_encryption(Bucket=RESULTS_BUCKET)["ServerSideEncryptionConfiguration"],
            "policy": json.loads(s3.get_bucket_policy(Bucket=RESULTS_BUCKET)["Policy"]),
            "public_access": s3.get_public_access_block(Bucket=RESULTS_BUCKET)["PublicAccessBlockConfiguration"],
            "ownership": s3.get_bucket_ownership_controls(Bucket=RESULTS_BUCKET)["OwnershipControls"],
            "lifecycle": s3.get_bucket_lifecycle_configuration(Bucket=RESULTS_BUCKET)["Rules"],
            "tags": {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=RESULTS_BUCKET)["TagSet"]},
        }
    if DATABASE in state["databases"]:
        table = glue.get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]
        state["table"] = {key: table.get(key) for key in ("Parameters", "PartitionKeys", "StorageDescriptor", "TableType")}
    if ROLE in state["roles"]:
        role = iam.get_role(RoleName=ROLE)["Role"]
        state["role"] = {
            "trust": role["AssumeRolePolicyDocument"],
            "policies": {
                name: iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
                for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
            },
        }
    json.dump(state, sys.stdout, default=str)


if __name__ == "__main__":
    main()
