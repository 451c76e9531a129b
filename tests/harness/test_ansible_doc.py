"""`ansible-doc` renders every module, plugin, filter, test and role of the collection."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from emulator import BIN

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "trailguard.cloudtrail"


def names(kind):
    if kind == "module":
        return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    if kind == "inventory":
        return sorted(p.stem for p in (REPO / "plugins" / "inventory").glob("*.py") if p.stem != "__init__")
    if kind in ("filter", "test"):
        return sorted(p.stem for p in (REPO / "plugins" / kind).glob("*.yml"))
    return sorted(p.parent.parent.name for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))


@pytest.mark.parametrize("kind", ["module", "inventory", "filter", "test", "role"])
def test_ansible_doc_renders(kind):
    plugins = [f"{NAMESPACE}.{name}" for name in names(kind)]
    assert plugins, f"no {kind} found"
    result = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", kind, "--json", *plugins],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert sorted(docs) == sorted(plugins), result.stderr
    for name, doc in docs.items():
        if kind == "role":
            assert doc["entry_points"]["main"]["short_description"], name
            continue
        assert doc["doc"]["short_description"], name
        assert doc["examples"], f"{name} has no EXAMPLES"
        if kind in ("module", "test"):
            assert doc["return"], f"{name} has no RETURN"
            assert yaml.safe_load(doc["examples"]), name
