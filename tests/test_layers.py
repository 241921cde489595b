"""The layers point one way (README, "Architecture"): a module may import its own layer and the layers
listed for it here, never one above it. Read from the source, function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# folder -> the newsalign subpackage it installs as
FOLDERS = {
    "core": "core",
    "warehouse": "warehouse",
    "crawler": "crawler",
    "pipeline": "pipeline",
    "enrich": "enrich",
    "training": "training",
    "review": "review",
    "newsalign": "app",  # the CLI, its commands and the demo: the top, may import anything
}
# layer -> the other layers it may import
ALLOWED = {
    "core": set(),
    "warehouse": {"core"},
    "crawler": {"core"},
    "pipeline": {"core", "warehouse", "crawler"},
    "enrich": {"core", "warehouse"},
    "training": {"core", "warehouse"},
    "review": {"core", "warehouse", "training"},
    "app": {"core", "warehouse", "crawler", "pipeline", "enrich", "training", "review"},
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
