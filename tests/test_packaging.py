"""One installed package: a wheel built from the repository holds `newsalign` and nothing beside it,
and the installed command works inside a project that has its own `training/` or `enrich/` package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("test_packaging")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the files git would commit (setuptools writes build/ into the tree)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("newsalign-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_exactly_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"newsalign", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}


@pytest.mark.slow
def test_wheel_maps_every_layer_and_its_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (
        "newsalign/core/errors.py",
        "newsalign/crawler/settings.py",
        "newsalign/crawler/spiders/bbc.py",
        "newsalign/pipeline/store.py",
        "newsalign/warehouse/db.py",
        "newsalign/enrich/llm/run.py",
        "newsalign/training/export.py",
        "newsalign/cli.py",
    ):
        assert module in names
    assert "newsalign/warehouse/migrations/001_init.sql" in names
    assert any(n.startswith("newsalign/warehouse/sql/marts/") and n.endswith(".sql") for n in names)
    assert any(n.startswith("newsalign/demo/sample/bbc/") for n in names)
    assert any(n.startswith("newsalign/training/configs/") and n.endswith(".yaml") for n in names)


def test_cli_runs_inside_a_project_with_its_own_training_and_enrich_packages(tmp_path):
    for name in ("training", "enrich", "pipeline", "crawler", "warehouse"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the user project, not newsalign')\n")
    done = subprocess.run(
        [sys.executable, "-m", "newsalign", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
