"""`newsalign import` of newsletters: .eml files, folders of them and mbox archives, through the pipelines."""

from __future__ import annotations

import mailbox
import random
from email.message import EmailMessage
from pathlib import Path

import pytest

from newsalign.cli import main
from newsalign.warehouse import connect

WORDS = (
    "council tram line budget harbour school river bridge festival museum library market station election "
    "hospital airport stadium factory farmers teachers nurses drivers tourists students rain storm summer"
).split()


def paragraph(seed: int) -> str:
    """Sixty words of its own per seed (issues must not be near-duplicates of one another)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."


def cli(capsys, *args):
    code = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return code, out, err


def issue(n: int, *, sender="Daily Brief <news@brief.example.com>", date="Tue, 05 Nov 2024 07:30:00 +0100", html=True):
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = f"Daily Brief #{n}: tram line approved"
    if date:
        message["Date"] = date
    body = [f"Issue {n}. " + paragraph(n), paragraph(1000 + n) + f" More in issue {n}."]
    message.set_content("\n\n".join(body))
    if html:
        paragraphs = "".join(f"<p>{p}</p>" for p in body)
        message.add_alternative(
            f"<html><body><nav><a href='/'>Home</a></nav>{paragraphs}<footer>Unsubscribe</footer></body></html>",
            subtype="html",
        )
    return message


def stored(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT source, title, date_published::VARCHAR, url, text FROM articles ORDER BY title"
        ).fetchall()
    finally:
        con.close()


def rejects(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return sorted(con.execute("SELECT stage, reason, url FROM article_rejects").fetchall())
    finally:
        con.close()


def test_an_eml_file_is_one_article(tmp_path, db_path, capsys):
    path = tmp_path / "brief.eml"
    path.write_bytes(bytes(issue(1)))
    code, out, err = cli(capsys, "import", path, "--db", db_path, "--min-words", 20)
    assert code == 0, err
    [(source, title, date, url, text)] = stored(db_path)
    assert (source, title, date, url) == (
        "newsletter:brief.example.com",
        "Daily Brief #1: tram line approved",
        "2024-11-05 06:30:00+00",
        None,
    )
    assert text.startswith(f"Issue 1. {paragraph(1)}") and text.endswith("More in issue 1.")
    assert "Unsubscribe" not in text and "Home" not in text


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_folder_and_an_mbox_archive(tmp_path, db_path, capsys):
    folder = tmp_path / "letters"
    (folder / "2024").mkdir(parents=True)
    for n in range(3):
        (folder / "2024" / f"{n}.eml").write_bytes(bytes(issue(n, html=n != 2)))
    code, out, err = cli(capsys, "import", folder, "--db", db_path, "--min-words", 20)
    assert code == 0, err
    assert [row[1] for row in stored(db_path)] == [f"Daily Brief #{n}: tram line approved" for n in range(3)]
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for n in range(3, 6):
        box.add(issue(n, sender=f"Tech Weekly <editor@tech{n % 2}.example.org>"))
    box.add(issue(1))  # the same issue as imported from the folder: a duplicate, stored once
    box.flush()
    code, out, err = cli(capsys, "import", tmp_path / "archive.mbox", "--db", db_path, "--min-words", 20)
    assert code == 0, err
    sources = sorted(row[0] for row in stored(db_path))
    assert sources == ["newsletter:brief.example.com"] * 3 + [
        "newsletter:tech0.example.org",
        "newsletter:tech1.example.org",
        "newsletter:tech1.example.org",
    ]
    assert [r[:2] for r in rejects(db_path)] == [("dedup", "duplicate_content")]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_bad_messages_are_rejected_with_reasons(tmp_path, db_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "no_date.eml").write_bytes(bytes(issue(1, date=None)))
    (folder / "bad_date.eml").write_bytes(bytes(issue(2, date="next Tuesday")))
    (folder / "no_sender.eml").write_bytes(bytes(issue(3, sender="undisclosed")))
    charset = bytes(issue(4, html=False)).replace(b'charset="utf-8"', b'charset="x-no-such-charset"')
    (folder / "charset.eml").write_bytes(charset.replace(b"charset=utf-8", b"charset=x-no-such-charset"))
    huge = issue(5, html=False)
    huge.set_content("word " * 1_200_000)
    (folder / "huge.eml").write_bytes(bytes(huge))
    (folder / "broken.eml").write_bytes(
        b"From: a@b.example\r\nDate: Tue, 05 Nov 2024 07:30:00 +0000\r\nSubject: x\r\n"
        b'Content-Type: multipart/alternative; boundary="zz"\r\n\r\nno boundary ever comes\r\n'
    )
    (folder / "image_only.eml").write_bytes(
        b"From: a@b.example\r\nDate: Tue, 05 Nov 2024 07:30:00 +0000\r\nSubject: y\r\n"
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    )
    (folder / "good.eml").write_bytes(bytes(issue(9)))
    code, out, err = cli(capsys, "import", folder, "--db", db_path, "--min-words", 20)
    assert code == 0, err
    assert "Traceback" not in err
    assert [row[1] for row in stored(db_path)] == ["Daily Brief #9: tram line approved"]
    assert {(reason, url) for _, reason, url in rejects(db_path)} == {
        ("bad_date", "no_date.eml"),
        ("bad_date", "bad_date.eml"),
        ("no_sender", "no_sender.eml"),
        ("bad_charset", "charset.eml"),
        ("too_large", "huge.eml"),
        ("no_body", "broken.eml"),
        ("no_body", "image_only.eml"),
    }


def test_unusable_paths_are_one_line(tmp_path, db_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = cli(capsys, "import", tmp_path / "empty", "--db", db_path)
    assert code == 1 and err.strip() == f"Error: {tmp_path / 'empty'} holds no .eml files"
    (tmp_path / "not.mbox").write_text("hello\n")
    code, _, err = cli(capsys, "import", tmp_path / "not.mbox", "--db", db_path)
    assert code == 1 and "is not an mbox archive" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "import", tmp_path / "missing.eml", "--db", db_path)
    assert code == 1 and "no such file" in err
