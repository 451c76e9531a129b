#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: athena_named_queries
version_added: 1.0.0
short_description: manage a set of Amazon Athena saved (named) queries in one workgroup
description:
  - Manages a set of Athena named queries - the saved queries of the console's C(Saved queries) tab - in one
    workgroup, by name. One task does the whole set.
  - Reads the workgroup (C(GetWorkGroup)) and its queries once (a paginated C(ListNamedQueries), then
    C(BatchGetNamedQuery) for 50 at a time) and writes only what differs - C(CreateNamedQuery) for a new query, C(UpdateNamedQuery) for one whose
    description or SQL differ. C(UpdateNamedQuery) cannot move a query to another database or remove its
    description, so such a query is created anew and its old copy deleted.
  - B(Every query name starts with O(name_prefix), which marks what this module owns.) Queries whose names do not
    start with it are never changed or deleted. Athena allows two queries of one name; the module keeps the first
    (by ID) and reports the others in RV(duplicates).
  - Owned queries are deleted only when asked - those named in O(remove), and with O(purge=true) every owned query
    that is not in O(queries), duplicates included.
author:
  - Trailguard maintainers (@trailguard)
options:
  work_group:
    description:
      - The workgroup the queries are saved in. It must exist.
    type: str
    required: true
  name_prefix:
    description:
      - The start of every query name this module owns. The names in O(queries) and O(remove) must start with it.
      - Choose it so that no query saved by other means starts with it, above all with O(purge=true).
    type: str
    required: true
  queries:
    description:
      - The queries that must exist.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The query's name, at most 128 characters, starting with O(name_prefix) and unique in O(queries).
        type: str
        required: true
      description:
        description:
          - The query's description, at most 1024 characters.
        type: str
        default: ""
      database:
        description:
          - The database the query runs against.
        type: str
        required: true
      query:
        description:
          - The SQL, at most 262144 characters.
        type: str
        required: true
  remove:
    description:
      - Names of owned queries to delete (every copy), each starting with O(name_prefix) and not in O(queries). A
        name that does not exist is no change.
    type: list
    elements: str
    default: []
  purge:
    description:
      - Also delete every owned query of the workgroup that is not in O(queries), and duplicates of those that are.
      - B(Defaults to V(false)), so that only the queries in O(remove) are ever deleted.
    type: bool
    default: false
notes:
  - In check mode a workgroup that does not exist yet has no queries, so every query is reported as created.
    Outside check mode a missing workgroup is an error, raised before anything is changed.
  - Permissions - C(athena:GetWorkGroup), C(athena:ListNamedQueries), C(athena:BatchGetNamedQuery),
    C(athena:CreateNamedQuery), C(athena:UpdateNamedQuery) and C(athena:DeleteNamedQuery) on the workgroup.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - trailguard.cloudtrail.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Save two investigations in the workgroup
  trailguard.cloudtrail.athena_named_queries:
    work_group: acme-cloudtrail
    name_prefix: "trailguard: "
    queries:
      - name: "trailguard: root activity"
        description: Every call made as an account's root user in the last 7 days.
        database: acme_cloudtrail
        query: >-
          SELECT eventtime, account, eventname FROM cloudtrail_logs
          WHERE "timestamp" >= date_format(current_date - INTERVAL '7' DAY, '%Y/%m/%d')
          AND useridentity.type = 'Root'

- name: Keep exactly these queries under the prefix, deleting any other trailguard query
  trailguard.cloudtrail.athena_named_queries:
    work_group: acme-cloudtrail
    name_prefix: "trailguard: "
    queries: "{{ acme_queries }}"
    purge: true
"""

RETURN = r"""
queries:
  description: The queries of O(queries), in their order, after the change (in check mode, as they would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The query's name.
      type: str
      sample: "trailguard: root activity"
    description:
      description: The description.
      type: str
      sample: Every call made as an account's root user in the last 7 days.
    database:
      description: The database.
      type: str
      sample: acme_cloudtrail
    query:
      description: The SQL.
      type: str
      sample: SELECT eventtime FROM cloudtrail_logs
    id:
      description: The named query's ID; null in check mode for a query that does not exist yet.
      type: str
      sample: 0a1b2c3d-4e5f-6789-abcd-ef0123456789
removed:
  description: The owned query names deleted (in check mode, that would be deleted), sorted.
  returned: always
  type: list
  elements: str
  sample: ["trailguard: old investigation"]
duplicates:
  description: Names of O(queries) saved more than once; the extra copies are deleted with O(purge=true).
  returned: always
  type: list
  elements: str
  sample: []
"""

import re

from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import AnsibleAthenaError
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import athena_retry
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import create_named_query
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import delete_named_query
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import get_named_queries
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import get_work_group
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import list_named_query_ids
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.athena import update_named_query
from ansible_collections.trailguard.cloudtrail.plugins.module_utils.modules import TrailguardAWSModule

# Athena API Reference, CreateNamedQuery.
WORK_GROUP_RE = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
MAX_NAME_LENGTH = 128
MAX_DESCRIPTION_LENGTH = 1024
MAX_DATABASE_LENGTH = 255
MAX_QUERY_LENGTH = 262144
FIELDS = ("description", "database", "query")


# ---------------------------------------------------------------- validation (pure)


def validate_query(index, query, prefix):
    where = f"queries[{index}] ({query['name']})"
    if not 1 <= len(query["name"]) <= MAX_NAME_LENGTH:
        return f"{where}: name must be 1 to {MAX_NAME_LENGTH} characters"
    if not query["name"].startswith(prefix):
        return f"{where}: name must start with name_prefix ({prefix!r}), which marks what this module owns"
    if len(query["description"]) > MAX_DESCRIPTION_LENGTH:
        return f"{where}: description is longer than {MAX_DESCRIPTION_LENGTH} characters"
    if not 1 <= len(query["database"]) <= MAX_DATABASE_LENGTH:
        return f"{where}: database must be 1 to {MAX_DATABASE_LENGTH} characters"
    if not query["query"].strip() or len(query["query"]) > MAX_QUERY_LENGTH:
        return f"{where}: query must be 1 to {MAX_QUERY_LENGTH} characters of SQL"
    return None


def validate_params(params):
    """The first problem of the options that needs no AWS call, or None."""
    prefix = params["name_prefix"]
    if not WORK_GROUP_RE.match(params["work_group"]):
        return f"work_group must be 1 to 128 letters, digits, '.', '_' and '-', got {params['work_group']!r}"
    if not 1 <= len(prefix) < MAX_NAME_LENGTH:
        return f"name_prefix must be 1 to {MAX_NAME_LENGTH - 1} characters"
    seen = set()
    for index, query in enumerate(params["queries"]):
        error = validate_query(index, query, prefix)
        if error:
            return error
        if query["name"] in seen:
            return f"queries[{index}] ({query['name']}): the name is in queries twice"
        seen.add(query["name"])
    for index, name in enumerate(params["remove"]):
        if not name.startswith(prefix):
            return f"remove[{index}] ({name}): only names that start with name_prefix ({prefix!r}) can be removed"
        if name in seen:
            return f"remove[{index}] ({name}): the name is also in queries"
    return None


# ---------------------------------------------------------------- wanted and current states (pure)


def wanted_query(query):
    return {field: query[field] for field in ("name",) + FIELDS}


def current_query(named_query):
    """A BatchGetNamedQuery entry in the shape of wanted_query(), with its ID."""
    return {
        "name": named_query["Name"],
        "description": named_query.get("Description") or "",
        "database": named_query["Database"],
        "query": named_query["QueryString"],
        "id": named_query["NamedQueryId"],
    }


def owned_by_name(found, prefix):
    """{name: [current_query(), ...]} of the owned queries, each name's copies sorted by ID."""
    owned = {}
    for named_query in sorted(found, key=lambda item: item["NamedQueryId"]):
        if named_query["Name"].startswith(prefix):
            owned.setdefault(named_query["Name"], []).append(current_query(named_query))
    return owned


def without_id(state):
    return {key: value for key, value in state.items() if key != "id"}


def plan(owned, wanted, remove, purge):
    """(the wanted queries' current copies or None, the copies to delete, the names removed, the duplicated names)."""
    current = {name: (owned.get(name) or [None])[0] for name in wanted}
    duplicates = sorted(name for name in wanted if len(owned.get(name, [])) > 1)
    if purge:
        removed = sorted(set(owned) - set(wanted))
        extra = [copy for name in duplicates for copy in owned[name][1:]]
    else:
        removed = sorted(set(remove) & set(owned))
        extra = []
    deletions = [copy for name in removed for copy in owned[name]] + extra
    return current, deletions, removed, duplicates


# ---------------------------------------------------------------- changes


def ensure_query(client, work_group, current, wanted, check_mode):
    """Create or update one query; return (changed, new state with its ID or None)."""
    if current is not None and without_id(current) == wanted:
        return False, dict(wanted, id=current["id"])
    # UpdateNamedQuery changes neither the database nor a description to none: such a query is saved anew.
    anew = (
        current is None
        or current["database"] != wanted["database"]
        or bool(current["description"] and not wanted["description"])
    )
    query_id = None if anew else current["id"]
    if not check_mode:
        if anew:
            # Created first, so that the investigation is never missing.
            query_id = create_named_query(
                client, work_group, wanted["name"], wanted["description"], wanted["database"], wanted["query"]
            )
            if current is not None:
                delete_named_query(client, current["id"])
        else:
            update_named_query(client, query_id, wanted["name"], wanted["description"], wanted["query"])
    return True, dict(wanted, id=query_id)


def main():
    query_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        database=dict(type="str", required=True),
        query=dict(type="str", required=True),
    )
    argument_spec = dict(
        work_group=dict(type="str", required=True),
        name_prefix=dict(type="str", required=True),
        queries=dict(type="list", elements="dict", options=query_spec, default=[]),
        remove=dict(type="list", elements="str", default=[]),
        purge=dict(type="bool", default=False),
    )
    module = TrailguardAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    error = validate_params(params)
    if error:
        module.fail_json(msg=error)

    work_group = params["work_group"]
    wanted = {query["name"]: wanted_query(query) for query in params["queries"]}
    client = module.client("athena", retry_decorator=athena_retry)
    changed, before, after, queries = False, {}, {}, []
    try:
        # Every read before any write, so that a missing workgroup changes nothing.
        exists = get_work_group(client, work_group) is not None
        if not exists and not module.check_mode:
            module.fail_json(msg=f"work_group: the workgroup {work_group} does not exist in this account and region")
        ids = list_named_query_ids(client, work_group) if exists else []
        owned = owned_by_name(get_named_queries(client, ids or []), params["name_prefix"])
        current, deletions, removed, duplicates = plan(owned, wanted, params["remove"], params["purge"])
        for name, state in wanted.items():
            query_changed, new = ensure_query(client, work_group, current[name], state, module.check_mode)
            queries.append(new)
            if query_changed:
                changed = True
                if current[name] is not None:
                    before[name] = without_id(current[name])
                after[name] = state
        for copy in deletions:
            if not module.check_mode:
                delete_named_query(client, copy["id"])
        for name in removed:
            before[name] = without_id(owned[name][0])
    except AnsibleAthenaError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed or bool(deletions), queries=queries, removed=removed, duplicates=duplicates)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
