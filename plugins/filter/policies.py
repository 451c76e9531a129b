# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Jinja2 filters that build Trailguard's IAM policy documents from data.

The builders live in plugins/plugin_utils/policies.py; each filter's docs are
in the .yml file of the same name beside this one.
"""

from ansible_collections.trailguard.cloudtrail.plugins.plugin_utils import policies


class FilterModule:
    def filters(self):
        return {
            "access_log_bucket_policy": policies.access_log_bucket_policy,
            "audit_bucket_policy": policies.audit_bucket_policy,
            "kms_key_policy": policies.kms_key_policy,
            "scp_deny_trail_tampering": policies.scp_deny_trail_tampering,
            "scp_protect_log_archive": policies.scp_protect_log_archive,
            "service_role_trust": policies.service_role_trust,
            "cloudtrail_logs_role_policy": policies.cloudtrail_logs_role_policy,
            "merge_policy": policies.merge_policy,
            "alarm_topic_policy": policies.alarm_topic_policy,
            "alarm_topic_key_policy": policies.alarm_topic_key_policy,
            "siem_queue_policy": policies.siem_queue_policy,
            "siem_key_policy": policies.siem_key_policy,
            "siem_consumer_trust": policies.siem_consumer_trust,
            "siem_consumer_policy": policies.siem_consumer_policy,
            "mfa_required_policy": policies.mfa_required_policy,
            "config_bucket_statements": policies.config_bucket_statements,
            "config_kms_key_statements": policies.config_kms_key_statements,
            "config_recorder_delivery_policy": policies.config_recorder_delivery_policy,
            "deploy_role_trust": policies.deploy_role_trust,
            "scp_protect_roles": policies.scp_protect_roles,
            "runner_policy": policies.runner_policy,
            "tamper_alerts_bus_policy": policies.tamper_alerts_bus_policy,
            "event_bus_forwarder_policy": policies.event_bus_forwarder_policy,
            "athena_results_bucket_policy": policies.athena_results_bucket_policy,
            "athena_results_key_policy": policies.athena_results_key_policy,
            "athena_reader_trust": policies.athena_reader_trust,
            "athena_reader_policy": policies.athena_reader_policy,
        }
