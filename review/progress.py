"""The numbers the page keeps in view: decided and left in the queue, decisions per hour, agreement."""

from __future__ import annotations

from datetime import datetime, timezone

from newsalign.review.state import ReviewState


def progress(queue, who: str, since: datetime, state: ReviewState) -> dict:
    """decided (articles, skips included), left, per_hour (this session's rate), compared and agreement
    (with other annotators, over this annotator's standing answers in the queue that others answered too;
    None before any)."""
    mine = [d for d in state.decisions if d.annotator == who and d.queue == queue.name]
    in_session = sum(d.at >= since for d in mine)
    answers: dict[str, dict[str, tuple[bool, str]]] = {}  # article -> annotator -> (signal, queue)
    for (article_id, annotator), answer in state.standing().items():
        answers.setdefault(article_id, {})[annotator] = answer
    pairs = [
        (by[who][0], signal)
        for by in answers.values()
        if who in by and by[who][1] == queue.name
        for other, (signal, _) in by.items()
        if other != who
    ]
    hours = max((datetime.now(timezone.utc) - since).total_seconds() / 3600, 1 / 60)
    return {
        "decided": len({d.article_id for d in mine}),
        "left": queue.left(who, state),
        "per_hour": round(in_session / hours, 1),
        "compared": len(pairs),
        "agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3) if pairs else None,
    }
