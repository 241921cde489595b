"""The GPU path, every part that needs no CUDA: the QLoRA benchmark's tokenisation, dataset sizes, precision
and meta-device 7B build; the 4-bit / dtype decisions of evaluation and the RLHF reward model; the GPU configs."""

from types import SimpleNamespace
from unittest.mock import patch

import pytest
import torch

from bench import gpu_qlora_dpo as bench
from newsalign.training import scoring

pytestmark = pytest.mark.xdist_group("test_gpu_path")

A100, T4, H100 = (8, 0), (7, 5), (9, 0)


@pytest.fixture
def rlhf():
    """newsalign.training.rlhf, imported by the tests using it: it imports transformers' Trainer (~5 s of CPU),
    which collecting this module on every worker would otherwise pay for."""
    from newsalign.training import rlhf

    return rlhf


@pytest.fixture(scope="module")
def tokenizer():
    return bench.build_tokenizer()


# --- the benchmark ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("prompt_tokens", [64, 512])
def test_benchmark_prompts_tokenize_to_exactly_the_asked_length_inside_max_length(tokenizer, prompt_tokens):
    rows = bench.prompt_rows(tokenizer, 12, prompt_tokens)
    max_length = bench.max_length_for(tokenizer, prompt_tokens)
    for row in rows:
        assert len(tokenizer(row["prompt"])["input_ids"]) == prompt_tokens
        for answer in (row["chosen"], row["rejected"]):
            assert len(tokenizer(row["prompt"] + answer)["input_ids"]) + 1 <= max_length  # + EOS


def test_benchmark_precision_is_bf16_from_ampere_and_fp16_on_a_t4():
    assert bench.precision(A100) == {"dtype": torch.bfloat16, "bf16": True, "fp16": False}
    assert bench.precision(H100)["bf16"]
    assert bench.precision(T4) == {"dtype": torch.float16, "bf16": False, "fp16": True}


@pytest.mark.slow
@pytest.mark.parametrize("capability", [A100, T4])
def test_benchmark_7b_skeleton_has_mistral_7b_parameters_in_the_gpu_dtype(tokenizer, capability):
    dtype = bench.precision(capability)["dtype"]
    model = bench.skeleton(bench.model_config(tokenizer, 32), dtype)
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == bench.MISTRAL_7B_PARAMETERS
    assert {p.dtype for p in params} == {dtype}
    assert {p.device.type for p in params} == {"meta"}


@pytest.mark.slow
def test_benchmark_7b_shards_stay_under_a_gib_so_no_full_model_is_ever_in_host_memory(tokenizer):
    config = bench.model_config(tokenizer, 32)
    plan = bench.shard_plan(config, torch.bfloat16)
    sizes = {file: sum(torch.Size(shape).numel() for _, shape in weights) for file, weights in plan.items()}
    assert len(plan) == 33  # one file per layer, one for embeddings, norm and head
    assert sum(sizes.values()) == bench.MISTRAL_7B_PARAMETERS
    assert max(sizes.values()) * 2 < 2**30  # bf16 bytes of the largest shard, the most ever held at once


@pytest.mark.slow
def test_benchmark_random_model_round_trips_in_its_dtype_and_trl_keeps_every_row(tokenizer, tmp_path):
    """A small model of the same build, loaded by DPOTrainer with the benchmark's own DPOConfig on CPU: the
    tensors are created in the target dtype, and TRL's tokenisation keeps all steps x batch rows."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOTrainer

    config = bench.model_config(
        tokenizer, 2, hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=16
    )
    for _, shard in bench.random_shards(config, torch.float16):
        assert {t.dtype for t in shard.values()} == {torch.float16}
    model_dir = bench.write_random_model(tmp_path / "m", config, tokenizer, torch.float16)
    loaded = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    assert loaded.dtype == torch.float16
    assert sum(p.numel() for p in loaded.parameters()) == sum(
        p.numel() for p in bench.skeleton(config, torch.float16).parameters()
    )

    steps, batch, prompt_tokens = 2, 3, 96
    saved = AutoTokenizer.from_pretrained(model_dir)
    rows = bench.prompt_rows(saved, steps * batch, prompt_tokens)
    cpu = {"dtype": torch.float32, "bf16": False, "fp16": False}
    args = bench.dpo_args(
        tmp_path / "out", cpu, precompute=False, steps=steps, batch=batch,
        max_length=bench.max_length_for(saved, prompt_tokens), use_cpu=True,
    )  # fmt: skip
    trainer = DPOTrainer(model=str(model_dir), args=args, train_dataset=Dataset.from_list(rows), processing_class=saved)
    assert len(trainer.train_dataset) == steps * batch
    assert {len(ids) for ids in trainer.train_dataset["prompt_ids"]} == {prompt_tokens}


def test_benchmark_quantization_computes_in_the_gpu_precision():
    for capability in (A100, T4):
        mixed = bench.precision(capability)
        config = bench.quantization(mixed)
        assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4"
        assert config.bnb_4bit_compute_dtype == mixed["dtype"]


# --- evaluation and RLHF loading -----------------------------------------------------------------


@pytest.mark.parametrize("capability,dtype", [(A100, torch.bfloat16), (T4, torch.float16)])
def test_load_settings_quantize_like_training_in_the_gpu_precision(capability, dtype):
    with patch("torch.cuda.get_device_capability", return_value=capability):
        assert scoring.load_settings("cuda", False) == {"dtype": dtype}
        settings = scoring.load_settings("cuda:0", True)
    quantization = settings.pop("quantization_config")
    assert settings == {"dtype": dtype, "device_map": "cuda:0"}
    assert quantization.load_in_4bit and quantization.bnb_4bit_quant_type == "nf4"
    assert quantization.bnb_4bit_use_double_quant and quantization.bnb_4bit_compute_dtype == dtype


def test_load_settings_on_cpu_are_fp32_and_never_quantized():
    assert scoring.load_settings("cpu", True) == {"dtype": torch.float32}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from newsalign.training.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "m", ["Is this a signal? Answer: Yes No"] * 20)


@pytest.mark.slow
def test_evaluation_loads_in_4bit_when_the_run_trained_in_4bit(tiny, tmp_path, monkeypatch):
    import json
    import shutil

    asked = []
    monkeypatch.setattr(scoring, "load_settings", lambda device, quantize: asked.append(quantize) or {})
    scoring.load_model(tiny, device="cpu")
    run = shutil.copytree(tiny, tmp_path / "run")
    (run / "newsalign_run.json").write_text(json.dumps({"max_length": 64, "load_in_4bit": True}))
    scoring.load_model(run, device="cpu")
    scoring.load_model(run, device="cpu", load_in_4bit=False)
    assert asked == [False, True, False]


@pytest.mark.slow
def test_a_quantized_load_keeps_the_adapter_unmerged_with_the_same_outputs(tiny, tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny), lora).eval()
    peft_model.save_pretrained(tmp_path / "adapter")
    config = scoring.adapter_config(tmp_path / "adapter")
    kept = scoring._load_adapter(tmp_path / "adapter", config, AutoModelForCausalLM, quantized=True).eval()
    merged = scoring._load_adapter(tmp_path / "adapter", config, AutoModelForCausalLM, quantized=False).eval()
    assert isinstance(kept, PeftModel) and not isinstance(merged, PeftModel)
    ids = torch.tensor([[1, 5, 9, 12]])
    with torch.inference_mode():
        torch.testing.assert_close(kept(ids).logits, merged(ids).logits, atol=1e-4, rtol=1e-4)


def test_rlhf_loads_the_reward_model_in_4bit_when_the_policy_is(rlhf, monkeypatch, tmp_path):
    made = []
    monkeypatch.setattr(rlhf, "RewardModelReward", lambda path, **kwargs: made.append(kwargs) or "reward")
    monkeypatch.setattr(rlhf, "trainer_from_path", lambda *args, **kwargs: SimpleNamespace(add_callback=None))
    script = SimpleNamespace(reward="model", reward_model_path=str(tmp_path), kl_target=None)
    for load_in_4bit in (True, False):
        rlhf.build_trainer(
            script, SimpleNamespace(beta=0.1), SimpleNamespace(load_in_4bit=load_in_4bit), [], None, None
        )
    assert made == [{"load_in_4bit": True}, {"load_in_4bit": False}]


def test_reward_model_reward_passes_load_in_4bit_to_the_loader(rlhf, tmp_path, monkeypatch):
    from newsalign.core.errors import NewsalignError

    seen = []
    monkeypatch.setattr(scoring, "load_model", lambda path, **kwargs: seen.append(kwargs) or (object(), None))
    with pytest.raises(NewsalignError, match="not a reward model"):
        rlhf.RewardModelReward(tmp_path, device="cpu", load_in_4bit=True)
    assert seen == [{"device": "cpu", "load_in_4bit": True}]


# --- the GPU configs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,bf16,dtype,vllm",
    [("mistral-7b-qlora-a100", True, "bfloat16", True), ("mistral-7b-qlora-t4", False, "float16", False)],
)
@pytest.mark.parametrize("trainer", ["sft", "dpo", "kto", "reward", "rlhf"])
def test_gpu_configs_parse_for_every_trainer(name, bf16, dtype, vllm, trainer):
    """Parsed as on the GPU (bf16 support and the CUDA/bitsandbytes check patched, as there is no GPU here)."""
    import importlib

    from trl import ModelConfig

    from newsalign.training import config

    module = importlib.import_module(f"newsalign.training.{trainer}")
    types = (module.SCRIPT_ARGS, module.config_class(), ModelConfig)
    with (
        patch.object(config, "check_quantization"),
        patch("transformers.training_args.is_torch_bf16_gpu_available", return_value=True),
    ):
        (script, args, model), env = config.parse_config(trainer, types, f"training/configs/{name}.yaml", [])
    assert (args.bf16, args.fp16) == (bf16, not bf16)
    assert model.dtype == dtype and model.load_in_4bit and model.use_peft
    assert env == {"WANDB_PROJECT": "newsalign"} and args.report_to == ["wandb"]
    assert args.run_name.endswith(f"-{trainer}")  # one W&B run per stage
    if trainer == "rlhf":
        assert args.use_vllm is vllm and args.vllm_mode == "colocate"
        assert 0 < args.vllm_gpu_memory_utilization < 1 and args.vllm_max_model_length >= 1024
        assert script.reward == "model"
