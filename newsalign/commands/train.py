"""`newsalign train {sft,dpo,reward,rlhf,kto}`: TRL trainers configured by YAML + overrides (docs/training.md)."""

from __future__ import annotations

import click

TRAINER_HELP = {
    "sft": "supervised fine-tuning on prompt/completion (SFTTrainer)",
    "dpo": "Direct Preference Optimization on prompt/chosen/rejected (DPOTrainer)",
    "reward": "a reward model on prompt/chosen/rejected (RewardTrainer)",
    "rlhf": "online RL against the reward model or a verifiable reward, adaptive KL (GRPOTrainer)",
    "kto": "KTO on prompt/completion/label (KTOTrainer)",
}


@click.group()
def train() -> None:
    """Train a model with TRL on a set written by `newsalign export`.

    Any config key can be overridden as `--key value` after the options.

    \b
    Examples:
      newsalign train dpo --config training/configs/tiny-cpu.yaml
      newsalign train dpo --config training/configs/mistral-7b-qlora-a100.yaml --learning_rate 5e-6
    """


def _train_command(name: str) -> None:
    @train.command(
        name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"""Train {TRAINER_HELP[name]}.

    Extra `--key value` pairs override the config (TRL, model and script fields).

    \b
    Examples:
      newsalign train {name} --config training/configs/tiny-cpu.yaml
      newsalign train {name} --config training/configs/tiny-cpu.yaml --max_steps 10 --output_dir outputs/{name}-2
      newsalign train {name} --config training/configs/tiny-cpu.yaml --resume
    """,
    )
    @click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False),
        default=None,
        help="YAML config (top-level keys, plus a section per trainer).",
    )
    @click.option("--resume", is_flag=True, help="Resume from the newest checkpoint in output_dir.")
    @click.pass_context
    def command(ctx: click.Context, config: str | None, resume: bool) -> None:
        from accelerate import PartialState

        from newsalign.training.runner import run_training

        overrides = list(ctx.args) + (["--resume", "true"] if resume else [])
        output_dir = run_training(name, config, overrides)
        state = PartialState()  # the trainer's process group (one process unless launched by torchrun/accelerate)
        if state.is_main_process:
            processes = f" ({state.num_processes} processes)" if state.num_processes > 1 else ""
            click.echo(f"Saved the {name} model to {output_dir}{processes}")


for _name in TRAINER_HELP:
    _train_command(_name)
