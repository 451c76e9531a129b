# -*- coding: utf-8 -*-

# Copyright: Contributors to the trailguard.cloudtrail collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiting out AWS's eventual consistency.

For a minute or two after an IAM role, a trust policy, a key, bucket or queue policy, or an organization's trusted
access is created or changed, some AWS endpoints still see the old state (IAM User Guide, "Troubleshoot IAM":
"Changes that I make are not always immediately visible"). A call that depends on the change is then refused with
an error that reads as permanent, such as CloudTrail's InsufficientEncryptionPolicyException. propagation_retry
retries such errors with growing, jittered waits until a time bound, and when they persist fails with a message
that names the likely cause.
"""

import functools
import inspect
import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

# Seconds a module waits for a change to propagate, unless its propagation_timeout option or this variable says.
DEFAULT_PROPAGATION_TIMEOUT = 120
PROPAGATION_TIMEOUT_ENV = "TRAILGUARD_PROPAGATION_TIMEOUT"
PROPAGATION_TIMEOUT_SPEC = dict(
    type="int", default=DEFAULT_PROPAGATION_TIMEOUT, fallback=(env_fallback, [PROPAGATION_TIMEOUT_ENV])
)


def check_propagation_timeout(value):
    """The problem with a propagation_timeout value, or None."""
    if value < 0:
        return f"propagation_timeout must be 0 (no waiting) or more seconds, got {value}"
    return None


def error_code(error):
    """The AWS error code behind an AnsibleAWSError, or None."""
    response = getattr(error.exception, "response", None) or {}
    return response.get("Error", {}).get("Code")


def _named_arguments(signature, args, kwargs):
    """The call's arguments by parameter name, with a **kwargs parameter's own items merged in."""
    named = {}
    for name, value in signature.bind(*args, **kwargs).arguments.items():
        if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        else:
            named[name] = value
    return named


def propagation_retry(explain):
    """Decorate an API wrapper (already wrapped by an AWSErrorHandler) to wait out propagation errors.

    explain(code, arguments) says, as a sentence, why AWS refuses the call with error `code` when waiting does not
    help, or returns None for codes that are not propagation errors (raised at once). `arguments` are the
    wrapper's, by name. The wrapper gains the keyword argument propagation_timeout: how many seconds to keep
    retrying (0: never). Waits grow from 1/40 of it to at most 1/4, jittered (amazon.aws's BackoffIterator).
    After the bound the wrapper raises the handler's own exception class, with a message that adds how long it
    waited and the explanation.
    """

    def decorator(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT, **kwargs):
            started = time.monotonic()
            delays = iter(
                BackoffIterator(
                    delay=propagation_timeout / 40, backoff=2.0, max_delay=propagation_timeout / 4, jitter=True
                )
            )
            attempts = 0
            while True:
                attempts += 1
                try:
                    return func(*args, **kwargs)
                except AnsibleAWSError as e:
                    code = error_code(e)
                    why = explain(code, _named_arguments(signature, args, kwargs)) if code else None
                    if not why:
                        raise
                    waited = time.monotonic() - started
                    if waited >= propagation_timeout:
                        tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
                        message = (
                            f"{e.message} after waiting {waited:.0f} s ({tries}) for recent changes to propagate. "
                            f"{why} If that changed just now, run again, or wait longer with propagation_timeout "
                            f"(or {PROPAGATION_TIMEOUT_ENV}). AWS's answer"
                        )
                        raise type(e)(message=message, exception=e.exception) from e
                    time.sleep(min(next(delays), propagation_timeout - waited))

        return wrapper

    return decorator
