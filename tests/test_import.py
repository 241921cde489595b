"""`newsalign import`: dumps in every format through the pipelines, and its errors."""

from __future__ import annotations

import json

import duckdb
import pytest

from newsalign.cli import main
from newsalign.warehouse import connect
from tests.helpers import AG_NEWS, require_shared

BODY = (
    "The central bank raised interest rates again on Tuesday, surprising markets and economists who had "
    "expected a pause in the tightening cycle this quarter, officials said in a statement on the decision."
)


def thesis_rows():
    """The thesis's JSON shape: id, title, date_published, text, link, plus columns we ignore."""
    return [
        {
            "id": 1,
            "title": "Rates rise",
            "date_published": "2021-05-03T10:00:00Z",
            "text": BODY,
            "link": "https://www.bbc.co.uk/news/a?utm_source=rss",
            "topics": ["rates"],
        },
        {
            "id": 2,
            "title": "Same, tracked",
            "date_published": "2021-05-04T10:00:00Z",
            "text": BODY + " Update.",
            "link": "https://www.bbc.co.uk/news/a?utm_medium=email",
        },
        {
            "id": 3,
            "title": "Future",
            "date_published": "2099-01-01T00:00:00Z",
            "text": BODY.replace("Tuesday", "Friday"),
            "link": "https://www.bbc.co.uk/news/c",
        },
        {
            "id": 4,
            "title": "Empty",
            "date_published": "2021-05-03T10:00:00Z",
            "text": "",
            "link": "https://www.bbc.co.uk/news/d",
        },
        {
            "id": 5,
            "title": "No link",
            "date_published": "2021-05-03T10:00:00Z",
            "text": BODY.replace("bank", "Bank of X"),
            "link": None,
        },
        {
            "id": 6,
            "title": "Bad date",
            "date_published": "last tuesday",
            "text": BODY.replace("markets", "traders"),
            "link": "https://www.bbc.co.uk/news/e",
        },
    ]


def cli(capsys, *args):
    code = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return code, out, err


def reasons(db_path):
    con = connect(db_path, read_only=True)
    return sorted(con.execute("SELECT stage || '/' || reason FROM article_rejects").fetchall())


def test_thesis_json_list_goes_through_every_stage(tmp_path, db_path, capsys):
    dump = tmp_path / "thesis.json"
    dump.write_text(json.dumps(thesis_rows()))
    code, out, err = cli(capsys, "import", dump, "--source", "thesis", "--db", db_path, "--min-words", 20)
    assert code == 0, err
    assert "1 stored, 5 rejected" in out and "validate/missing_field" in out
    assert reasons(db_path) == [
        ("dedup/duplicate_url",),
        ("import/bad_date",),
        ("validate/date_in_future",),
        ("validate/empty_text",),
        ("validate/missing_field",),
    ]
    con = connect(db_path, read_only=True)
    [(source, url, year)] = con.execute("SELECT source, url, year(date_published) FROM v_articles_clean").fetchall()
    assert (source, url, year) == ("thesis", "https://www.bbc.co.uk/news/a", 2021)
    assert con.execute("SELECT spider, source, fetched FROM crawl_runs").fetchall() == [
        ("import:thesis.json", "thesis", 6)
    ]


def test_allow_missing_keeps_rows_without_a_link(tmp_path, db_path, capsys):
    dump = tmp_path / "thesis.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in thesis_rows()[4:5]))
    code, out, _ = cli(capsys, "import", dump, "--db", db_path, "--min-words", 20, "--allow-missing")
    assert code == 0 and "1 stored" in out
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT source, url FROM articles").fetchall() == [("thesis", None)]


def test_csv_and_parquet_and_format_override(tmp_path, db_path, capsys):
    con = duckdb.connect()
    rows = [{"title": "Rates rise", "text": BODY, "url": "https://x.test/a", "date": "2022-01-02 03:04:05"}]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    con.execute(
        f"COPY (SELECT * FROM read_json('{tmp_path / 'rows.json'}')) TO '{tmp_path / 'rows.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM read_json('{tmp_path / 'rows.json'}')) TO '{tmp_path / 'rows.txt'}' (FORMAT csv, HEADER)"
    )
    code, out, err = cli(capsys, "import", tmp_path / "rows.parquet", "--db", db_path, "--min-words", 20)
    assert code == 0 and "1 stored" in out, err
    code, out, err = cli(capsys, "import", tmp_path / "rows.txt", "--format", "csv", "--db", db_path, "--min-words", 20)
    assert code == 0 and "0 stored" in out and "dedup/duplicate_url" in out  # the same row again: no duplicate
    dates = connect(db_path, read_only=True).execute("SELECT date_published FROM articles").fetchall()
    assert [d.isoformat() for (d,) in dates] == ["2022-01-02T03:04:05+00:00"]  # no offset in the file: read as UTC


@pytest.mark.slow  # imports all 7,600 AG News rows, twice
def test_ag_news_has_no_links_or_dates(db_path, capsys):
    require_shared(AG_NEWS)
    code, out, err = cli(capsys, "import", AG_NEWS, "--source", "ag_news", "--db", db_path, "--min-words", 20)
    assert code == 0
    assert "has no url or date column" in err and "read 7600 rows" in out
    con = connect(db_path, read_only=True)
    stored, no_url, no_date, texts = con.execute(
        "SELECT count(*), count(*) FILTER (url IS NULL), count(*) FILTER (date_published IS NULL),"
        " count(*) FILTER (text LIKE title || '%') FROM v_articles_clean"
    ).fetchone()
    assert 7000 < stored < 7600 and stored == no_url == no_date == texts
    too_short = con.execute("SELECT count(*) FROM article_rejects WHERE reason = 'too_short'").fetchone()[0]
    assert too_short > 0  # short items: --min-words matters
    con.close()
    code, out, _ = cli(capsys, "import", AG_NEWS, "--source", "ag_news", "--db", db_path, "--min-words", 20)
    assert code == 0 and " 0 stored" in out
    assert connect(db_path, read_only=True).execute("SELECT count(*) FROM articles").fetchone() == (stored,)


def test_missing_columns_name_them(tmp_path, db_path, capsys):
    dump = tmp_path / "bad.csv"
    dump.write_text("headline,link\nA,https://x.test/a\n")
    code, _, err = cli(capsys, "import", dump, "--db", db_path)
    assert code == 1
    assert (
        err.strip()
        == "Error: bad.csv: missing required column(s): title, text (or body, content, description); it has: headline, link"
    )


@pytest.mark.parametrize(
    "setup, code, message",
    [
        (
            lambda p: p.joinpath("lake").write_text("garbage") and p / "lake",
            1,
            "is a file, not a warehouse folder",
        ),
        (lambda p: p.joinpath("file").write_text("x") and p / "file" / "lake", 1, "cannot create the folder"),
        (lambda p: p, 1, "not a warehouse"),  # a folder of other files
    ],
)
def test_unusable_db_path_is_one_clear_line(tmp_path, capsys, setup, code, message):
    dump = tmp_path / "rows.jsonl"
    dump.write_text(json.dumps({"title": "t", "text": BODY}))
    got, _, err = cli(capsys, "import", dump, "--db", setup(tmp_path))
    assert got == code and "Error: " in err and message in err and "Traceback" not in err


def test_a_missing_db_is_created(tmp_path, capsys):
    dump = tmp_path / "rows.jsonl"
    dump.write_text(json.dumps({"title": "t", "text": BODY, "url": "https://x.test/a", "date": "2020-01-01"}))
    code, out, _ = cli(capsys, "import", dump, "--db", tmp_path / "new" / "lake", "--min-words", 10)
    assert code == 0 and "1 stored" in out and (tmp_path / "new" / "lake").exists()


def test_unreadable_or_unknown_files(tmp_path, db_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"title": "a", ')
    code, _, err = cli(capsys, "import", broken, "--db", db_path)
    assert code == 1 and err.startswith("Error: cannot read") and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "import", tmp_path / "rows.xlsx", "--db", db_path)
    assert code == 1 and "no such file" in err
    ragged = tmp_path / "ragged.csv"  # the bad row lies past the part of the file the CSV sniffer samples
    ragged.write_text("title,text\n" + "".join(f"t{i},body {i}\n" for i in range(30_000)) + "a,b,c,d\n")
    code, _, err = cli(capsys, "import", ragged, "--db", db_path)
    assert code == 1 and err.startswith("Error: cannot read") and len(err.strip().splitlines()) == 1
    (tmp_path / "rows.xlsx").write_text("x")
    code, _, err = cli(capsys, "import", tmp_path / "rows.xlsx", "--db", db_path)
    assert code == 1 and "--format" in err


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_bad_rows_are_recorded_by_row_number_and_every_good_row_is_stored(tmp_path, db_path, capsys):
    # A year Python cannot hold (99999) past the first batch, a date that is no date, a list that is a number.
    rows = [
        {
            "title": f"Story {i}",
            "text": f"{BODY} Story {i} " + " ".join(f"w{i}x{j}" for j in range(20)),
            "url": f"https://x.test/{i}",
            "date": "2021-05-03T10:00:00Z",
            "tags": ["a"],
        }
        for i in range(1, 2001)
    ]
    rows[1500]["date"] = "99999-01-01T00:00:00Z"
    rows[1700]["date"] = "soon"
    rows[1800]["tags"] = 7
    dump = tmp_path / "big.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in rows))
    for _ in range(2):  # a re-run stores nothing twice
        code, out, err = cli(capsys, "import", dump, "--db", db_path, "--min-words", 20, "--language", "all")
        assert code == 0, err
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone() == (1997, 1997)
    first_run = "SELECT run_id FROM crawl_runs ORDER BY started LIMIT 1"
    bad = con.execute(
        f"SELECT reason, detail FROM article_rejects WHERE stage = 'import' AND run_id = ({first_run}) ORDER BY detail"
    ).fetchall()
    assert [(reason, detail.split(":")[0]) for reason, detail in bad] == [
        ("bad_date", "row 1501"),
        ("bad_date", "row 1701"),
        ("bad_type", "row 1801"),
    ]
    assert [s for (s,) in con.execute("SELECT status FROM crawl_runs ORDER BY started").fetchall()] == ["finished"] * 2
