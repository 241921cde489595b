"""`newsalign export dataset`: the thesis's file format from v_signal."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from newsalign.cli import main
from newsalign.warehouse import connect
from tests.trends_support import add_articles, add_llm, add_series, flat


@pytest.fixture
def labelled(db_path):
    con = connect(db_path)
    add_articles(
        con,
        [
            {"id": "b", "title": "Second", "published": "2024-03-20", "url": "https://example.com/b", "text": "Body B"},
            {"id": "a", "title": "First", "published": "2024-03-02", "url": "https://example.com/a", "text": "Body A"},
            {"id": "pending", "published": "2024-03-03"},
        ],
    )
    add_llm(con, "a", ["Solid-state batteries", "batteries", "obscure thing"], True)
    add_llm(con, "b", ["batteries"], False)
    add_llm(con, "pending", ["never fetched"], True)
    add_series(con, "solid-state batteries", date(2024, 3, 1), [0] * 84 + [100] * 36)
    add_series(con, "batteries", date(2024, 3, 1), flat())
    add_series(con, "obscure thing", date(2024, 3, 1), None)
    con.close()
    return db_path


def test_json_is_the_thesis_format(labelled, tmp_path, capsys):
    out = tmp_path / "dataset.json"
    assert main(["export", "dataset", "--out", str(out), "--db", str(labelled)]) == 0
    assert "2 articles written" in capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert [r["id"] for r in rows] == ["a", "b"]  # by publication date; "pending" has no trend label yet
    assert list(rows[0]) == [
        "id",
        "title",
        "date_published",
        "text",
        "link",
        "gpt_signal",
        "topics",
        "growth",
        "signal",
    ]
    assert rows[0] == {
        "id": "a",
        "title": "First",
        "date_published": "2024-03-02T12:00:00Z",
        "text": "Body A",
        "link": "https://example.com/a",
        "gpt_signal": True,
        "topics": ["Solid-state batteries", "batteries", "obscure thing"],
        "growth": {
            "solid-state batteries": {"g3": 3600.0, "g5": 3600.0, "g10": 3600.0},
            "batteries": {"g3": 3600.0, "g5": 6000.0, "g10": 12000.0},
            "obscure thing": {"g3": None, "g5": None, "g10": None},
        },
        "signal": True,
    }
    assert rows[1]["signal"] is True and rows[1]["gpt_signal"] is False  # flat "batteries" fires the thesis rule


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_jsonl_and_parquet_hold_the_same_rows(labelled, tmp_path):
    main(["export", "dataset", "--out", str(tmp_path / "d.json"), "--db", str(labelled)])
    reference = json.loads((tmp_path / "d.json").read_text())
    assert (
        main(["export", "dataset", "--out", str(tmp_path / "d.jsonl"), "--format", "jsonl", "--db", str(labelled)]) == 0
    )
    lines = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert lines == reference
    assert (
        main(["export", "dataset", "--out", str(tmp_path / "d.parquet"), "--format", "parquet", "--db", str(labelled)])
        == 0
    )
    table = duckdb.sql(f"SELECT id, signal, growth['batteries'].g5 AS g5 FROM '{tmp_path / 'd.parquet'}'").fetchall()
    assert table == [("a", True, 6000.0), ("b", True, 6000.0)]


def test_out_must_be_a_file(labelled, tmp_path, capsys):
    assert main(["export", "dataset", "--out", str(tmp_path), "--db", str(labelled)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_a_bad_label_param_is_one_clear_line(labelled, tmp_path, capsys):
    con = connect(labelled)
    con.execute("UPDATE label_params SET value = 'sideways' WHERE name = 'anchor'")
    con.close()
    assert main(["export", "dataset", "--out", str(tmp_path / "d.json"), "--db", str(labelled)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: label_params.anchor must be published or fetch, not sideways")
    assert "Traceback" not in err and not (tmp_path / "d.json").exists()
