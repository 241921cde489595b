"""Helpers for the score and watch tests and the watch bench: distinct English articles, a lake holding
some, a tiny model, and a loopback news site that answers conditional requests and gains articles."""

from __future__ import annotations

import json
import random
from pathlib import Path

from newsalign.cli import main
from newsalign.training.tiny import build_tiny_model

WORDS = (
    "market company shares investors growth profit revenue quarter forecast launch product chip battery "
    "factory energy solar software cloud network startup funding round deal merger bank rate inflation "
    "economy policy government minister council city river storm weather football team season coach "
    "hospital doctor patients school students teacher museum artist music film festival garden farmer "
    "harvest village railway airport travel tourism housing rent prices households workers union strike "
    "court judge trial police report research scientists study data climate ocean forest wildlife"
).split()
LINKING = "the a new local several major its their this that".split()


def english(seed: int, words: int = 220) -> str:
    """About `words` words of plain English sentences, different for every seed (no near-duplicates)."""
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < words:
        a, b, c, d = rng.sample(WORDS, 4)
        sentence = f"{rng.choice(LINKING).capitalize()} {a} said the {b} would help {rng.choice(LINKING)} {c} and {d} this year."
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


def import_articles(db, tmp: Path, n: int, offset: int = 0) -> None:
    """`newsalign import` of `n` distinct articles into `db`."""
    file = tmp / f"articles-{offset}.jsonl"
    with file.open("w") as out:
        for i in range(offset, offset + n):
            row = {
                "url": f"https://example.com/news/{i}",
                "title": f"Story number {i}: {english(10_000 + i, 8)}",
                "text": english(i),
                "date_published": f"2026-11-{1 + i % 28:02d}T08:00:00Z",
            }
            out.write(json.dumps(row) + "\n")
    assert main(["import", str(file), "--source", "test", "--db", str(db)]) == 0


def tiny_model(out: Path) -> Path:
    return build_tiny_model(out, [english(i, 60) for i in range(40)])
