#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: glue_catalog_table
version_added: 1.0.0
short_description: manage an AWS Glue Data Catalog table, and its database, for Amazon Athena
description:
  - Creates or updates a table of the AWS Glue Data Catalog - its columns, partition keys, storage (location,
    input and output formats, SerDe) and table parameters, such as Athena's partition projection - and creates its
    database when it does not exist. One task does both.
  - Reads the database and the table once (C(GetDatabase), C(GetTable)) and writes only what differs
    (C(CreateDatabase) or C(UpdateDatabase), C(CreateTable) or C(UpdateTable)).
  - The table is compared as data, not as text - column names and types without regard to case or spaces,
    parameters as a dictionary - so a run that changes nothing writes nothing, and a table version is added only
    when the definition really changes.
  - Checks Athena's partition projection before any call, as Athena reads it - every partition key projected, every
    C(enum) value without spaces (Athena counts a space as part of the value, so C(111111111111, 222222222222)
    would never match the second account), every C(${key}) of C(storage.location.template) a partition key and no
    empty path segment (such as the C(//) an empty organization ID leaves).
  - With O(state=absent) deletes the table, never the database.
author:
  - Trailguard maintainers (@trailguard)
options:
  database:
    description:
      - The Glue database of the table, 1 to 255 lowercase letters, digits and V(_). It is created when it does not
        exist.
    type: str
    required: true
  database_description:
    description:
      - The database's description. Not set leaves an existing database's description as it is.
    type: str
  name:
    description:
      - The table's name, 1 to 255 lowercase letters, digits and V(_).
    type: str
    required: true
  catalog_id:
    description:
      - The ID of the Data Catalog (an account ID); by default the caller's account.
    type: str
  state:
    description:
      - V(present) creates or updates the table, V(absent) deletes it (never the database).
    type: str
    choices: ["present", "absent"]
    default: present
  description:
    description:
      - The table's description.
    type: str
    default: ""
  table_type:
    description:
      - The table type.
    type: str
    default: EXTERNAL_TABLE
  columns:
    description:
      - The table's columns, in order. Required with O(state=present).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The column's name; compared in lowercase, as Athena reads it.
        type: str
        required: true
      type:
        description: The column's Hive type, such as V(string) or V(struct<arn:string,accountid:string>).
        type: str
        required: true
      comment:
        description: A comment.
        type: str
  partition_keys:
    description:
      - The partition keys, in order (for partition projection, each must be projected in O(parameters)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The key's name.
        type: str
        required: true
      type:
        description: The key's Hive type.
        type: str
        default: string
      comment:
        description: A comment.
        type: str
  location:
    description:
      - The table's S3 location, V(s3://bucket/prefix/). Required with O(state=present).
    type: str
  input_format:
    description:
      - The input format class.
    type: str
    default: org.apache.hadoop.mapred.TextInputFormat
  output_format:
    description:
      - The output format class.
    type: str
    default: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat
  serde:
    description:
      - The serialization library and its parameters.
    type: dict
    default: {}
    suboptions:
      serialization_library:
        description: The SerDe class.
        type: str
        default: org.apache.hive.hcatalog.data.JsonSerDe
      parameters:
        description: The SerDe's parameters.
        type: dict
        default: {}
  parameters:
    description:
      - The table parameters, for example Athena's C(projection.*) properties and C(storage.location.template).
        Values are compared as strings.
    type: dict
    default: {}
  purge_parameters:
    description:
      - Remove table parameters that are not in O(parameters). V(false) keeps them.
    type: bool
    default: true
notes:
  - Settings the module does not manage (the table's owner and retention; the storage descriptor's compression,
    buckets, sort columns and skew) are kept as they are when the table is updated.
  - In check mode a database that does not exist yet has no table, so the table is reported as created.
  - Permissions - C(glue:GetDatabase), C(glue:CreateDatabase), C(glue:UpdateDatabase), C(glue:GetTable),
    C(glue:CreateTable), C(glue:UpdateTable) and C(glue:DeleteTable) on the catalog, the database and the table.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A table over one bucket's CloudTrail logs, with partition projection on region and day
  trailguard.cloudtrail.glue_catalog_table:
    database: cloudtrail
    name: cloudtrail_logs
    columns:
      - {name: eventtime, type: string}
      - {name: eventname, type: string}
      - {name: useridentity, type: "struct<type:string,arn:string,accountid:string>"}
    partition_keys:
      - {name: region}
      - {name: timestamp}
    location: s3://acme-cloudtrail/AWSLogs/111111111111/CloudTrail/
    input_format: com.amazon.emr.cloudtrail.CloudTrailInputFormat
    parameters:
      projection.enabled: "true"
      projection.region.type: enum
      projection.region.values: us-east-1,eu-west-1
      projection.timestamp.type: date
      projection.timestamp.format: yyyy/MM/dd
      projection.timestamp.range: NOW-180DAYS,NOW
      projection.timestamp.interval: "1"
      projection.timestamp.interval.unit: DAYS
      storage.location.template: s3://acme-cloudtrail/AWSLogs/111111111111/CloudTrail/${region}/${timestamp}

- name: Delete the table (its database stays)
  trailguard.cloudtrail.glue_catalog_table:
    database: cloudtrail
    name: cloudtrail_logs
    state: absent
"""

RETURN = r"""
database:
  description: The database's name, description, and whether it existed (C(created) true when this run made it).
  returned: always
  type: dict
  sample: {"name": "cloudtrail", "description": "CloudTrail logs", "created": false}
table:
  description:
    - The table as it is after the run (in check mode, as it would be), in the shape of the options; empty when
      O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: The table's name.
      type: str
      sample: cloudtrail_logs
    description:
      description: The table's description.
      type: str
      sample: CloudTrail logs of the organization
    table_type:
      description: The table type.
      type: str
      sample: EXTERNAL_TABLE
    columns:
      description: The columns, each with C(name), C(type) and, when set, C(comment).
      type: list
      elements: dict
      sample: [{"name": "eventtime", "type": "string"}]
    partition_keys:
      description: The partition keys, in the shape of C(columns).
      type: list
      elements: dict
      sample: [{"name": "timestamp", "type": "string"}]
    location:
      description: The S3 location.
      type: str
      sample: s3://acme-cloudtrail/AWSLogs/o-exampleorgid/
    input_format:
      description: The input format class.
      type: str
      sample: com.amazon.emr.cloudtrail.CloudTrailInputFormat
    output_format:
      description: The output format class.
      type: str
      sample: org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat
    serde:
      description: C(serialization_library) and C(parameters).
      type: dict
      sample: {"serialization_library": "org.apache.hive.hcatalog.data.JsonSerDe", "parameters": {}}
    parameters:
      description: The table parameters.
      type: dict
      sample: {"projection.enabled": "true"}
"""

import re

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import AnsibleGlueError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import create_database
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import create_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import delete_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import get_database
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import get_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import glue_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import update_database
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.glue import update_table
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule

# Athena's rule for database and table names: lowercase letters, digits and underscore (Athena User Guide, "Name
# databases, tables, and columns").
NAME_RE = re.compile(r"^[a-z0-9_]{1,255}$")
PLACEHOLDER_RE = re.compile(r"\$\{([^}]*)\}")
# Settings of a table the module does not manage; UpdateTable would reset them, so they are carried over.
UNMANAGED_TABLE_KEYS = ("Owner", "Retention")
UNMANAGED_STORAGE_KEYS = ("Compressed", "NumberOfBuckets", "BucketColumns", "SortColumns", "SkewedInfo", "Parameters")


# ---------------------------------------------------------------- validation (pure)


def projection_problems(partition_keys, parameters):
    """Why Athena's partition projection in `parameters` would not work, or [] (Athena User Guide, "Partition
    projection with Amazon Athena": "Supported types for partition projection", "Specify custom S3 storage
    locations")."""
    if str(parameters.get("projection.enabled", "")).strip().lower() != "true":
        return []
    problems = []
    keys = [key["name"].lower() for key in partition_keys]
    if not keys:
        problems.append("projection.enabled is true but the table has no partition_keys")
    for key in keys:
        kind = str(parameters.get(f"projection.{key}.type", "")).strip().lower()
        if not kind:
            problems.append(f"the partition key {key} has no projection.{key}.type")
        elif kind == "enum":
            values = str(parameters.get(f"projection.{key}.values", "")).split(",")
            bad = [value for value in values if not value or value != value.strip()]
            if bad:
                problems.append(
                    f"projection.{key}.values has empty values or values with spaces ({bad!r}); Athena counts a "
                    "space as part of the value, so such a partition would never match"
                )
    template = parameters.get("storage.location.template")
    if template is not None:
        template = str(template)
        placeholders = PLACEHOLDER_RE.findall(template)
        unknown = sorted(set(placeholders) - set(keys))
        if unknown:
            problems.append(f"storage.location.template names {unknown}, which are not partition keys")
        missing = [key for key in keys if key not in placeholders]
        if missing:
            problems.append(f"storage.location.template has no placeholder for the partition keys {missing}")
        if not template.startswith("s3://") or "//" in template[len("s3://") :]:
            problems.append(
                f"storage.location.template must be s3://<bucket>/<prefix> with no empty path segment, got {template!r}"
            )
    return problems


def validate_params(params):
    """The first problem of the options that needs no AWS call, or None."""
    if not NAME_RE.match(params["database"]):
        return f"database must be 1 to 255 lowercase letters, digits and '_', got {params['database']!r}"
    if not NAME_RE.match(params["name"]):
        return f"name must be 1 to 255 lowercase letters, digits and '_', got {params['name']!r}"
    if params["state"] == "absent":
        return None
    if not params["columns"]:
        return "columns is required with state=present"
    if not (params["location"] or "").startswith("s3://"):
        return f"location must be an S3 location, s3://<bucket>/<prefix>/, got {params['location']!r}"
    names = [column["name"].lower() for column in params["columns"] + params["partition_keys"]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        return f"columns and partition_keys name {duplicates} more than once"
    problems = projection_problems(params["partition_keys"], wanted_parameters(params["parameters"]))
    if problems:
        return "parameters: " + "; ".join(problems)
    return None


# ---------------------------------------------------------------- wanted and current states (pure)


def canonical_type(hive_type):
    """A Hive type as Glue and Athena compare it: lowercase, no spaces."""
    return re.sub(r"\s+", "", hive_type).lower()


def wanted_parameters(parameters):
    return {
        str(key): "true" if value is True else "false" if value is False else str(value)
        for key, value in parameters.items()
    }


def wanted_column(column):
    state = {"name": column["name"].lower(), "type": canonical_type(column["type"])}
    if column.get("comment"):
        state["comment"] = column["comment"]
    return state


def wanted_table(params):
    serde = params["serde"] or {}
    return {
        "name": params["name"],
        "description": params["description"],
        "table_type": params["table_type"],
        "columns": [wanted_column(column) for column in params["columns"]],
        "partition_keys": [wanted_column(key) for key in params["partition_keys"]],
        "location": params["location"],
        "input_format": params["input_format"],
        "output_format": params["output_format"],
        "serde": {
            "serialization_library": serde.get("serialization_library") or "org.apache.hive.hcatalog.data.JsonSerDe",
            "parameters": wanted_parameters(serde.get("parameters") or {}),
        },
        "parameters": wanted_parameters(params["parameters"]),
    }


def current_column(column):
    state = {"name": column["Name"].lower(), "type": canonical_type(column.get("Type", ""))}
    if column.get("Comment"):
        state["comment"] = column["Comment"]
    return state


def current_table(table):
    """A GetTable answer in the shape of wanted_table()."""
    storage = table.get("StorageDescriptor") or {}
    serde = storage.get("SerdeInfo") or {}
    return {
        "name": table["Name"],
        "description": table.get("Description", ""),
        "table_type": table.get("TableType", ""),
        "columns": [current_column(column) for column in storage.get("Columns", [])],
        "partition_keys": [current_column(key) for key in table.get("PartitionKeys", [])],
        "location": storage.get("Location", ""),
        "input_format": storage.get("InputFormat", ""),
        "output_format": storage.get("OutputFormat", ""),
        "serde": {
            "serialization_library": serde.get("SerializationLibrary", ""),
            "parameters": dict(serde.get("Parameters") or {}),
        },
        "parameters": dict(table.get("Parameters") or {}),
    }


def settled_table(current, wanted, purge_parameters):
    """The wanted table as it will be: without purge, parameters it does not name are kept."""
    if purge_parameters or current is None:
        return wanted
    return dict(wanted, parameters=dict(current["parameters"], **wanted["parameters"]))


def _glue_column(state):
    column = {"Name": state["name"], "Type": state["type"]}
    if "comment" in state:
        column["Comment"] = state["comment"]
    return column


def table_input(state, existing=None):
    """CreateTable's or UpdateTable's TableInput for a wanted_table() state; unmanaged settings of `existing` kept."""
    existing = existing or {}
    storage = {
        key: existing["StorageDescriptor"][key]
        for key in UNMANAGED_STORAGE_KEYS
        if key in (existing.get("StorageDescriptor") or {})
    }
    storage.update(
        Columns=[_glue_column(column) for column in state["columns"]],
        Location=state["location"],
        InputFormat=state["input_format"],
        OutputFormat=state["output_format"],
        SerdeInfo={
            "SerializationLibrary": state["serde"]["serialization_library"],
            "Parameters": state["serde"]["parameters"],
        },
    )
    result = {key: existing[key] for key in UNMANAGED_TABLE_KEYS if key in existing}
    result.update(
        Name=state["name"],
        Description=state["description"],
        TableType=state["table_type"],
        Parameters=state["parameters"],
        PartitionKeys=[_glue_column(key) for key in state["partition_keys"]],
        StorageDescriptor=storage,
    )
    return result


# ---------------------------------------------------------------- changes


def ensure_database(client, name, description, current, catalog_id, check_mode):
    """Create the database, or update its description when one is asked; return (changed, its state)."""
    if current is None:
        if not check_mode:
            create_database(client, dict(Name=name, Description=description or ""), catalog_id)
        return True, {"name": name, "description": description or "", "created": True}
    found = current.get("Description", "")
    if description is None or description == found:
        return False, {"name": name, "description": found, "created": False}
    if not check_mode:
        database_input = {key: current[key] for key in ("LocationUri", "Parameters") if current.get(key)}
        update_database(client, name, dict(database_input, Name=name, Description=description), catalog_id)
    return True, {"name": name, "description": description, "created": False}


def ensure_table(client, database, found, wanted, purge_parameters, catalog_id, check_mode):
    """Create or update the table; return (changed, before or None, after)."""
    current = current_table(found) if found else None
    new = settled_table(current, wanted, purge_parameters)
    if current == new:
        return False, current, new
    if not check_mode:
        if current is None:
            create_table(client, database, table_input(new), catalog_id)
        else:
            update_table(client, database, table_input(new, found), catalog_id)
    return True, current, new


def main():
    column_spec = dict(
        name=dict(type="str", required=True),
        type=dict(type="str", required=True),
        comment=dict(type="str"),
    )
    key_spec = dict(column_spec, type=dict(type="str", default="string"))
    argument_spec = dict(
        database=dict(type="str", required=True),
        database_description=dict(type="str"),
        name=dict(type="str", required=True),
        catalog_id=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str", default=""),
        table_type=dict(type="str", default="EXTERNAL_TABLE"),
        columns=dict(type="list", elements="dict", options=column_spec, default=[]),
        partition_keys=dict(type="list", elements="dict", options=key_spec, default=[], no_log=False),
        location=dict(type="str"),
        input_format=dict(type="str", default="org.apache.hadoop.mapred.TextInputFormat"),
        output_format=dict(type="str", default="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"),
        serde=dict(
            type="dict",
            default={},
            options=dict(
                serialization_library=dict(type="str", default="org.apache.hive.hcatalog.data.JsonSerDe"),
                parameters=dict(type="dict", default={}),
            ),
        ),
        parameters=dict(type="dict", default={}),
        purge_parameters=dict(type="bool", default=True),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate_params(params)
    if error:
        module.fail_json(msg=error)

    database, name, catalog_id = params["database"], params["name"], params["catalog_id"]
    client = module.client("glue", retry_decorator=glue_retry)
    result = dict(changed=False, table={})
    try:
        found_database = get_database(client, database, catalog_id)
        found = get_table(client, database, name, catalog_id) if found_database else None
        if params["state"] == "absent":
            result["database"] = {
                "name": database,
                "description": (found_database or {}).get("Description", ""),
                "created": False,
            }
            if found:
                if not module.check_mode:
                    delete_table(client, database, name, catalog_id)
                result["changed"] = True
                if module._diff:  # pylint: disable=protected-access
                    result["diff"] = dict(before=current_table(found), after={})
            module.exit_json(**result)
        database_changed, result["database"] = ensure_database(
            client, database, params["database_description"], found_database, catalog_id, module.check_mode
        )
        table_changed, before, after = ensure_table(
            client, database, found, wanted_table(params), params["purge_parameters"], catalog_id, module.check_mode
        )
    except AnsibleGlueError as e:
        module.fail_json_aws_error(e)

    result.update(changed=database_changed or table_changed, table=after)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before or {}, after=after if table_changed else before or {})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
