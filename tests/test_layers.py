"""The layers point one way (README, "Architecture"): a module may import its own layer and the layers
listed for it here, never one above it. Read from the source, function-level imports included."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> the newsalign subpackage it installs as
FOLDERS = {
    "core": "core",
    "warehouse": "warehouse",
    "crawler": "crawler",
    "pipeline": "pipeline",
    "enrich": "enrich",
    "training": "training",
    "jobs": "jobs",
    "review": "review",
    "newsalign": "app",  # the CLI, its commands and the demo: the top, may import anything
}
# layer -> the other layers it may import
ALLOWED = {
    "core": set(),
    "warehouse": {"core"},
    "crawler": {"core"},
    "pipeline": {"core", "warehouse", "crawler", "enrich"},
    "enrich": {"core", "warehouse"},
    "training": {"core", "warehouse"},
    "review": {"core", "warehouse", "training"},
    "jobs": {"core", "warehouse", "crawler", "pipeline", "enrich", "training"},
    "app": {"core", "warehouse", "crawler", "pipeline", "enrich", "training", "jobs", "review"},
}


def layer_of(module: str) -> str | None:
    """The layer of an absolute module name, or None for a third-party module."""
    parts = module.split(".")
    if parts[0] != "newsalign":
        return None
    if len(parts) > 1 and parts[1] in ALLOWED and parts[1] != "app":
        return parts[1]
    return "app"


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "newsalign":  # `from newsalign import warehouse`
                for alias in node.names:
                    yield node.lineno, f"newsalign.{alias.name}"
            else:
                yield node.lineno, node.module


def test_no_layer_imports_a_layer_above_it():
    upward = []
    for folder, layer in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, module in imports(path):
                target = layer_of(module)
                if target is not None and target != layer and target not in ALLOWED[layer]:
                    upward.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module} ({target})")
    assert upward == []


def test_the_checker_sees_an_upward_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from newsalign.cli import main\n    from newsalign import training\n")
    found = {layer_of(module) for _, module in imports(probe)}
    assert found == {"app", "training"}
    assert "app" not in ALLOWED["crawler"] and "training" not in ALLOWED["crawler"]


# What the CLI package holds besides its layer links (newsalign/<layer> -> ../<layer>): the command line,
# its output helpers and parameter types (options.py), one module per command, and the demo. Library code
# belongs to a layer.
CLI_PACKAGE = {"__init__.py", "__main__.py", "cli.py", "output.py", "options.py", "commands", "demo"}


def test_the_cli_package_holds_only_the_cli():
    entries = {p.name for p in (ROOT / "newsalign").iterdir() if not p.is_symlink() and p.name != "__pycache__"}
    assert entries == CLI_PACKAGE


def test_every_layer_is_linked_into_the_cli_package_for_static_tools():
    links = {p.name: p.readlink().as_posix() for p in (ROOT / "newsalign").iterdir() if p.is_symlink()}
    assert links == {folder: f"../{folder}" for folder in FOLDERS if folder != "newsalign"}


def test_the_wheel_maps_the_same_folders_as_the_links():
    """pyproject.toml's package-dir (the wheel, the editable install) names each layer's folder as its link does."""
    text = (ROOT / "pyproject.toml").read_text()
    table = text.split("[tool.setuptools.package-dir]", 1)[1].split("\n[", 1)[0]
    mapped = dict(re.findall(r'^"newsalign\.(\w+)" = "(\w+)"$', table, flags=re.MULTILINE))
    assert mapped == {folder: folder for folder in FOLDERS if folder != "newsalign"}


def test_nothing_imports_a_command():
    """Commands are the top: each is loaded by `cli.py` by name when it runs, and calls library code."""
    importers = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.parent.name == "commands" and path.parent.parent.name == "newsalign":
                continue
            for line, module in imports(path):
                if module.startswith("newsalign.commands"):
                    importers.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert importers == []


@pytest.mark.slow
def test_a_static_checker_resolves_every_import():
    """basedpyright, with this repository's settings (`[tool.basedpyright]`: an unresolved import is an error),
    over every layer, the tests, bench/ and scripts/. A test rather than its own step of `make test`, so that
    its ~40 s of one core runs beside the other tests (pytest-xdist fills the time they spend waiting)."""
    checker = Path(sys.executable).with_name("basedpyright")
    done = subprocess.run([str(checker), "--outputjson"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout)
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert errors == [], "\n".join(errors)
    assert report["summary"]["filesAnalyzed"] > 200 and done.returncode == 0, done.stderr
