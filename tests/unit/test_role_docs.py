"""Every role README's variable table matches its meta/argument_specs.yml (tools/role_docs.py --check).

The check is also run on a copy of the roles whose spec was changed, to show it reports a stale README,
and that rewriting the tables makes it pass again.
"""

import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

import role_docs


def test_every_role_readme_is_generated_from_its_argument_specs(capsys):
    specs = sorted(REPO.glob("roles/*/meta/argument_specs.yml"))
    assert len(specs) == len(list(REPO.glob("roles/*/tasks/main.yml"))), "a role has no meta/argument_specs.yml"
    assert role_docs.main(["--check"]) == 0, capsys.readouterr().out


@pytest.fixture
def roles_copy(tmp_path, monkeypatch):
    """The roles' specs and READMEs copied to tmp_path, which role_docs then treats as the repo, tables rewritten."""
    for spec in REPO.glob("roles/*/meta/argument_specs.yml"):
        role = spec.parent.parent
        target = tmp_path / "roles" / role.name
        (target / "meta").mkdir(parents=True)
        shutil.copy(spec, target / "meta" / spec.name)
        shutil.copy(role / "README.md", target / "README.md")
    monkeypatch.setattr(role_docs, "REPO", tmp_path)
    # Start in step, whatever the checkout's state: the test above judges the checkout.
    assert role_docs.main([]) == 0
    return tmp_path


def test_a_changed_spec_makes_the_check_fail_until_the_tables_are_rewritten(roles_copy, capsys):
    assert role_docs.main(["--check"]) == 0, capsys.readouterr().out
    spec_path = roles_copy / "roles" / "kms_key" / "meta" / "argument_specs.yml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["argument_specs"]["main"]["options"]["kms_key_alias"]["default"] = "alias/changed-in-the-spec"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    readme = roles_copy / "roles" / "kms_key" / "README.md"
    before = readme.read_text()

    assert role_docs.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "roles/kms_key/README.md: the variable table differs from meta/argument_specs.yml" in out
    assert "audit_bucket" not in out, "only the changed role is stale"
    assert readme.read_text() == before, "--check must not rewrite"

    assert role_docs.main([]) == 0
    assert "| `kms_key_alias` | str | `alias/changed-in-the-spec` |" in readme.read_text()
    assert role_docs.main(["--check"]) == 0, capsys.readouterr().out


def test_a_readme_without_the_markers_is_reported(roles_copy, capsys):
    readme = roles_copy / "roles" / "trail" / "README.md"
    readme.write_text(readme.read_text().replace(role_docs.BEGIN, "<!-- table -->"))
    assert role_docs.main(["--check"]) == 1
    assert "roles/trail/README.md: the README has no argument-spec markers" in capsys.readouterr().out
