"""`newsalign export-model`: merge LoRA/QLoRA adapters into their base and save a plain model folder."""

from __future__ import annotations

import click

from newsalign.training.export_model import DTYPES


@click.command("export-model")
@click.option(
    "--adapter",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="Adapter directory (output of `newsalign train ... --use_peft true`, or a checkpoint).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New folder for the merged model.")
@click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    default="auto",
    show_default=True,
    help="Precision of the merged model (auto: the base checkpoint's).",
)
def export_model(adapter, out, dtype) -> None:
    """Merge an adapter (and the adapters it was trained on, e.g. SFT -> DPO) into a full-precision base and
    write model + tokenizer as safetensors, loadable by transformers and vLLM without peft.

    \b
    Examples:
      newsalign export-model --adapter outputs/mistral-dpo --out models/mistral-dpo-merged
      vllm serve models/mistral-dpo-merged
    """
    from newsalign.training.export_model import export_model as export

    path = export(adapter, out, dtype=dtype)
    click.echo(f"wrote the merged model to {path}")
