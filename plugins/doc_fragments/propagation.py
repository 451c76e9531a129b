# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The wait for AWS's eventual consistency (plugins/module_utils/propagation.py).
    DOCUMENTATION = r"""
options:
  propagation_timeout:
    description:
      - For up to this many seconds, retry a call that AWS refuses because a change made just before, such as a new
        IAM role, a key, bucket or queue policy, or trusted access, has not reached every AWS endpoint yet.
      - Waits grow from 1/40 of it to at most 1/4, with jitter. V(0) does not wait.
      - When the refusal outlasts it, the module fails with a message that names the likely cause.
      - When not set, the environment variable E(TRAILGUARD_PROPAGATION_TIMEOUT) sets it, so that one setting covers
        every Trailguard module of a playbook run.
    type: int
    default: 120
"""
