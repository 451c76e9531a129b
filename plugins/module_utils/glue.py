# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Thin wrappers around the AWS Glue Data Catalog database and table API, in the style of amazon.aws's iam.py.

Every wrapper retries throttling and turns any other botocore error into AnsibleGlueError("Failed to <verb
noun>"), so a module needs exactly one `except AnsibleGlueError`. A missing database or table is
EntityNotFoundException; the getters return None for it.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Glue throttles with ThrottlingException; ConcurrentModificationException is a parallel change, safe to retry.
glue_retry = AWSRetry.jittered_backoff(
    catch_extra_error_codes=["ThrottlingException", "ConcurrentModificationException"]
)


class AnsibleGlueError(AnsibleAWSError):
    pass


class GlueErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleGlueError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("EntityNotFoundException")


def _catalog(catalog_id):
    return {"CatalogId": catalog_id} if catalog_id else {}


@GlueErrorHandler.list_error_handler("get database")
@glue_retry
def get_database(client, name, catalog_id=None):
    return client.get_database(Name=name, **_catalog(catalog_id))["Database"]


@GlueErrorHandler.common_error_handler("create database")
@glue_retry
def create_database(client, database_input, catalog_id=None):
    client.create_database(DatabaseInput=database_input, **_catalog(catalog_id))
    return True


@GlueErrorHandler.common_error_handler("update database")
@glue_retry
def update_database(client, name, database_input, catalog_id=None):
    client.update_database(Name=name, DatabaseInput=database_input, **_catalog(catalog_id))
    return True


@GlueErrorHandler.list_error_handler("get table")
@glue_retry
def get_table(client, database, name, catalog_id=None):
    return client.get_table(DatabaseName=database, Name=name, **_catalog(catalog_id))["Table"]


@GlueErrorHandler.common_error_handler("create table")
@glue_retry
def create_table(client, database, table_input, catalog_id=None):
    client.create_table(DatabaseName=database, TableInput=table_input, **_catalog(catalog_id))
    return True


@GlueErrorHandler.common_error_handler("update table")
@glue_retry
def update_table(client, database, table_input, catalog_id=None):
    """UpdateTable replaces the table's definition with `table_input` (AWS Glue API, UpdateTable)."""
    client.update_table(DatabaseName=database, TableInput=table_input, **_catalog(catalog_id))
    return True


@GlueErrorHandler.deletion_error_handler("delete table")
@glue_retry
def delete_table(client, database, name, catalog_id=None):
    client.delete_table(DatabaseName=database, Name=name, **_catalog(catalog_id))
    return True
