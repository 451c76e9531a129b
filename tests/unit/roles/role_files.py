"""A role's files as Ansible reads them, for the unit tests that render a role's templates."""

from pathlib import Path

import yaml
from ansible.template import trust_as_template

ROLES = Path(__file__).resolve().parents[3] / "roles"


def trusted(value):
    """Role files as Ansible loads them: every string a template."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


def role_variables(role, **settings):
    """The role's defaults and vars, with `settings` over them, every string a template."""
    variables = {}
    for name in ("defaults", "vars"):
        path = ROLES / role / name / "main.yml"
        if path.exists():
            variables.update(yaml.safe_load(path.read_text()) or {})
    variables.update(settings)
    return trusted(variables)
