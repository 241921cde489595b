"""`newsalign experiment`: the whole comparison (base, SFT, DPO, SFT->DPO, KTO, GRPO, baselines) from one YAML."""

from __future__ import annotations

from pathlib import Path

import click

from newsalign.cli import db_option


@click.command()
@click.option(
    "--config", "config", required=True, type=click.Path(dir_okay=False), help="Experiment YAML (experiments/*.yaml)."
)
@db_option
@click.option(
    "--data",
    default=None,
    type=click.Path(file_okay=False),
    help="Instead of --db: a folder of exports, one per kind (DIR/sft, DIR/dpo, ...).",
)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Where runs and the report go.")
def experiment(config, db, data, out) -> None:
    """Run the grid of an experiment file (split x seed x method) and write one report.

    Every finished training run and evaluation leaves a marker; run the same command again after a
    crash or Ctrl-C and it carries on where it stopped. Prints one line per run.

    \b
    Examples:
      newsalign import ../shared/data/ag_news/test.csv --source ag_news --min-words 20 --db data/ag-news
      newsalign experiment --config experiments/ag-news-cpu.yaml --db data/ag-news --out runs/ag-news
      newsalign experiment --config experiments/thesis.yaml --data outputs/exports --out runs/thesis
    """
    from newsalign.core.errors import NewsalignError
    from newsalign.training.experiment import Grid, load_experiment
    from newsalign.training.experiment_report import write_experiment_report

    if db is not None and data is not None:
        raise NewsalignError("give --db or --data, not both")
    exp = load_experiment(config)
    grid = Grid(exp, out, echo=click.echo)
    cells = grid.run(db=db, data=data)
    click.echo("writing the report (bootstrap intervals, paired differences, plots) ...")
    write_experiment_report(exp, cells, out, notes=grid.notes)
    click.echo(f"wrote {Path(out) / 'report.md'} and {Path(out) / 'summary.json'}")
