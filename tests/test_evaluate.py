"""Evaluation end to end on a tiny random Mistral: scoring, adapters, data loading, report, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from newsalign.training import scoring
from newsalign.training.evaluate import evaluate_models, parse_model_specs
from newsalign.training.evaluate_data import load_split, read_answers
from newsalign.training.metrics_trainer import find_trainer_state, reward_accuracy
from newsalign.training.plots import training_curves
from newsalign.training.report import comparison_table
from newsalign.training.tiny import build_tiny_model

pytestmark = pytest.mark.xdist_group("test_evaluate")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEMPLATE = "Article: {article}\nIs this news an investment signal for the company? Answer:"
SIGNAL = [
    "Apple shares jump after record iPhone sales",
    "Nvidia beats earnings, raises guidance",
    "Tesla stock soars on delivery numbers",
]
NOISE = [
    "Local football team wins the cup final",
    "Recipe: a quick summer salad",
    "Weather: heavy rain expected this weekend",
]


def _rows(n: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(n):
        signal = i % 2 == 0
        text = (SIGNAL if signal else NOISE)[(i // 2) % 3] + f" ({offset + i})" + " more words" * (i % 5)
        gold, wrong = (" Yes", " No") if signal else (" No", " Yes")
        rows.append(
            {
                "id": f"a{offset + i}",
                "prompt": TEMPLATE.format(article=text),
                "chosen": gold,
                "rejected": wrong,
                "label": signal,
            }
        )
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    corpus = [r["prompt"] for r in _rows(40)]
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", corpus)


@pytest.fixture(scope="module")
def loaded(tiny):
    return scoring.load_model(tiny, device="cpu")


@pytest.fixture
def export_dir(tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    pd.DataFrame(_rows(40)).to_parquet(out / "train.parquet")
    pd.DataFrame(_rows(10, offset=200)).to_parquet(out / "validation.parquet")
    pd.DataFrame(_rows(12, offset=100)).to_parquet(out / "test.parquet")
    (out / "card.json").write_text(json.dumps({"kind": "dpo", "options": {"answers": [" Yes", " No"]}}))
    return out


def _reference(model, prompt_ids: list[int], answer_ids: list[int]) -> float:
    """One unpadded sequence, full logits: sum of log p(answer token | everything before it)."""
    with torch.no_grad():
        logps = torch.log_softmax(model(torch.tensor([prompt_ids + answer_ids])).logits[0].float(), -1)
    return sum(logps[len(prompt_ids) - 1 + k, t].item() for k, t in enumerate(answer_ids))


# --- scoring -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("answers", [(" Yes", " No"), (" Yes indeed", " No")])
def test_scores_equal_unbatched_reference_and_ignore_batch_size(loaded, answers):
    model, tokenizer = loaded
    prompts = [r["prompt"] for r in _rows(9)]  # prompts of different lengths -> padding in every batch
    encoded = scoring.encode(tokenizer, prompts, answers)
    if answers[0] == " Yes indeed":
        assert len(encoded[0][1][0]) > 1  # exercises the prompt+answer rows path, not the single-token one
    reference = np.array([[_reference(model, p, a) for a in ans] for p, ans in encoded])
    for batch_size in (1, 4, 9):
        scores = scoring.answer_logprobs(model, tokenizer, prompts, answers, batch_size=batch_size)
        np.testing.assert_allclose(scores, reference, atol=1e-4)
    probs = scoring.p_signal(reference)
    np.testing.assert_array_equal(probs > 0.5, reference[:, 0] > reference[:, 1])


@pytest.mark.slow
def test_reward_model_scores_prompt_answer_eos(tiny, tmp_path):
    from transformers import AutoConfig, AutoTokenizer, MistralForSequenceClassification

    config = AutoConfig.from_pretrained(tiny, num_labels=1)
    torch.manual_seed(0)
    path = tmp_path / "rm"
    MistralForSequenceClassification(config).save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(path)
    model, tokenizer = scoring.load_model(path, device="cpu")
    assert scoring.is_reward_model(model)
    prompts = [r["prompt"] for r in _rows(7)]
    encoded = scoring.encode(tokenizer, prompts, (" Yes", " No"))
    with torch.no_grad():
        reference = np.array(
            [
                [model(torch.tensor([p + a + [tokenizer.eos_token_id]])).logits[0, 0].item() for a in ans]
                for p, ans in encoded
            ]
        )
    for batch_size in (1, 3):
        np.testing.assert_allclose(
            scoring.answer_logprobs(model, tokenizer, prompts, batch_size=batch_size), reference, atol=1e-4
        )


def test_p_signal_is_softmax_over_answers():
    probs = scoring.p_signal(np.array([[-1.0, -3.0], [-5.0, -2.0], [-700.0, -700.0]]))
    np.testing.assert_allclose(probs, [1 / (1 + np.exp(-2)), 1 / (1 + np.exp(3)), 0.5])


@pytest.mark.parametrize("in_a_cycle", [False, True])
def test_a_scored_model_is_freed_before_the_next_loads(in_a_cycle, monkeypatch, tmp_path):
    """A model freed when its last reference goes costs no garbage collection (a full one took ~0.5 s in a
    large process); one that a reference cycle holds is collected, so two models never sit in memory at once."""
    import gc
    import weakref

    from newsalign.training import evaluate

    class Model:
        def __init__(self):
            self.myself = self if in_a_cycle else None

    def load_model(path, device):
        model = Model()
        loaded.append(weakref.ref(model))
        return model, None

    loaded, collections = [], []
    real_collect = gc.collect
    monkeypatch.setattr(evaluate, "load_model", load_model)
    monkeypatch.setattr(evaluate, "answer_logprobs", lambda model, *args, **kwargs: np.zeros((1, 2)))
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or real_collect(*args))
    gc.disable()  # no automatic collection meanwhile: only the one scoring asks for
    try:
        evaluate._score_model(tmp_path, ["p"], [" yes", " no"], batch_size=1, max_length=None, device="cpu")
    finally:
        gc.enable()
    [scored] = loaded
    assert scored() is None  # freed by the time scoring returned
    assert collections == ([1] if in_a_cycle else [])


@pytest.mark.slow
def test_encode_splits_answer_like_trl(loaded):
    _, tokenizer = loaded
    ((prompt, (yes, no)),) = scoring.encode(tokenizer, ["Is it? Answer:"], (" Yes", " No"))
    assert tokenizer.decode(prompt) == "Is it? Answer:"
    assert tokenizer.decode(yes) == " Yes" and tokenizer.decode(no) == " No"
    ((cut, _),) = scoring.encode(tokenizer, ["x " * 50 + "Answer:"], (" Yes", " No"), max_length=10)
    assert len(cut) == 9 and tokenizer.decode(cut).endswith("Answer:")


def test_missing_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(NewsalignError, match="model path not found"):
        scoring.load_model(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NewsalignError, match="neither a model directory"):
        scoring.load_model(tmp_path / "empty")


@pytest.mark.slow
def test_lora_adapter_loads_onto_its_base(tiny, loaded, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base, tokenizer = loaded
    torch.manual_seed(1)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny), config).eval()
    peft_model.save_pretrained(tmp_path / "adapter")
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(
        tiny
    )

    prompts = [r["prompt"] for r in _rows(5)]
    model, adapter_tokenizer = scoring.load_model(tmp_path / "adapter", device="cpu")
    got = scoring.answer_logprobs(model, adapter_tokenizer, prompts, batch_size=2)
    want = scoring.answer_logprobs(peft_model, tokenizer, prompts, batch_size=2)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert np.abs(got - scoring.answer_logprobs(base, tokenizer, prompts)).max() > 1e-3  # the adapter matters


@pytest.mark.slow
def test_lora_reward_adapter_is_scored_as_a_reward_model(tiny, tmp_path):
    """What QLoRA `train reward` leaves: a SEQ_CLS adapter on the causal base, its `score` head saved with it."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(2)
    config = LoraConfig(
        r=4,
        target_modules=["q_proj", "v_proj"],
        task_type="SEQ_CLS",
        modules_to_save=["score"],
        init_lora_weights=False,
    )
    peft_model = get_peft_model(AutoModelForSequenceClassification.from_pretrained(tiny, num_labels=1), config).eval()
    torch.nn.init.normal_(peft_model.base_model.model.score.modules_to_save["default"].weight)
    peft_model.save_pretrained(tmp_path / "rm-adapter")

    model, tokenizer = scoring.load_model(tmp_path / "rm-adapter", device="cpu")
    assert scoring.is_reward_model(model)
    prompts = [r["prompt"] for r in _rows(4)]
    got = scoring.answer_logprobs(model, tokenizer, prompts, batch_size=2)
    want = scoring.answer_logprobs(peft_model, tokenizer, prompts, batch_size=2)
    np.testing.assert_allclose(got, want, atol=1e-4)


# --- data ----------------------------------------------------------------------------------------


def test_gold_labels_come_from_the_signal_column_of_each_export_kind(tmp_path):
    # The answer texts deliberately contradict the signal column: the evaluator must read the column, not the text.
    rows = [{"id": "a", "prompt": "p1"}, {"id": "b", "prompt": "p2"}]
    kinds = {
        "dpo": [
            {**rows[0], "chosen": " Non", "rejected": " Oui", "label": True},
            {**rows[1], "chosen": " Oui", "label": False},
        ],
        "rl": [{**rows[0], "label": True, "answer": " Non"}, {**rows[1], "label": False, "answer": " Oui"}],
        "kto": [  # TRL's `label` (desirable) is not the signal
            {**rows[0], "completion": " Oui", "label": False, "signal": True},
            {**rows[0], "completion": " Non", "label": True, "signal": True},
            {**rows[1], "completion": " Non", "label": False, "signal": False},
            {**rows[1], "completion": " Oui", "label": True, "signal": False},
        ],
        "sft": [{**rows[0], "completion": " Non", "label": True}, {**rows[1], "completion": " Oui", "label": False}],
    }
    for kind, records in kinds.items():
        folder = tmp_path / kind
        folder.mkdir()
        (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        (folder / "card.json").write_text(json.dumps({"options": {"answers": [" Oui", " Non"]}}))
        assert read_answers(folder) == (" Oui", " Non")
        frame = load_split(folder)
        assert frame["id"].tolist() == ["a", "b"], kind
        assert frame["gold"].tolist() == [True, False], kind


def test_an_export_without_a_signal_column_is_refused(tmp_path):
    (tmp_path / "test.jsonl").write_text(json.dumps({"id": "a", "prompt": "p", "chosen": " Yes", "rejected": " No"}))
    with pytest.raises(NewsalignError, match=r"lacks column\(s\) label .*re-export"):
        load_split(tmp_path)


def test_answers_default_without_card(tmp_path):
    assert read_answers(tmp_path) == (" Yes", " No")


@pytest.mark.slow
def test_empty_and_missing_splits(tmp_path, tiny):
    with pytest.raises(NewsalignError, match="no test.parquet or test.jsonl"):
        load_split(tmp_path)
    (tmp_path / "test.jsonl").write_text("")
    with pytest.raises(NewsalignError, match="has no rows to evaluate"):
        evaluate_models({"tiny": tiny}, tmp_path, tmp_path / "out")


def test_parse_model_specs():
    assert parse_model_specs(["dpo=runs/dpo", "runs/base"]) == {"dpo": Path("runs/dpo"), "base": Path("runs/base")}
    with pytest.raises(NewsalignError, match="used twice"):
        parse_model_specs(["a=x", "a=y"])
    with pytest.raises(NewsalignError, match="used twice"):
        parse_model_specs(["majority=x"])


# --- trainer logs --------------------------------------------------------------------------------

LOG_HISTORY = [
    {
        "step": 1,
        "loss": 0.69,
        "rewards/margins": 0.0,
        "rewards/chosen": 0.0,
        "rewards/rejected": 0.0,
        "rewards/accuracies": 0.4,
        "logps/chosen": -2.0,
        "logps/rejected": -2.1,
    },
    {
        "step": 2,
        "loss": 0.60,
        "rewards/margins": 0.3,
        "rewards/chosen": 0.2,
        "rewards/rejected": -0.1,
        "rewards/accuracies": 0.7,
        "logps/chosen": -1.8,
        "logps/rejected": -2.4,
    },
    {"step": 2, "eval_loss": 0.62, "eval_rewards/accuracies": 0.78125, "eval_rewards/margins": 0.25},
    {"step": 2, "train_runtime": 3.2, "train_loss": 0.65},
]


def _write_run(model_src, root):
    """A trainer output dir: <root>/final (the model) and two checkpoints; checkpoint-10 is the newest."""
    shutil.copytree(model_src, root / "final")
    for step, history in ((2, LOG_HISTORY[:1]), (10, LOG_HISTORY)):
        (root / f"checkpoint-{step}").mkdir()
        (root / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    return root / "final"


@pytest.mark.slow
def test_trainer_state_found_and_reward_accuracy_prefers_eval(tiny, tmp_path):
    final = _write_run(tiny, tmp_path / "run")
    assert find_trainer_state(final) == tmp_path / "run" / "checkpoint-10" / "trainer_state.json"
    assert reward_accuracy(LOG_HISTORY) == {
        "key": "eval_rewards/accuracies",
        "value": 0.78125,
        "step": 2,
        "split": "eval",
    }
    assert reward_accuracy(LOG_HISTORY[:2])["split"] == "train"
    assert reward_accuracy([{"step": 1, "loss": 1.0}]) is None


def test_training_curves_png(tmp_path):
    path = training_curves(LOG_HISTORY, tmp_path / "curves.png", title="dpo")
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5000
    assert training_curves([{"step": 1, "train_runtime": 2.0}], tmp_path / "none.png") is None


# --- whole evaluation ----------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_models_writes_report(tiny, export_dir, tmp_path):
    dpo = _write_run(tiny, tmp_path / "dpo_run")
    out = tmp_path / "report"
    result = evaluate_models({"base": tiny, "dpo": dpo}, export_dir, out, batch_size=4, bootstrap=50, seed=3)

    assert list(result["models"]) == ["base", "dpo", "majority", "tfidf_logreg"]
    assert result["data"] == {
        "dir": str(export_dir),
        "split": "test",
        "n": 12,
        "positive": 6,
        "negative": 6,
        "answers": [" Yes", " No"],
        "validation_n": 10,
    }
    for entry in result["models"].values():
        assert 0 <= entry["metrics"]["accuracy"] <= 1
        assert sum(map(sum, entry["confusion_matrix"])) == 12
    assert result["models"]["majority"]["metrics"]["roc_auc"] == 0.5
    assert result["models"]["tfidf_logreg"]["metrics"]["accuracy"] == 1.0  # the fixture's words give the label away
    # same weights, same prompts: identical scores for base and dpo
    assert result["models"]["base"]["metrics"] == result["models"]["dpo"]["metrics"]
    assert result["models"]["dpo"]["trainer"]["reward_accuracy"]["value"] == 0.78125
    assert result["models"]["base"]["trainer"]["curves"] is None

    saved = json.loads((out / "metrics.json").read_text())
    assert saved["models"]["dpo"]["ci"]["accuracy"] == list(result["models"]["dpo"]["ci"]["accuracy"])
    report = (out / "report.md").read_text()
    assert "not** task accuracy" in report and "0.781" in report and "curves_dpo.png" in report
    for png in ("roc_curves.png", "pr_curves.png", "confusion_matrices.png", "reliability.png", "curves_dpo.png"):
        data = (out / png).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000, png
    predictions = pd.read_csv(out / "predictions.csv")
    names = ["base", "dpo", "majority", "tfidf_logreg"]
    assert list(predictions.columns) == ["id", "gold", *(f"p_{n}" for n in names), *(f"pcal_{n}" for n in names)]
    assert "tfidf_logreg" in comparison_table(result).splitlines()[-1]
    assert "ece_calibrated" in comparison_table(result).splitlines()[0]


@pytest.mark.slow
def test_calibration_is_fitted_on_validation_and_reported_before_and_after(tiny, export_dir, tmp_path):
    from newsalign.training.calibration import apply_platt, fit_platt

    result = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "on", bootstrap=0)
    assert result["settings"]["calibration"] == "platt"
    validation = pd.read_parquet(export_dir / "validation.parquet")
    p_val = scoring.p_signal(
        scoring.answer_logprobs(*scoring.load_model(tiny, device="cpu"), validation["prompt"].tolist())
    )
    entry = result["models"]["tiny"]
    assert (entry["calibration"]["a"], entry["calibration"]["b"]) == pytest.approx(
        fit_platt(validation["label"], p_val)
    )
    predictions = pd.read_csv(tmp_path / "on" / "predictions.csv")
    calibrated = apply_platt((entry["calibration"]["a"], entry["calibration"]["b"]), predictions["p_tiny"])
    assert predictions["pcal_tiny"].to_numpy() == pytest.approx(calibrated)
    gold = predictions["gold"].to_numpy()
    assert entry["calibration"]["ece"] == pytest.approx(evaluate_ece(gold, calibrated))
    report = (tmp_path / "on" / "report.md").read_text()
    assert "## Calibration" in report and "reliability_calibrated.png" in report
    assert (tmp_path / "on" / "reliability_calibrated.png").read_bytes()[:8] == PNG_MAGIC

    off = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "off", bootstrap=0, calibrate="none")
    assert off["settings"]["calibration"] is None and "calibration" not in off["models"]["tiny"]
    assert "## Calibration" not in (tmp_path / "off" / "report.md").read_text()
    assert off["models"]["tiny"]["metrics"] == entry["metrics"]  # calibration moves probabilities only
    with pytest.raises(NewsalignError, match="calibrate must be one of platt or none, not 'isotonic'"):
        evaluate_models({"tiny": tiny}, export_dir, tmp_path / "bad", calibrate="isotonic")


def evaluate_ece(gold, p) -> float:
    from newsalign.training.metrics import compute_metrics

    return compute_metrics(gold, p)["ece"]


@pytest.mark.slow
def test_one_class_test_set_reports_nan_auc(tiny, export_dir, tmp_path):
    test = pd.read_parquet(export_dir / "test.parquet")
    test[test["label"]].to_parquet(export_dir / "test.parquet")
    result = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "out", bootstrap=20)
    assert np.isnan(result["models"]["tiny"]["metrics"]["roc_auc"])
    assert any("one class" in note for note in result["notes"])
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["models"]["tiny"]["metrics"]["roc_auc"] is None
    assert "n/a" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.slow
def test_cli_evaluate(tiny, export_dir, tmp_path, capsys):
    out = tmp_path / "cli_report"
    code = main(
        [
            "evaluate",
            "--model",
            f"tiny={tiny}",
            "--data",
            str(export_dir),
            "--out",
            str(out),
            "--bootstrap",
            "20",
            "--batch-size",
            "3",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "model" in printed and "tfidf_logreg" in printed and "ece" in printed
    assert (out / "report.md").exists() and (out / "metrics.json").exists()
    assert "calibration" in json.loads((out / "metrics.json").read_text())["models"]["tiny"]
    off = tmp_path / "uncalibrated"
    args = ["--model", f"tiny={tiny}", "--data", str(export_dir), "--bootstrap", "20", "--calibrate", "none"]
    assert main(["evaluate", *args, "--out", str(off)]) == 0
    assert "calibration" not in json.loads((off / "metrics.json").read_text())["models"]["tiny"]


def test_cli_missing_model_is_one_line_error(export_dir, tmp_path, capsys):
    code = main(
        ["evaluate", "--model", f"dpo={tmp_path / 'missing'}", "--data", str(export_dir), "--out", str(tmp_path / "o")]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: model 'dpo': path not found") and "\n" not in err


@pytest.mark.slow
def test_evaluate_a_model_trained_by_newsalign_dpo(tiny, export_dir, tmp_path):
    """The trainer's real output (model + checkpoint-N/trainer_state.json) goes straight into the evaluator."""
    from newsalign.demo.train import TINY_CONFIG
    from newsalign.training.runner import run_training

    overrides = {
        "model_name_or_path": tiny,
        "dataset_dir": export_dir,
        "output_dir": tmp_path / "dpo",
        "max_steps": 2,
        "eval_strategy": "steps",
        "eval_steps": 2,
    }
    dpo = run_training("dpo", str(TINY_CONFIG), [item for k, v in overrides.items() for item in (f"--{k}", str(v))])
    result = evaluate_models({"base": tiny, "dpo": dpo}, export_dir, tmp_path / "report", bootstrap=20)
    trainer = result["models"]["dpo"]["trainer"]
    assert trainer["reward_accuracy"]["key"] == "eval_rewards/accuracies"
    assert trainer["reward_accuracy"]["pairs"] == 10  # the validation split it was evaluated on
    pairs = f"{round(trainer['reward_accuracy']['value'] * 10)} of 10"
    assert pairs in (tmp_path / "report" / "report.md").read_text()
    assert result["settings"]["max_length"] == 256  # the tiny config's dpo max_length, not a separate default
    assert (tmp_path / "report" / trainer["curves"]).read_bytes()[:8] == PNG_MAGIC
    base_p = pd.read_csv(tmp_path / "report" / "predictions.csv")
    assert (base_p["p_base"] - base_p["p_dpo"]).abs().max() > 1e-4  # training changed the scores


@pytest.mark.slow
def test_majority_baseline_sees_the_real_balance_after_downsampling(tiny, tmp_path):
    """Train balanced 50/50 (as `--balance downsample` leaves it), validation and test 75% signal: the majority
    baseline must predict "yes" (accuracy 0.75), not the balanced prior's "no" (0.25)."""
    out = tmp_path / "export"
    out.mkdir()
    pd.DataFrame(_rows(40)).to_parquet(out / "train.parquet")
    for name, offset in (("validation", 200), ("test", 100)):
        rows = _rows(16, offset=offset)
        pd.DataFrame([r for r in rows if r["label"]] + [r for r in rows if not r["label"]][:3]).to_parquet(
            out / f"{name}.parquet"
        )
    result = evaluate_models({}, out, tmp_path / "report", bootstrap=0)
    assert result["data"]["positive"] == 8 and result["data"]["negative"] == 3
    assert result["models"]["majority"]["metrics"]["accuracy"] == pytest.approx(8 / 11)
    assert result["models"]["majority"]["confusion_matrix"] == [[0, 3], [0, 8]]


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_majority_prior_comes_from_the_training_population_before_balancing(tmp_path):
    """The card says the real training population was 80% signal; the tiny validation split happens to hold
    more "no" than "yes". The majority baseline predicts the population's majority, "yes"."""
    out = tmp_path / "export"
    out.mkdir()
    pd.DataFrame(_rows(40)).to_parquet(out / "train.parquet")  # balanced, as --balance downsample leaves it
    pd.DataFrame(_rows(3, offset=200)).to_parquet(out / "validation.parquet")  # 2 yes, 1 no
    validation = pd.read_parquet(out / "validation.parquet")
    validation.assign(label=[True, False, False]).to_parquet(out / "validation.parquet")
    rows = _rows(16, offset=100)
    pd.DataFrame([r for r in rows if r["label"]] + [r for r in rows if not r["label"]][:3]).to_parquet(
        out / "test.parquet"
    )
    card = {"options": {"answers": [" Yes", " No"]}, "train_before_balance": {"articles": 50, "positive": 40}}
    (out / "card.json").write_text(json.dumps(card))
    result = evaluate_models({}, out, tmp_path / "report", bootstrap=0)
    majority = result["models"]["majority"]
    assert majority["threshold"] == 0.5 and majority["confusion_matrix"] == [[0, 3], [0, 8]]
    assert any("0.800, from the training split before balancing (50 articles)" in n for n in result["notes"])
    (out / "card.json").write_text(json.dumps({"options": card["options"]}))  # an older card: validation's prior
    fallback = evaluate_models({}, out, tmp_path / "old", bootstrap=0)
    assert fallback["models"]["majority"]["confusion_matrix"] == [[3, 0], [8, 0]]
    assert any("from the validation split (3 articles)" in n for n in fallback["notes"])


@pytest.mark.slow
def test_threshold_is_chosen_on_validation_never_on_test(tiny, export_dir, tmp_path):
    first = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "a", bootstrap=0)
    assert first["settings"]["threshold"] == "validation"
    test = pd.read_parquet(export_dir / "test.parquet")
    test.assign(label=~test["label"]).to_parquet(export_dir / "test.parquet")  # flip every test label
    flipped = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "b", bootstrap=0)
    for name in ("tiny", "majority", "tfidf_logreg"):
        assert flipped["models"][name]["threshold"] == first["models"][name]["threshold"]
    validation = pd.read_parquet(export_dir / "validation.parquet")
    p_val = scoring.p_signal(
        scoring.answer_logprobs(*scoring.load_model(tiny, device="cpu"), validation["prompt"].tolist())
    )
    from newsalign.training.metrics import choose_threshold

    assert first["models"]["tiny"]["threshold"] == pytest.approx(choose_threshold(validation["label"], p_val))
    assert "chosen per model on the validation split" in (tmp_path / "a" / "report.md").read_text()
    fixed = evaluate_models({"tiny": tiny}, export_dir, tmp_path / "c", bootstrap=0, threshold=0.5)
    assert {e["threshold"] for e in fixed["models"].values()} == {0.5}


def test_max_length_comes_from_the_trained_models(tmp_path):
    from newsalign.training.evaluate import DEFAULT_MAX_LENGTH, resolve_max_length

    for name, length in (("a", 512), ("b", 256)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "newsalign_run.json").write_text(json.dumps({"max_length": length}))
    (tmp_path / "base").mkdir()
    models = {n: tmp_path / n for n in ("a", "b", "base")}
    assert resolve_max_length(models, None) == 256
    assert resolve_max_length(models, 100) == 100
    assert resolve_max_length({"base": tmp_path / "base"}, None) == DEFAULT_MAX_LENGTH
