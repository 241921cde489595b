"""`newsalign review`: serve the labelling page for one annotator and one queue."""

from __future__ import annotations

import getpass
import secrets
from pathlib import Path

import click

from newsalign.cli import db_option
from newsalign.core.errors import NewsalignError
from newsalign.options import FRACTION, PORT, POSITIVE_INT, SEED, TEXT
from newsalign.review.serve import TOKEN_VAR, check_bind, serve
from newsalign.warehouse import connect


@click.command()
@click.option(
    "--queue",
    type=click.Choice(["gold", "disagree", "uncertain"]),
    default="gold",
    show_default=True,
    help="gold: a random sample stratified by source, labels hidden (the evaluation set); disagree: "
    "the LLM and the Trends rule differ; uncertain: closest to --model's threshold first.",
)
@click.option("--annotator", type=TEXT, default=None, help="Who is labelling. Default: the OS user.")
@click.option(
    "--host",
    type=TEXT,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; not loopback needs --token.",
)
@click.option("--port", type=PORT, default=8000, show_default=True)
@click.option(
    "--token",
    envvar=TOKEN_VAR,
    default=None,
    help=f"The write token (${TOKEN_VAR}). Default on loopback: a new one, printed in the link.",
)
@click.option(
    "--overlap",
    type=FRACTION,
    default=0.2,
    show_default=True,
    help="Share of the gold sample asked of two annotators (inter-annotator agreement); fixed when drawn.",
)
@click.option(
    "--seed", type=SEED, default=None, help="Seed of the gold sample when it is drawn (recorded). Default: random."
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="uncertain: the trained model (or adapter) that scores the candidates.",
)
@click.option("--candidates", type=POSITIVE_INT, default=200, show_default=True, help="uncertain: articles scored.")
@click.option(
    "--threshold", type=FRACTION, default=0.5, show_default=True, help="uncertain: the model's decision threshold."
)
@db_option
def review(queue, annotator, host, port, token, overlap, seed, model_dir, candidates, threshold, db) -> None:
    """Label articles by hand, one key each, into the lake (human_labels): y signal, n not, s skip,
    u undo, ? help. Decisions count in v_human_signal, v_signal and v_label_stats.

    \b
    Examples:
      newsalign review                                   # the gold queue, on http://127.0.0.1:8000
      newsalign review --queue disagree --annotator ann --port 8001
      newsalign review --queue uncertain --model outputs/dpo
      newsalign review --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    from newsalign.review.app import create_app
    from newsalign.review.queues import GoldQueue, disagree_queue, draw_gold, uncertain_queue

    if queue == "uncertain" and model_dir is None:
        raise NewsalignError("--queue uncertain needs --model DIR (the model whose uncertainty picks the articles)")
    check_bind(host, port, token)
    annotator = annotator or getpass.getuser()
    con = connect(db)
    if queue == "gold":
        drawn_seed, size = draw_gold(con, seed=seed, overlap=overlap)
        click.echo(f"Gold sample: {size} articles, stratified by source, seed {drawn_seed}.")
        chosen = GoldQueue.load(con)
    elif queue == "disagree":
        chosen = disagree_queue(con)
    else:
        from newsalign.review.uncertain import rank_uncertain

        ranked = rank_uncertain(con, model_dir, candidates=candidates, threshold=threshold)
        chosen = uncertain_queue(con, [article_id for article_id, _ in ranked])
    shown = "TOKEN" if token else secrets.token_urlsafe(18)
    app = create_app(con, chosen, annotator=annotator, token=token or shown)
    where = f"[{host}]" if ":" in host else host
    click.echo(f"Reviewing the {queue} queue as {annotator}: open http://{where}:{port}/#token={shown}")
    if token:
        click.echo("(put your --token in place of TOKEN)")
    click.echo(
        "Keys: y signal, n not a signal, s skip, u undo, ? help. Ctrl-C stops; every decision is already stored."
    )
    serve(app, host, port)
