"""`newsalign watch`: what a quiet cycle costs, how early a new article is reported, and `score`'s throughput.

1. A quiet cycle on a loopback copy of the BBC sample site (tests/watch_support.py) after a first cycle:
   requests and bytes per source and per feed, against the same URLs fetched without validators (the first
   cycle). Goal: one conditional request and < 2 KB per feed.
2. Latency: `newsalign watch --every 10s` (10 s rather than 60 s so the bench takes a minute; the goal
   scales with the interval) runs; an article is published on the site between cycles; the time until its
   line is in --jsonl, in intervals. Goal: < 2 intervals + scoring time.
3. `score` (training.predict: read texts, build prompts, score, write predictions) vs `evaluate`'s scorer
   (training.scoring.answer_logprobs) on the same articles, with their prompts built beforehand (as an
   export hands them to evaluate) and built in the timing; same tiny model, one thread, articles/s, best
   of 5 rounds interleaved. Goal: >= 0.95x. The tiny model scores ~100 articles/s, so the fixed costs
   (one lake commit a chunk) weigh far more here than beside a real model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsalign.cli import main as cli
from newsalign.training.decision import Decision, save_decision
from newsalign.warehouse import connect
from tests.llm_server import FakeOpenAI
from tests.watch_support import WatchSite, import_articles, tiny_model

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "TELNETCONSOLE_ENABLED=False"]
EVERY = 10.0
N_SCORE = 96


def _args(site, model, tmp: Path, *extra: str) -> list[str]:
    return ["watch", "--sources", "bbc", "--site", f"bbc={site.url}", "--model", str(model), "--enrich", "llm",
            "--jsonl", str(tmp / "signals.jsonl"), "--db", str(tmp / "lake"), *FAST, *extra]  # fmt: skip


def quiet_cycle(tmp: Path, model: Path) -> None:
    with WatchSite(tmp) as site, FakeOpenAI() as llm:
        os.environ["OPENAI_BASE_URL"] = llm.url
        assert cli([*_args(site, model, tmp), "--once"]) == 0
        first = list(site.log.entries)
        assert cli([*_args(site, model, tmp), "--once"]) == 0
        quiet = site.log.entries[len(first) :]
    full = {path: size for path, status, size in first if status == 200}
    print(f"quiet cycle, bbc: {len(quiet)} requests, {sum(s for _, _, s in quiet)} bytes "
          f"(first cycle: {len(first)} requests, {sum(s for _, _, s in first)} bytes)")  # fmt: skip
    for path, status, size in quiet:
        print(f"  {path:<45} {status}  {size:>6} B   unconditional {full.get(path, 0):>6} B")
    feeds = [(s, full.get(p, 0)) for p, status, s in quiet if p.endswith(".xml") and "index" not in p]
    print(f"per feed or sitemap: {len(feeds)} requests, max {max(s for s, _ in feeds)} B each "
          f"(goal < 2048 B); bytes vs unconditional: {sum(s for s, _ in feeds) / sum(f for _, f in feeds):.2f}x")  # fmt: skip


def _lines(file: Path) -> list[str]:
    return file.read_text().splitlines() if file.exists() else []


def latency(tmp: Path, model: Path) -> None:
    with WatchSite(tmp) as site, FakeOpenAI() as llm:
        env = {**os.environ, "OPENAI_BASE_URL": llm.url}
        command = [sys.executable, "-m", "newsalign", *_args(site, model, tmp, "--every", f"{EVERY:g}s")]
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            while not _lines(tmp / "signals.jsonl"):  # the first cycle reported the sample's articles
                time.sleep(0.2)
            time.sleep(EVERY / 3)  # publish a third of the way into an interval
            (path,) = site.add_articles(1)
            appeared = time.monotonic()
            slug = path.rsplit("/", 1)[1]
            while not any(slug in line for line in _lines(tmp / "signals.jsonl")):
                if proc.poll() is not None:
                    raise SystemExit(f"watch exited: {proc.stderr.read()[-2000:]}")
                time.sleep(0.1)
            seconds = time.monotonic() - appeared
        finally:
            proc.terminate()
            proc.wait()
    print(f"latency article appears -> report with --every {EVERY:g}s: {seconds:.1f}s = {seconds / EVERY:.2f} intervals "
          "(goal < 2 intervals + scoring time)")  # fmt: skip


def throughput(tmp: Path, model: Path) -> None:
    import torch

    from newsalign.training.predict import score_articles
    from newsalign.training.prompt import DEFAULT_ANSWERS, PromptBuilder
    from newsalign.training.scoring import answer_logprobs, load_model

    torch.set_num_threads(1)
    db = tmp / "score-lake"
    import_articles(db, tmp, N_SCORE)
    loaded = load_model(model, device="cpu")
    with connect(db) as con:
        texts = con.execute("SELECT title, text FROM v_articles_clean ORDER BY id").fetchall()
        prompts = [PromptBuilder(512, loaded[1])(t, x) for t, x in texts]

        def score() -> None:
            assert score_articles(con, model, loaded=loaded, batch_size=16).scored == N_SCORE

        def scorer(build: bool) -> None:
            ready = [PromptBuilder(512, loaded[1])(t, x) for t, x in texts] if build else prompts
            answer_logprobs(*loaded, ready, DEFAULT_ANSWERS, batch_size=16, max_length=1024)

        sides = {"score": score, "scorer": lambda: scorer(False), "prompts+scorer": lambda: scorer(True)}
        rates = dict.fromkeys(sides, 0.0)
        for _ in range(5):
            for name, run in sides.items():
                con.execute("DELETE FROM predictions")  # set-up, untimed: score writes every article anew
                start = time.perf_counter()
                run()
                rates[name] = max(rates[name], N_SCORE / (time.perf_counter() - start))
    print(
        f"score {rates['score']:.1f} articles/s (texts read, prompts built, scored, predictions written); "
        f"evaluate's scorer {rates['scorer']:.1f} articles/s on prompts built beforehand: "
        f"{rates['score'] / rates['scorer']:.2f}x; with the prompts built ({rates['prompts+scorer']:.1f}/s): "
        f"{rates['score'] / rates['prompts+scorer']:.2f}x (goal >= 0.95x), same {N_SCORE} articles, best of 5"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model = tiny_model(tmp / "model")
        save_decision(model, Decision(threshold=0.0))
        for step in (quiet_cycle, latency, throughput):
            (tmp / step.__name__).mkdir()
            step(tmp / step.__name__, model)
