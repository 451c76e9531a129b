"""execution-environment.yml gives ansible-builder a valid build context, with no container runtime or network.

`ansible-builder create` runs on a copy of the definition next to a freshly built collection tarball. The
Containerfile must name the base image and the pinned ansible-core and ansible-runner, and the context must
hold our requirements.txt, bindep.txt, the galaxy requirements and the tarball. The galaxy stage's install
is then replayed offline from the context's _build directory (amazon.aws and community.aws come from the
venv, at the versions the EE pins), and the builder stage's introspection of the installed collections must
find our Python and system requirements, which only the tarball carries.
"""

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SITE_COLLECTIONS = Path(metadata.distribution("ansible").locate_file("ansible_collections"))


def clean_env():
    """No ANSIBLE_* settings and no PYTHONPATH: nothing may find the checkout as a collection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(*args, cwd):
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=clean_env(), check=False)
    assert result.returncode == 0, f"{' '.join(map(str, args))}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def collection_version(name):
    namespace, collection = name.split(".")
    manifest = SITE_COLLECTIONS / namespace / collection / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"]


@pytest.fixture(scope="module")
def definition():
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


@pytest.fixture(scope="module")
def context(tmp_path_factory, definition):
    """The build context `ansible-builder create` makes from a copy of the definition and its files."""
    work = tmp_path_factory.mktemp("ee")
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(REPO / name, work / name)
    # The tarball as `make build` makes it, where the definition's additional_build_files expects it.
    dist = work / Path(definition["additional_build_files"][0]["src"]).parent
    run(BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, REPO, cwd=work)
    run(
        BIN / "ansible-builder",
        "create",
        "-f",
        work / "execution-environment.yml",
        "-c",
        work / "context",
        "--output-filename",
        "Containerfile",
        cwd=work,
    )
    return work / "context"


def test_the_versions_are_the_ones_the_tests_run_with(definition):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    deps = definition["dependencies"]
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={metadata.version('ansible-core')}"
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={metadata.version('ansible-runner')}"
    pinned = {item["name"]: item.get("version") for item in deps["galaxy"]["collections"]}
    for dependency in galaxy["dependencies"]:
        assert pinned[dependency] == f"=={collection_version(dependency)}", dependency
    tarball = f"trailguard-cloudtrail-{galaxy['version']}.tar.gz"
    assert pinned[f"collections/{tarball}"] is None
    assert definition["additional_build_files"] == [{"src": f".build/dist/{tarball}", "dest": "collections"}]
    assert deps["python"] == "requirements.txt"
    assert deps["system"] == "bindep.txt"


def test_the_context_has_the_containerfile_and_our_files(context, definition):
    containerfile = (context / "Containerfile").read_text()
    base_image = definition["images"]["base_image"]["name"]
    assert f'ARG EE_BASE_IMAGE="{base_image}"' in containerfile
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={metadata.version("ansible-core")} ' in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile

    build = context / "_build"
    assert (build / "requirements.txt").read_text() == (REPO / "requirements.txt").read_text()
    assert (build / "bindep.txt").read_text() == (REPO / "bindep.txt").read_text()
    tarballs = sorted(path.name for path in (build / "collections").iterdir())
    assert tarballs == [Path(definition["additional_build_files"][0]["src"]).name]


def test_the_galaxy_and_builder_stages_resolve_offline(context, tmp_path):
    # The galaxy stage runs `ansible-galaxy collection install -r requirements.yml` in /build (= _build).
    build = context / "_build"
    collections = tmp_path / "collections"
    install = run(
        BIN / "ansible-galaxy",
        "collection",
        "install",
        "--offline",
        "-r",
        "requirements.yml",
        "-p",
        collections,
        cwd=build,
    )
    assert "trailguard.cloudtrail:" in install.stdout and "was installed successfully" in install.stdout
    installed = collections / "ansible_collections" / "trailguard" / "cloudtrail"
    assert (installed / "MANIFEST.json").exists()

    # The builder stage: introspect the installed collections, merged with the definition's own files.
    out = tmp_path / "introspect"
    run(
        BIN / "ansible-builder",
        "introspect",
        "--user-pip",
        build / "requirements.txt",
        "--user-bindep",
        build / "bindep.txt",
        "--write-pip",
        out / "requirements.txt",
        "--write-bindep",
        out / "bindep.txt",
        collections,
        cwd=tmp_path,
    )
    pip = (out / "requirements.txt").read_text()
    bindep = (out / "bindep.txt").read_text()
    assert "# from collection trailguard.cloudtrail" in pip
    assert "boto3>=1.38.23" in pip
    assert "# from collection trailguard.cloudtrail" in bindep
    assert "ca-certificates [platform:rpm platform:dpkg]" in bindep
