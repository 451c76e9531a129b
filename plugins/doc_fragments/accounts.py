# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The modules that work in many accounts from the management account (plugins/module_utils/accounts.py);
    # each has an option accounts whose items may set role_name or role_arn.
    DOCUMENTATION = r"""
options:
  assume_role_name:
    description:
      - The role assumed in every account but the management account (worked on with the caller's own credentials),
        unless an option names another for that account, such as O(accounts[].role_name) or O(accounts[].role_arn).
    type: str
    default: OrganizationAccountAccessRole
  max_workers:
    description:
      - How many accounts are worked on at the same time.
    type: int
    default: 10
"""
