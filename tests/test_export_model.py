"""`newsalign export-model` on a tiny random Mistral: an SFT -> DPO adapter chain and a LoRA reward model
merged into plain model folders whose outputs equal the adapter models'."""

import json

import pytest
import torch
from click.testing import CliRunner

from newsalign.cli import cli
from newsalign.training.tiny import build_tiny_model

pytestmark = pytest.mark.xdist_group("test_export_model")

CORPUS = [f"Shares of company {i} rose after results. Is this an investment signal? Answer: Yes" for i in range(40)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", CORPUS)


def _lora(seed: int, **kwargs):
    from peft import LoraConfig

    torch.manual_seed(seed)
    return LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False, **kwargs)


@pytest.fixture(scope="module")
def chain(tiny, tmp_path_factory):
    """(dpo adapter dir, the adapter model it describes): a DPO LoRA trained on the SFT LoRA merged into the base,
    as `train dpo` from an SFT adapter leaves it (its base_model_name_or_path is the SFT adapter dir)."""
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from newsalign.training.adapters import load_merged

    root = tmp_path_factory.mktemp("chain")
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny), _lora(1)).save_pretrained(root / "sft")
    merged_sft = load_merged(root / "sft", AutoModelForCausalLM)
    dpo = get_peft_model(merged_sft, _lora(2)).eval()
    dpo.save_pretrained(root / "dpo", save_embedding_layers=False)  # as `train dpo` saves it (trl_build.py)
    (root / "dpo" / "newsalign_run.json").write_text(json.dumps({"max_length": 256, "load_in_4bit": True}))
    assert json.loads((root / "dpo" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(
        root / "sft"
    )
    return root / "dpo", dpo


def _ids(tiny):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny)(CORPUS[:3], return_tensors="pt", padding=True)


@pytest.mark.slow
def test_export_model_merges_an_adapter_chain_into_a_plain_model(tiny, chain, tmp_path):
    from transformers import AutoModelForCausalLM

    adapter, adapter_model = chain
    result = CliRunner().invoke(cli, ["export-model", "--adapter", str(adapter), "--out", str(tmp_path / "merged")])
    assert result.exit_code == 0, result.output

    files = {p.name for p in (tmp_path / "merged").iterdir()}
    assert "config.json" in files and "tokenizer.json" in files and "model.safetensors" in files
    assert not {f for f in files if f.startswith("adapter")}
    assert json.loads((tmp_path / "merged" / "newsalign_run.json").read_text()) == {"max_length": 256}
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged").eval()
    assert type(merged).__name__ == "MistralForCausalLM"
    batch = _ids(tiny)
    with torch.inference_mode():
        want = adapter_model(**batch).logits
        got = merged(**batch).logits
        base = AutoModelForCausalLM.from_pretrained(tiny)(**batch).logits
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert (got - base).abs().max() > 1e-3  # the adapters matter


@pytest.mark.slow
def test_export_model_keeps_a_reward_model_a_sequence_classifier(tiny, tmp_path):
    from peft import get_peft_model
    from transformers import AutoModelForSequenceClassification

    peft_model = get_peft_model(
        AutoModelForSequenceClassification.from_pretrained(tiny, num_labels=1),
        _lora(3, task_type="SEQ_CLS", modules_to_save=["score"]),
    ).eval()
    torch.nn.init.normal_(peft_model.base_model.model.score.modules_to_save["default"].weight)
    peft_model.save_pretrained(tmp_path / "rm")

    result = CliRunner().invoke(cli, ["export-model", "--adapter", str(tmp_path / "rm"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    merged = AutoModelForSequenceClassification.from_pretrained(tmp_path / "m").eval()
    batch = _ids(tiny)
    with torch.inference_mode():
        torch.testing.assert_close(merged(**batch).logits, peft_model(**batch).logits, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_export_model_refuses_a_full_model_and_a_non_empty_folder(tiny, chain, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["export-model", "--adapter", str(tiny), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "not a LoRA adapter" in result.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    result = runner.invoke(cli, ["export-model", "--adapter", str(chain[0]), "--out", str(tmp_path / "full")])
    assert result.exit_code == 1 and "not empty" in result.output
