"""`newsalign review` through its HTTP interface (Starlette's TestClient, no server, no browser): the
token, the security headers, escaping, decisions and undo in the lake, the queues, and two simulated
annotators whose labels and kappas are checked against values computed by hand."""

from __future__ import annotations

import random
import re

import duckdb
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from newsalign.cli import cli
from newsalign.review.app import CSP
from newsalign.review.queues import CLAIM, GoldQueue, disagree_queue, draw_gold
from newsalign.review.state import ReviewState
from newsalign.review.store import ReviewError
from newsalign.warehouse import connect
from newsalign.warehouse.lake import Lake, setup_sql
from tests.review_support import SOURCES, Annotator, demo_like_lake
from tests.trends_support import add_articles


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    yield con
    con.close()


def decisions(con) -> list[tuple]:
    return con.execute(
        "SELECT article_id, annotator, decision, queue, undone_at IS NOT NULL FROM human_labels ORDER BY decided_at, decision_id"
    ).fetchall()


def test_no_token_no_read_no_write(con):
    demo_like_lake(con)
    draw_gold(con, seed=1)
    ann = Annotator(con, GoldQueue.load(con), "ann")
    for token in ("", "wrong"):
        for path in ("/api/next", "/api/decide", "/api/undo"):
            answer = ann.post(path, {"article_id": "bbc-00", "decision": "signal"}, token=token)
            assert answer.status_code == 403
            assert "write token" in answer.json()["error"]
    assert decisions(con) == []
    assert con.execute("SELECT count(*) FROM review_claims").fetchone() == (0,)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_every_response_carries_the_strict_policy_and_the_page_has_no_inline_script(con):
    demo_like_lake(con)
    ann = Annotator(con, disagree_queue(con), "ann")
    page = ann.client.get("/")
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "default-src 'none'" in CSP
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/review.js" defer>']
    assert re.findall(r"\son\w+\s*=", page.text) == []  # no onclick= and the like
    script = ann.client.get("/static/review.js")
    assert script.status_code == 200 and script.headers["content-security-policy"] == CSP
    assert "innerHTML = item.html" in script.text and "eval(" not in script.text
    assert ann.post("/api/next").headers["content-security-policy"] == CSP


def test_a_hostile_article_is_escaped_text(con):
    add_articles(
        con,
        [
            {
                "id": "evil",
                "title": '<img src=x onerror="alert(1)">',
                "text": "<script>document.title='owned'</script> body",
            }
        ],
    )
    draw_gold(con, seed=1)
    (item,) = Annotator(con, GoldQueue.load(con), "ann").next()["items"]
    assert "<img" not in item["html"] and "<script" not in item["html"]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in item["html"]
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt; body" in item["html"]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_decide_skip_undo_leave_exactly_those_decisions(con):
    demo_like_lake(con)
    draw_gold(con, seed=3)
    ann = Annotator(con, GoldQueue.load(con), "ann")
    first, second = (item["id"] for item in ann.next()["items"])
    answer = ann.decide(first, "signal", exclude=[second])
    (third,) = (item["id"] for item in answer["items"])
    assert third not in (first, second)
    assert answer["progress"]["decided"] == 1 and answer["progress"]["left"] == sum(SOURCES.values()) - 1
    ann.decide(second, "skip", exclude=[third])
    ann.decide(third, "not")
    undone = ann.post("/api/undo").json()
    assert undone["undone"] == third and undone["item"]["id"] == third
    assert decisions(con) == [
        (first, "ann", "signal", "gold", False),
        (second, "ann", "skip", "gold", False),
        (third, "ann", "not", "gold", True),
    ]
    assert con.execute("SELECT id, signal FROM v_human_signal").fetchall() == [(first, True)]
    assert "signal" not in ann.next()["items"][0]["html"].lower().split("</h1>")[1]  # gold hides the labels


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_bad_decisions_and_gone_articles_record_nothing(con):
    demo_like_lake(con)
    ann = Annotator(con, disagree_queue(con), "ann")
    answer = ann.post("/api/decide", {"article_id": "bbc-00", "decision": "maybe"})
    assert answer.status_code == 400 and "decision must be one of" in answer.json()["error"]
    garbled = ann.client.post("/api/decide", content=b"{not json", headers={"X-Review-Token": ann.token})
    assert garbled.status_code == 400 and garbled.json() == {"error": "the request body is not JSON"}
    con.execute("UPDATE articles SET superseded_by = 'bbc-01' WHERE id = 'bbc-02'")
    answer = ann.decide("bbc-02", "signal")
    assert answer["decision_id"] is None
    assert answer["notes"] == ["article bbc-02 was superseded by bbc-01 (a near-duplicate): skipped, nothing recorded"]
    assert decisions(con) == []


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_disagree_queue_shows_the_labels_and_only_disagreements(con):
    demo_like_lake(con)
    expected = {
        row[0]
        for row in con.execute("SELECT article_id FROM int_topics_labels WHERE gpt_signal <> trend_signal").fetchall()
    }
    ann = Annotator(con, disagree_queue(con), "ann")
    seen = [item for item in ann.next(want=10)["items"]]
    assert {item["id"] for item in seen} <= expected and len(seen) == min(10, len(expected))
    with_series = [item for item in seen if "rising chips" in item["html"]]
    assert with_series and all("<polyline" in item["html"] and "LLM:" in item["html"] for item in with_series)


def test_gold_is_stratified_by_source_and_its_seed_recorded(con):
    demo_like_lake(con)
    assert draw_gold(con, seed=7, overlap=0.5) == (7, 20)
    assert draw_gold(con) == (7, 20)  # drawn once
    with pytest.raises(ReviewError, match="drawn with seed 7, not 8"):
        draw_gold(con, seed=8)
    order = [row[0] for row in con.execute("SELECT source FROM review_gold ORDER BY position").fetchall()]
    for prefix in (5, 10, 20):  # every prefix holds each source in proportion (12:6:2), within one article
        for source, n in SOURCES.items():
            assert abs(order[:prefix].count(source) - prefix * n / 20) <= 1
    overlap = con.execute("SELECT count(*) FILTER (WHERE overlap) FROM review_gold").fetchone()[0]
    assert 3 <= overlap <= 17  # a seeded half, not all or none


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_two_annotators_never_share_a_gold_article_except_the_overlap(con):
    demo_like_lake(con)
    draw_gold(con, seed=11, overlap=0.25)
    overlap = {row[0] for row in con.execute("SELECT article_id FROM review_gold WHERE overlap").fetchall()}
    ann, bob = Annotator(con, GoldQueue.load(con), "ann"), Annotator(con, GoldQueue.load(con), "bob")
    seen = {"ann": [], "bob": []}
    held = {"ann": [i["id"] for i in ann.next()["items"]], "bob": [i["id"] for i in bob.next()["items"]]}
    while held["ann"] or held["bob"]:
        for name, who in (("ann", ann), ("bob", bob)):
            if held[name]:
                current, *rest = held[name]
                assert not (set(held["ann"]) & set(held["bob"])) - overlap  # never at the same time
                seen[name].append(current)
                held[name] = rest + [i["id"] for i in who.decide(current, "signal", exclude=rest)["items"]]
    shared = set(seen["ann"]) & set(seen["bob"])
    assert shared == overlap
    assert set(seen["ann"]) | set(seen["bob"]) == {
        row[0] for row in con.execute("SELECT article_id FROM review_gold").fetchall()
    }


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_two_simulated_annotators_one_noisy(con):
    ids = demo_like_lake(con)
    draw_gold(con, seed=5, overlap=1.0)  # everything asked of both
    truth = {i: int(i.endswith(("0", "3", "7"))) for i in ids}
    noise = random.Random(17)
    ann, bob = Annotator(con, GoldQueue.load(con), "ann"), Annotator(con, GoldQueue.load(con), "bob")
    said = {"ann": {}, "bob": {}}
    for name, who, flip in (("ann", ann, 0.0), ("bob", bob, 0.3)):
        held = [i["id"] for i in who.next()["items"]]
        while held:
            current, *held = held
            answer = truth[current] ^ (noise.random() < flip)
            said[name][current] = answer
            held += [i["id"] for i in who.decide(current, "signal" if answer else "not", exclude=held)["items"]]
    assert set(said["ann"]) == set(said["bob"]) == set(ids)
    a, b = [said["ann"][i] for i in ids], [said["bob"][i] for i in ids]
    assert a != b  # the noisy one did differ
    agreed = {i: said["ann"][i] for i in ids if said["ann"][i] == said["bob"][i]}
    assert dict(con.execute("SELECT id, signal::INTEGER FROM v_human_signal").fetchall()) == agreed  # ties left out
    cursor = con.execute("SELECT * FROM v_label_stats WHERE breakdown = 'all'")
    stats = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    assert stats["inter_annotator_n"] == 20
    assert stats["inter_annotator_agreement"] == pytest.approx(len(agreed) / 20)
    assert stats["inter_annotator_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    gpt = dict(con.execute("SELECT article_id, gpt_signal::INTEGER FROM int_topics_labels").fetchall())
    people = list(agreed)
    assert stats["human_gpt_n"] == len(people)
    assert stats["human_gpt_kappa"] == pytest.approx(
        cohen_kappa_score([agreed[i] for i in people], [gpt[i] for i in people])
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--host", "0.0.0.0"], "Error: --host 0.0.0.0 is not loopback: anyone who reaches it could write labels"),
        (["--queue", "uncertain"], "Error: --queue uncertain needs --model DIR"),
        (["--queue", "everything"], "Error: Invalid value for '--queue'"),
    ],
)
def test_refusals_are_one_line(db_path, args, message):
    result = CliRunner().invoke(cli, ["review", "--db", str(db_path), *args])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and lines[0].startswith(message), result.output
    assert "Traceback" not in result.output


def test_a_port_in_use_is_refused_in_one_line(db_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["review", "--db", str(db_path), "--port", str(port)])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith(f"Error: cannot listen on 127.0.0.1:{port}: Address already in use")
    )


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_the_demo_says_how_to_start_reviewing(con, db_path):
    from newsalign.demo.enrich import label_summary

    demo_like_lake(con)
    lines = label_summary(con, db_path)
    assert (
        lines[-1]
        == f"Review by hand (a gold test set; people's answers count in v_signal): newsalign review --db {db_path}"
    )


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_a_claim_stamped_earlier_but_committed_later_loses(con, db_path):
    """Two servers claim the same gold article, each checking for rivals right after its own commit: ann's
    transaction began first (its `now()` is earlier) but bob's claim commits, and is checked, first. Exactly
    one keeps the article: bob (stamps would have let both keep it)."""
    demo_like_lake(con)
    draw_gold(con, seed=3, overlap=0)
    queue = GoldQueue.load(con)
    first = queue.order[0]
    ann, bob = own_duckdb(db_path), own_duckdb(db_path)  # two servers: two processes' DuckDBs
    ann.execute("BEGIN TRANSACTION")  # ann's transaction has begun: its claim carries this earlier time
    bob.execute(CLAIM, [[first], "bob"])
    assert queue.kept(ReviewState.read(bob), "bob", [first]) == [first]  # no rival committed yet: bob keeps it
    ann.execute(CLAIM, [[first], "ann"])
    ann.execute("COMMIT")
    stamps = dict(con.execute("SELECT annotator, claimed_at FROM review_claims").fetchall())
    assert stamps["ann"] < stamps["bob"]
    assert queue.kept(ReviewState.read(ann), "ann", [first]) == []


def own_duckdb(db_path) -> duckdb.DuckDBPyConnection:
    """A DuckDB of its own with the lake attached, as another process has (not this process's shared one)."""
    database = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for statement in setup_sql(Lake.at(str(db_path)), read_only=False):
        database.execute(statement)
    return database


def test_the_card_shelf_reads_ahead_in_one_query_serves_once_and_rereads_when_stale(con, monkeypatch):
    import newsalign.review.cards as cards

    demo_like_lake(con)
    reads = []
    real = cards.load_cards
    monkeypatch.setattr(cards, "load_cards", lambda c, ids, labels: reads.append(list(ids)) or real(c, ids, labels))
    shelf = cards.CardShelf(ttl=3600)
    first = shelf.take(con, ["bbc-00"], ["bbc-01", "bbc-02"], None)
    assert reads == [["bbc-00", "bbc-01", "bbc-02"]]  # a miss reads what comes next with it
    assert first["bbc-00"].title == "bbc story 0"
    assert shelf.take(con, ["bbc-01"], ["bbc-02", "bbc-03"], None)["bbc-01"].title == "bbc story 1"
    assert len(reads) == 1  # from the shelf
    shelf.take(con, ["bbc-00"], [], None)  # served once: taken again, it is read again
    assert reads[-1] == ["bbc-00"]
    con.execute("UPDATE articles SET superseded_by = 'bbc-04' WHERE id = 'bbc-02'")
    shelf.ttl = 0  # stale: read again, and found gone
    gone = shelf.take(con, ["bbc-02"], [], None)["bbc-02"]
    assert str(gone) == "article bbc-02 was superseded by bbc-04 (a near-duplicate): skipped, nothing recorded"
    shelf.ttl = 3600
    shelf.stock(con, ["bbc-05", "bbc-06"], None)  # none of them on the shelf: read ahead
    assert reads[-1] == ["bbc-05", "bbc-06"]
    shelf.stock(con, ["bbc-05", "bbc-06", "bbc-07"], None)  # most on the shelf already: no read
    assert reads[-1] == ["bbc-05", "bbc-06"] and len(reads) == 4
