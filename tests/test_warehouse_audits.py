"""The data tests in warehouse/sql/tests/ pass on the demo's warehouse, and catch a broken row."""

from __future__ import annotations

import shutil

import pytest

from newsalign.warehouse import connect
from newsalign.warehouse.audits import audit_files, run_audits

pytestmark = pytest.mark.xdist_group("demo")  # the tests sharing the one demo run (conftest.demo_run)


@pytest.fixture
def demo_db(demo_run):
    """The warehouse of the one demo run (conftest.demo_run)."""
    demo_run.printed()
    return demo_run.db


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    copy = tmp_path / "demo"
    shutil.copytree(demo_db, copy, ignore=shutil.ignore_patterns(".in-use"))
    return copy


def test_every_audit_names_its_model_and_test():
    assert len(audit_files()) >= 10
    for file in audit_files():
        model, _, test = file.stem.partition("__")
        assert model and test, f"{file.name}: name it <model>__<test>.sql"


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_the_demo_warehouse_passes_every_audit(demo_db):
    with connect(demo_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM v_signal").fetchone()[0] > 0  # the label audits see rows
        assert run_audits(con) == {}


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_broken_row_fails_its_audit_with_the_row(demo_copy):
    with connect(demo_copy) as con:
        (article_id,) = con.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()
        con.execute("UPDATE articles SET word_count = word_count + 1 WHERE id = ?", [article_id])
        con.execute("UPDATE articles SET url = url || '?utm_source=x' WHERE id = ?", [article_id])
        failures = run_audits(con)
    assert set(failures) == {"v_articles_clean__word_count_matches_text", "v_articles_clean__url_without_tracking"}
    assert [row[0] for row in failures["v_articles_clean__word_count_matches_text"]] == [article_id]
    assert failures["v_articles_clean__url_without_tracking"][0][0] == article_id
