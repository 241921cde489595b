"""The uncertain queue: candidates scored by a (tiny, random) model through the project's log-prob scorer,
closest to the threshold first; articles someone decided are not candidates."""

from __future__ import annotations

import pytest

from newsalign.review.queues import uncertain_queue
from newsalign.review.state import ReviewState
from newsalign.review.store import record_decision
from newsalign.review.uncertain import rank_uncertain
from newsalign.training.prompt import PromptBuilder
from newsalign.training.scoring import answer_logprobs, load_model, p_signal
from newsalign.training.tiny import build_tiny_model
from newsalign.warehouse import connect
from tests.review_support import demo_like_lake

pytestmark = pytest.mark.slow


def test_candidates_come_closest_to_the_threshold_first(db_path, tmp_path):
    con = connect(db_path)
    ids = demo_like_lake(con)
    record_decision(con, article_id="bbc-00", annotator="ann", decision="signal", queue="gold")
    model_dir = build_tiny_model(tmp_path / "tiny", [f"story {i} body text Yes No" for i in range(20)])
    ranked = rank_uncertain(con, model_dir, candidates=50, threshold=0.5)
    assert {article_id for article_id, _ in ranked} == set(ids) - {"bbc-00"}  # decided: not a candidate
    model, tokenizer = load_model(model_dir)
    builder = PromptBuilder(tokenizer=tokenizer)
    titles = dict(con.execute("SELECT id, title || chr(0) || text FROM articles").fetchall())
    order = [article_id for article_id, _ in ranked]
    prompts = [builder(*titles[i].split(chr(0))) for i in order]
    expected = p_signal(answer_logprobs(model, tokenizer, prompts))
    assert [p for _, p in ranked] == pytest.approx(expected.tolist())  # the scores `evaluate` would give
    distances = [abs(p - 0.5) for _, p in ranked]
    assert distances == sorted(distances)
    assert len(rank_uncertain(con, model_dir, candidates=3)) == 3  # --candidates bounds what is scored
    queue = uncertain_queue(con, order)
    assert queue.pick(ReviewState.read(con), "ann", 2, []) == order[:2]
    assert queue.labels[order[0]][2] is not None  # the LLM's answer shown beside it
    con.close()
