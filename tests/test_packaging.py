"""A built wheel, installed into a fresh virtualenv, runs from its own files: `init-db` finds the schema,
the saved-query catalogue loads, the Neo4j pom ships, and local state goes to the working directory.

The wheel is built offline from a copy of the checkout (so a stale `build/` or a concurrent edit cannot
leak in) and installed without its dependencies; the fresh venv borrows them through a `.pth` line that
names this venv's site-packages. Python does not process `.pth` files inside a directory added that way,
so the checkout's editable `ccms_graph` stays invisible there, and the first test proves it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccms_graph import neo4j_server, settings
from ccms_graph.db import install_schema

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ccms_graph", "cypher", "seed")
#: Top-level folders of the checkout that are local state or build output, never sources.
NOT_SOURCES = {"node_modules", "var", "build", "dist", "test-artifacts"}

#: Run inside the fresh venv: where everything it uses was loaded from, and the settings it defaults to.
PROBE = """
import json, sys
import ccms_graph, cypher
from ccms_graph import db, neo4j_server, settings
from ccms_graph.queries import loader

s = settings.load_settings()
print(json.dumps({
    "prefix": sys.prefix,
    "ccms_graph": ccms_graph.__file__,
    "cypher": cypher.__file__,
    "cypher_dir": str(settings.CYPHER_DIR),
    "query_dir": str(loader.QUERY_DIR),
    "query_paths": sorted(q.path for q in loader.catalogue_queries().values()),
    "schema": db.cypher("schema"),
    "pom": str(neo4j_server.POM),
    "pom_text": neo4j_server.POM.read_text(),
    "source_checkout": settings.SOURCE_CHECKOUT,
    "neo4j_home": str(s.neo4j_home),
    "file_store": str(s.file_store),
}))
"""


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the wheel installed, and the source tree the wheel was built from."""

    venv: Path
    site: Path
    src: Path

    def run(self, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
        """Run a command with no CCMS_* or PYTHON* variable of ours leaking in, only `env`."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CCMS_", "PYTHON"))}
        return _sh(args, cwd=cwd, env={**clean, "PYTHONNOUSERSITE": "1", **env})

    def probe(self, cwd: Path, **env: str) -> dict:
        return json.loads(self.run([str(self.venv / "bin" / "python"), "-c", PROBE], cwd, **env).stdout)


def _sh(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command; its output becomes the failure message if it fails."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(folder) == REPO:
        skipped |= {n for n in names if n.startswith(".") or n in NOT_SOURCES}
    return skipped


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("packaging")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    shutil.copytree(REPO, src, symlinks=True, ignore=_ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _sh([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", str(src), "-w", str(dist)], cwd=src)
    (wheel,) = dist.glob("ccms_graph-*.whl")
    _sh([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = str(venv / "bin" / "python")
    _sh([*pip, "--python", python, "install", "--no-deps", "--no-index", str(wheel)])
    site = Path(_sh([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    # Only now, so pip above never saw (and could never uninstall) the editable install of this venv.
    ours = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))
    (site / "_ccms_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    return Installed(venv=venv, site=site, src=src)


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")}


def _schema_names(text: str) -> tuple[set[str], set[str]]:
    """The constraint and index names a schema file creates."""
    made = re.findall(r"^CREATE (?:[A-Z]+ )?(CONSTRAINT|INDEX) (\w+)", text, re.MULTILINE)
    return ({name for kind, name in made if kind == "CONSTRAINT"},
            {name for kind, name in made if kind == "INDEX"})


def _schema_in_database(graph) -> tuple[set[str], set[str]]:
    return ({r["name"] for r in graph.query("SHOW CONSTRAINTS YIELD name")},
            {r["name"] for r in graph.query("SHOW INDEXES YIELD name")})


def _drop_schema(graph) -> None:
    """Drop every constraint and index but the built-in token lookups (names come from the server)."""
    for row in graph.query("SHOW CONSTRAINTS YIELD name"):
        graph.query(f"DROP CONSTRAINT `{row['name']}`", write=True)
    for row in graph.query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
        graph.query(f"DROP INDEX `{row['name']}`", write=True)


def test_the_fresh_venv_runs_the_wheels_files_not_the_checkouts(installed, tmp_path):
    found = installed.probe(tmp_path)
    inside = installed.site.resolve()
    for key in ("ccms_graph", "cypher", "cypher_dir", "query_dir", "pom"):
        assert Path(found[key]).resolve().is_relative_to(inside), f"{key} is {found[key]}, not in the wheel"
    assert found["query_paths"] and all(Path(p).resolve().is_relative_to(inside) for p in found["query_paths"])
    assert found["source_checkout"] is False
    assert found["schema"] == (installed.src / "cypher" / "schema.cypher").read_text()
    assert found["pom_text"] == (installed.src / "deploy" / "neo4j" / "pom.xml").read_text()


def test_the_wheel_carries_every_file_of_its_packages(installed):
    for package in PACKAGES:
        assert _files(installed.site / package) == _files(installed.src / package), package
    assert (installed.site / "ccms_graph" / "web" / "templates").is_dir()
    assert not (installed.site / "tests").exists()


def test_init_db_from_the_wheel_installs_the_schema(installed, graph, test_settings, tmp_path):
    constraints, indexes = _schema_names((installed.src / "cypher" / "schema.cypher").read_text())
    assert "case_uid" in constraints and "person_names" in indexes
    _drop_schema(graph)
    try:
        before_constraints, before_indexes = _schema_in_database(graph)
        assert not before_constraints & constraints and not before_indexes & indexes  # or the check proves nothing
        done = installed.run(
            [str(installed.venv / "bin" / "ccms-graph"), "init-db"], tmp_path,
            CCMS_NEO4J_URI=test_settings.bolt_uri, CCMS_NEO4J_USER=test_settings.neo4j_user,
            CCMS_NEO4J_PASSWORD=test_settings.neo4j_password,
            CCMS_NEO4J_DATABASE=test_settings.neo4j_database)
        assert done.stdout.startswith("schema installed")
        have_constraints, have_indexes = _schema_in_database(graph)
        assert constraints - have_constraints == set()
        assert indexes - have_indexes == set()
    finally:
        install_schema(graph)  # the rest of the session expects the schema, whatever happened here


def test_the_saved_query_catalogue_lists_from_the_wheel(installed, tmp_path):
    listed = json.loads(installed.run([str(installed.venv / "bin" / "ccms-graph"), "queries", "list"],
                                      tmp_path).stdout)
    shipped = {p.stem for p in (installed.src / "cypher" / "queries").glob("*.cypher")}
    assert len(shipped) >= 12
    assert {q["name"] for q in listed} == shipped


def test_a_wheel_install_keeps_local_state_in_the_working_directory_or_ccms_home(installed, tmp_path):
    here = installed.probe(tmp_path)
    assert (here["neo4j_home"], here["file_store"]) == (str(tmp_path / ".neo4j"), str(tmp_path / "var" / "files"))
    home = tmp_path / "instance"
    there = installed.probe(tmp_path, CCMS_HOME=str(home))
    assert (there["neo4j_home"], there["file_store"]) == (str(home / ".neo4j"), str(home / "var" / "files"))


def test_a_checkout_reads_its_own_cypher_folder_and_keeps_state_at_its_root():
    assert settings.SOURCE_CHECKOUT is True
    assert settings.CYPHER_DIR == REPO / "cypher"
    assert neo4j_server.POM.read_text() == (REPO / "deploy" / "neo4j" / "pom.xml").read_text()
    defaults = settings.Settings()
    assert (defaults.neo4j_home, defaults.file_store) == (REPO / ".neo4j", REPO / "var" / "files")
