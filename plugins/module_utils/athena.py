# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the Athena workgroup and named query API, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into AnsibleAthenaError("Failed to <verb
noun>"), so a module needs exactly one `except AnsibleAthenaError`. Athena answers a workgroup that does not
exist with InvalidRequestException "WorkGroup <name> is not found." (Athena API Reference, GetWorkGroup), the
same error code as for bad input, so "missing" is told by that message.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Athena throttles with TooManyRequestsException (in AWSRetry's default list) and ThrottlingException.
athena_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["ThrottlingException"])

# BatchGetNamedQuery takes at most 50 IDs (Athena API Reference, BatchGetNamedQuery).
BATCH_SIZE = 50


class AnsibleAthenaError(AnsibleAWSError):
    pass


class AthenaErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAthenaError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_message("is not found")


@AthenaErrorHandler.list_error_handler("get workgroup")
@athena_retry
def get_work_group(client, name):
    """The workgroup (GetWorkGroup's WorkGroup), or None when it does not exist."""
    return client.get_work_group(WorkGroup=name).get("WorkGroup")


@AthenaErrorHandler.common_error_handler("create workgroup")
@athena_retry
def create_work_group(client, name, description, configuration):
    client.create_work_group(Name=name, Description=description, Configuration=configuration)
    return True


@AthenaErrorHandler.common_error_handler("update workgroup")
@athena_retry
def update_work_group(client, name, **changes):
    """`changes`: UpdateWorkGroup's Description, State and ConfigurationUpdates, those that change."""
    client.update_work_group(WorkGroup=name, **changes)
    return True


@AthenaErrorHandler.deletion_error_handler("delete workgroup")
@athena_retry
def delete_work_group(client, name, recursive):
    client.delete_work_group(WorkGroup=name, RecursiveDeleteOption=recursive)
    return True


@AthenaErrorHandler.list_error_handler("list named queries")
@athena_retry
def list_named_query_ids(client, work_group):
    """The IDs of the workgroup's named queries; None when the workgroup does not exist."""
    paginator = client.get_paginator("list_named_queries")
    return paginator.paginate(WorkGroup=work_group).build_full_result().get("NamedQueryIds", [])


@AthenaErrorHandler.common_error_handler("get named queries")
@athena_retry
def _batch_get_named_queries(client, ids):
    response = client.batch_get_named_query(NamedQueryIds=ids)
    unprocessed = response.get("UnprocessedNamedQueryIds") or []
    if unprocessed:
        reasons = "; ".join(
            f"{item.get('NamedQueryId')}: {item.get('ErrorCode')} {item.get('ErrorMessage')}" for item in unprocessed
        )
        raise AnsibleAthenaError(message=f"Failed to get named queries: {reasons}")
    return response.get("NamedQueries", [])


def get_named_queries(client, ids):
    """Every named query of `ids`, BATCH_SIZE per call."""
    queries = []
    for start in range(0, len(ids), BATCH_SIZE):
        queries += _batch_get_named_queries(client, ids[start : start + BATCH_SIZE])
    return queries


def _description(description):
    """A Description is 1 to 1024 characters (Athena API Reference, CreateNamedQuery): an empty one is left out."""
    return {"Description": description} if description else {}


@AthenaErrorHandler.common_error_handler("create named query")
@athena_retry
def create_named_query(client, work_group, name, description, database, query):
    """Returns the new query's ID."""
    return client.create_named_query(
        WorkGroup=work_group, Name=name, Database=database, QueryString=query, **_description(description)
    )["NamedQueryId"]


@AthenaErrorHandler.common_error_handler("update named query")
@athena_retry
def update_named_query(client, query_id, name, description, query):
    """UpdateNamedQuery cannot change a query's database or workgroup (Athena API Reference)."""
    client.update_named_query(NamedQueryId=query_id, Name=name, QueryString=query, **_description(description))
    return True


@AthenaErrorHandler.common_error_handler("delete named query")
@athena_retry
def delete_named_query(client, query_id):
    client.delete_named_query(NamedQueryId=query_id)
    return True
