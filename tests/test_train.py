"""`newsalign train ...` end to end on a tiny random model (CPU, a few steps), and its bad-input errors."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from tests.agnews_lake import LABEL, build_warehouse

pytestmark = pytest.mark.xdist_group("test_train")

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / "training" / "configs" / "tiny-cpu.yaml"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A warehouse, a tiny model built on its articles, and every export kind (tokens counted by the tiny tokenizer)."""
    from newsalign.training.tiny import build_tiny_model
    from newsalign.warehouse import connect

    work = tmp_path_factory.mktemp("train")
    db = build_warehouse(work / "lake", n=80)
    corpus = [row[0] for row in connect(db).execute("SELECT title || ' ' || text FROM articles").fetchall()]
    build_tiny_model(work / "tiny", corpus)
    for kind in ("sft", "dpo", "kto", "reward", "rl"):
        assert (
            main(
                [
                    "export",
                    kind,
                    "--out",
                    str(work / "exports" / kind),
                    "--db",
                    str(db),
                    "--tokenizer",
                    str(work / "tiny"),
                    "--max-article-tokens",
                    "48",
                    "--label",
                    LABEL,
                ]
            )
            == 0
        )
    return work


def train(workdir: Path, name: str, dataset: str, *extra) -> int:
    args = [
        "train",
        name,
        "--config",
        str(TINY_CONFIG),
        "--model_name_or_path",
        str(workdir / "tiny"),
        "--dataset_dir",
        str(workdir / "exports" / dataset),
        "--output_dir",
        str(workdir / name),
        *extra,
    ]
    return main([str(a) for a in args])


def weights(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(path / "model.safetensors")


def changed(before: dict, after: dict) -> bool:
    return any(not after[k].equal(v) for k, v in before.items() if k in after)


@pytest.mark.slow
def test_tiny_reward_model_has_a_score_head(tmp_path):
    from transformers import AutoModelForSequenceClassification

    from newsalign.training.tiny import build_tiny_model

    path = build_tiny_model(tmp_path / "rm", ["a market moves on news"] * 20, kind="sequence_classification")
    model = AutoModelForSequenceClassification.from_pretrained(path)
    assert model.score.out_features == 1


@pytest.mark.slow
def test_tiny_model_loads_and_answers_are_one_token(workdir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(workdir / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(workdir / "tiny")
    assert type(model).__name__ == "MistralForCausalLM" and model.config.num_hidden_layers == 2
    assert {tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token} == {
        "<s>",
        "</s>",
        "<pad>",
        "<unk>",
    }
    assert [len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in (" Yes", " No")] == [1, 1]


@pytest.mark.slow
@pytest.mark.parametrize("name, dataset", [("sft", "sft"), ("dpo", "dpo"), ("kto", "kto")])
def test_policy_trainers_update_the_model(workdir, name, dataset):
    assert train(workdir, name, dataset, "--max_steps", 2) == 0
    out = workdir / name
    assert changed(weights(workdir / "tiny"), weights(out))
    assert (out / "tokenizer.json").exists() and (out / "checkpoint-2").is_dir()
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]  # curves for the evaluator
    assert any("loss" in entry for entry in history)
    assert [entry["step"] for entry in history if "eval_loss" in entry] == [2]  # evaluated on validation


@pytest.mark.slow
def test_reward_then_rlhf_with_adaptive_kl(workdir):
    from transformers import AutoModelForSequenceClassification

    assert train(workdir, "reward", "reward", "--max_steps", 2) == 0
    reward = AutoModelForSequenceClassification.from_pretrained(workdir / "reward")
    assert reward.config.num_labels == 1
    assert (
        train(workdir, "rlhf", "rl", "--reward_model_path", workdir / "reward", "--beta", 0.1, "--kl_target", 1.0) == 0
    )
    state = json.loads((workdir / "rlhf" / "checkpoint-4" / "trainer_state.json").read_text())
    betas = [log["beta"] for log in state["log_history"] if "beta" in log]
    assert len(betas) == 4 and betas[0] == pytest.approx(0.05)  # tiny KL << 1.0/1.5: beta halves each step
    assert changed(weights(workdir / "tiny"), weights(workdir / "rlhf"))


@pytest.mark.slow
def test_rlhf_verifiable_reward_and_lora_reward_model(workdir):
    assert (
        train(
            workdir,
            "reward",
            "reward",
            "--max_steps",
            1,
            "--output_dir",
            workdir / "reward-lora",
            "--use_peft",
            "true",
            "--lora_r",
            4,
            "--lora_target_modules",
            "q_proj",
            "v_proj",
        )
        == 0
    )
    assert (workdir / "reward-lora" / "model.safetensors").exists()  # merged, loadable without peft
    assert not (workdir / "reward-lora" / "adapter_config.json").exists()
    assert (
        train(
            workdir,
            "rlhf",
            "rl",
            "--reward",
            "verifiable",
            "--max_steps",
            1,
            "--output_dir",
            workdir / "rlhf-verifiable",
        )
        == 0
    )


def test_verifiable_reward_scores_the_first_word():
    from newsalign.training.rlhf import verifiable_reward

    assert verifiable_reward([" Yes", " No.", "", " Yesterday"], answer=[" Yes", " Yes", " No", " Yes"]) == [
        1.0,
        0.0,
        0.0,
        0.0,
    ]


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(workdir):
    out = workdir / "dpo-resume"
    assert train(workdir, "dpo", "dpo", "--max_steps", 2, "--output_dir", out) == 0
    assert train(workdir, "dpo", "dpo", "--max_steps", 4, "--output_dir", out, "--resume") == 0
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    assert [log["step"] for log in state["log_history"] if "loss" in log] == [1, 2, 3, 4]


@pytest.mark.slow
def test_resume_without_checkpoint_is_an_error(workdir, capsys):
    assert train(workdir, "dpo", "dpo", "--output_dir", workdir / "empty", "--resume") == 1
    assert "no checkpoint-* directory" in capsys.readouterr().err


@pytest.mark.slow
def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(workdir, capsys):
    out = workdir / "sft-nan"
    assert (
        train(
            workdir,
            "sft",
            "sft",
            "--output_dir",
            out,
            "--learning_rate",
            "1e30",
            "--max_grad_norm",
            0,
            "--max_steps",
            6,
            "--save_steps",
            1,
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "loss became nan at step 2" in err and "checkpoint-1" in err
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-1"]
    assert not (out / "model.safetensors").exists()


@pytest.mark.slow
def test_unknown_config_key_is_named(workdir, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_CONFIG.read_text() + "\ndpo:\n  learnin_rate: 0.1\n")
    assert main(["train", "dpo", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "unknown config key(s) for `train dpo`" in err and "learnin_rate" in err
    assert train(workdir, "dpo", "dpo", "--no_such_option", 3) == 1
    assert "unknown option(s) for `train dpo`: --no_such_option 3" in capsys.readouterr().err


@pytest.mark.slow
def test_missing_model_path_and_dataset(workdir, capsys):
    assert (
        main(
            [
                "train",
                "sft",
                "--config",
                str(TINY_CONFIG),
                "--model_name_or_path",
                str(workdir / "nope"),
                "--dataset_dir",
                str(workdir / "exports" / "sft"),
            ]
        )
        == 1
    )
    assert f"model path {workdir / 'nope'} does not exist" in capsys.readouterr().err
    assert train(workdir, "sft", "nowhere") == 1
    assert "run `newsalign export` first" in capsys.readouterr().err
    assert train(workdir, "sft", "dpo") == 1  # a DPO export has no completion column
    assert "lacks column(s) completion" in capsys.readouterr().err


@pytest.mark.slow
def test_empty_training_split_is_refused(workdir, tmp_path, capsys):
    import pandas as pd

    pd.DataFrame({"id": [], "prompt": [], "completion": []}).to_parquet(tmp_path / "train.parquet")
    pd.DataFrame({"id": [], "prompt": [], "completion": []}).to_parquet(tmp_path / "test.parquet")
    assert (
        main(
            [
                "train",
                "sft",
                "--config",
                str(TINY_CONFIG),
                "--model_name_or_path",
                str(workdir / "tiny"),
                "--dataset_dir",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "empty training split" in capsys.readouterr().err


@pytest.mark.slow
def test_four_bit_without_gpu_is_a_clear_error(workdir, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    assert train(workdir, "dpo", "dpo", "--load_in_4bit", "true", "--use_peft", "true") == 1
    assert "needs a CUDA GPU" in capsys.readouterr().err
    for config in ("mistral-7b-qlora-a100.yaml", "mistral-7b-qlora-t4.yaml"):  # the shipped GPU configs
        assert main(["train", "dpo", "--config", str(TINY_CONFIG.parent / config)]) == 1
        assert "needs a CUDA GPU" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["sft", "dpo", "kto", "reward", "rlhf"])
def test_gpu_configs_have_only_known_keys(name):
    from trl import ModelConfig

    from newsalign.training.config import read_config

    module = importlib.import_module(f"newsalign.training.{name}")
    fields = {
        f.name for cls in (module.SCRIPT_ARGS, module.config_class(), ModelConfig) for f in dataclasses.fields(cls)
    }
    for config in ("mistral-7b-qlora-a100.yaml", "mistral-7b-qlora-t4.yaml", "tiny-cpu.yaml"):
        values = read_config(TINY_CONFIG.parent / config, name)
        assert set(values) - {"env"} <= fields, (config, set(values) - fields)  # env: see parse_config


@pytest.mark.slow
def test_rlhf_needs_a_reward_model_and_a_kl_penalty(workdir, capsys):
    assert train(workdir, "rlhf", "rl", "--reward_model_path", workdir / "missing") == 1
    assert "reward: model needs reward_model_path" in capsys.readouterr().err
    assert train(workdir, "rlhf", "rl", "--reward", "verifiable", "--beta", 0) == 1
    assert "set beta > 0" in capsys.readouterr().err


def test_adaptive_kl_rule():
    from newsalign.training.callbacks import AdaptiveKLCallback

    trainer = SimpleNamespace(beta=0.1)
    callback = AdaptiveKLCallback(trainer, kl_target=0.3)
    state, control = SimpleNamespace(global_step=1, log_history=[]), SimpleNamespace()
    for kl, expected in [(0.1, 0.05), (0.3, 0.05), (0.46, 0.1), (float("nan"), 0.1), (0.21, 0.1)]:
        callback.on_log(None, state, control, logs={"kl": kl})
        assert trainer.beta == pytest.approx(expected)


def test_nan_callback_blocks_the_save():
    from transformers import TrainerControl

    from newsalign.training.callbacks import NanLossCallback

    callback, control = NanLossCallback(), TrainerControl(should_save=True)
    callback.on_log(None, SimpleNamespace(global_step=3, log_history=[]), control, logs={"loss": 0.5})
    assert callback.bad_step is None and control.should_save
    callback.on_log(None, SimpleNamespace(global_step=4, log_history=[]), control, logs={"loss": math.inf})
    assert callback.bad_step == 4 and control.should_training_stop and not control.should_save


def test_wandb_goes_offline_without_a_key_for_the_run_only(monkeypatch, tmp_path):
    from newsalign.training.runner import run_environment

    for name in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR", "NEWSALIGN_TEST_VAR"):
        monkeypatch.delenv(name, raising=False)
    args = SimpleNamespace(report_to=["wandb"], output_dir=str(tmp_path / "run"))
    with run_environment({"NEWSALIGN_TEST_VAR": 1}, args):
        assert os.environ["WANDB_MODE"] == "offline" and os.environ["WANDB_DIR"] == str(tmp_path / "run")
        assert os.environ["NEWSALIGN_TEST_VAR"] == "1"
    assert not {"WANDB_MODE", "WANDB_DIR", "NEWSALIGN_TEST_VAR"} & set(os.environ)
    monkeypatch.setenv("WANDB_API_KEY", "k")
    with run_environment({}, args):
        assert "WANDB_MODE" not in os.environ


def test_a_typo_in_a_key_is_an_error_naming_the_closest_key(tmp_path):
    from trl import DPOConfig, ModelConfig

    from newsalign.training.config import ScriptArguments, parse_config

    types = (ScriptArguments, DPOConfig, ModelConfig)
    (script, training, _), env = parse_config("dpo", types, str(TINY_CONFIG), ["--learning_rate", "1e-4"])
    assert training.learning_rate == 1e-4 and training.output_dir == "outputs/dpo" and env == {}
    with pytest.raises(
        NewsalignError,
        match=r"unknown option\(s\) for `train dpo`: --learning_rat \(did you mean --learning_rate\?\) 1e-4",
    ):
        parse_config("dpo", types, str(TINY_CONFIG), ["--learning_rat", "1e-4"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_CONFIG.read_text() + "\ndpo:\n  learnin_rate: 0.1\n")
    with pytest.raises(NewsalignError, match=r"unknown config key\(s\).*learnin_rate \(did you mean learning_rate\?\)"):
        parse_config("dpo", types, str(bad), [])


def test_fp16_keeps_trainable_params_fp32():
    import torch

    from newsalign.training.runner import keep_trainable_fp32

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)).to(torch.bfloat16)
    model[0].requires_grad_(False)
    keep_trainable_fp32(model)
    assert model[0].weight.dtype == torch.bfloat16 and model[1].weight.dtype == torch.float32


@pytest.mark.slow
def test_dpo_runs_on_two_cpu_processes(workdir):
    """The distributed path (torchrun, gloo on CPU): two processes, two DPO steps on the tiny model."""
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = workdir / "dpo-ddp"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(port),
        "-m",
        "newsalign",
        "train",
        "dpo",
        "--config",
        str(TINY_CONFIG),
        "--model_name_or_path",
        str(workdir / "tiny"),
        "--dataset_dir",
        str(workdir / "exports" / "dpo"),
        "--output_dir",
        str(out),
        "--max_steps",
        "2",
        "--per_device_train_batch_size",
        "2",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=workdir, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Saved the dpo model to {out} (2 processes)" in result.stdout  # one process group of two ranks
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    assert (out / "model.safetensors").exists()


@pytest.mark.slow
def test_demo_training_returns_the_model_dirs(tmp_path):
    from transformers import AutoModelForCausalLM

    from newsalign.demo.train import run_demo_training

    db = build_warehouse(tmp_path / "lake", n=60)
    dirs = run_demo_training(db, tmp_path / "demo", max_steps=1, label=LABEL)
    assert set(dirs) == {"base", "sft", "dpo", "reward", "rlhf"}
    for name in ("base", "dpo", "rlhf"):
        AutoModelForCausalLM.from_pretrained(dirs[name])
    assert json.loads((tmp_path / "demo" / "exports" / "dpo" / "card.json").read_text())["token_count"] == "tokenizer"


@pytest.mark.slow
def test_grpo_feeds_the_reward_model_as_reward_trainer_trained_it(workdir, tmp_path):
    """Held-out rows scored the way RewardTrainer tokenized them in training equal the rewards GRPO computes."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import GRPOConfig, ModelConfig, RewardConfig, RewardTrainer

    from newsalign.training import rlhf
    from newsalign.training.config import RLHFArguments
    from newsalign.training.tiny import build_tiny_model
    from newsalign.warehouse import connect

    corpus = [r[0] for r in connect(workdir / "lake").execute("SELECT title || ' ' || text FROM articles").fetchall()]
    rm_path = build_tiny_model(tmp_path / "rm", corpus, kind="sequence_classification", seed=3)
    rows = Dataset.from_parquet(str(workdir / "exports" / "reward" / "test.parquet")).select(range(6))
    prompts, answers = rows["prompt"], rows["chosen"]

    tokenizer = AutoTokenizer.from_pretrained(rm_path)
    reward_trainer = RewardTrainer(
        model=str(rm_path),
        args=RewardConfig(output_dir=str(tmp_path / "rt"), use_cpu=True, report_to="none"),
        train_dataset=rows.select_columns(["prompt", "chosen", "rejected"]),
        processing_class=tokenizer,
    )
    model = AutoModelForSequenceClassification.from_pretrained(rm_path).eval()
    with torch.inference_mode():
        as_trained = [
            model(torch.tensor([row["chosen_ids"]])).logits[0, 0].item() for row in reward_trainer.train_dataset
        ]

    args = RLHFArguments(reward_model_path=str(rm_path), kl_target=None)
    config = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        use_cpu=True,
        report_to="none",
        beta=0.1,
        num_generations=2,
        per_device_train_batch_size=2,
        max_completion_length=2,
    )
    train = Dataset.from_dict({"prompt": prompts, "answer": answers})
    grpo = rlhf.build_trainer(
        args, config, ModelConfig(model_name_or_path=str(workdir / "tiny")), train, None, tokenizer
    )
    inputs = [{"prompt": p, "answer": a} for p, a in zip(prompts, answers)]
    completion_ids = [tokenizer(a, add_special_tokens=False)["input_ids"] for a in answers]
    as_grpo = grpo._calculate_rewards(inputs, prompts, list(answers), completion_ids)[:, 0].tolist()
    assert as_grpo == pytest.approx(as_trained, abs=1e-5)


@pytest.mark.slow
def test_dpo_with_lora_from_an_sft_lora_adapter(workdir):
    """The thesis's SFT -> DPO with LoRA: DPO starts from the SFT adapter, and evaluate loads the chain."""
    from newsalign.training import scoring

    lora = ["--use_peft", "true", "--lora_r", 4, "--lora_target_modules", "q_proj", "v_proj", "--max_steps", 2]
    assert train(workdir, "sft", "sft", *lora, "--output_dir", workdir / "sft-lora") == 0
    assert (workdir / "sft-lora" / "adapter_config.json").exists()
    dpo = workdir / "dpo-lora"
    assert train(workdir, "dpo", "dpo", *lora, "--model_name_or_path", workdir / "sft-lora", "--output_dir", dpo) == 0
    assert json.loads((dpo / "adapter_config.json").read_text())["base_model_name_or_path"] == str(workdir / "sft-lora")
    prompts = ["A market report. Answer:"]
    scores = {
        name: scoring.answer_logprobs(*scoring.load_model(workdir / name, device="cpu"), prompts)
        for name in ("sft-lora", "dpo-lora")
    }
    assert abs(scores["sft-lora"] - scores["dpo-lora"]).max() > 1e-6  # the DPO adapter sits on the SFT one


@pytest.mark.slow
def test_export_sft_then_train_sft_with_long_articles_and_the_default_tokenizer(tmp_path):
    """`newsalign export sft` (token counts estimated) then `newsalign train sft` on the tiny config: the tiny
    tokenizer makes the 512-"token" articles far longer than max_length 256, and every prompt is fitted."""
    from newsalign.warehouse import connect

    db = build_warehouse(tmp_path / "lake", n=40)
    with connect(db) as con:
        con.execute("UPDATE articles SET text = repeat(text || ' ', 30)")
    assert main(["export", "sft", "--out", str(tmp_path / "sft"), "--db", str(db), "--label", LABEL]) == 0
    args = ["--dataset_dir", tmp_path / "sft", "--output_dir", tmp_path / "out", "--tiny_model_dir", tmp_path / "tiny"]
    assert main(["train", "sft", "--config", str(TINY_CONFIG), *map(str, args), "--max_steps", "2"]) == 0
    history = json.loads((tmp_path / "out" / "trainer_state.json").read_text())["log_history"]
    assert any(math.isfinite(entry.get("loss", math.nan)) for entry in history)
