"""`newsalign export {dpo,reward,rl,kto,sft}`: column contracts, splits, balance, truncation, card, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from newsalign.cli import main
from newsalign.core.errors import NewsalignError
from tests.agnews_lake import LABEL, POSITIVE_CLASSES, build_warehouse
from tests.helpers import AG_NEWS, copy_lake, require_shared

pytestmark = pytest.mark.xdist_group("test_export_training")  # one labelled lake for the module


@pytest.fixture(scope="module")
def labelled_template(lake_template: Path, tmp_path_factory) -> Path:
    """The AG News warehouse, built once for the module; each test gets a copy (`warehouse_db`)."""
    return build_warehouse(copy_lake(lake_template, tmp_path_factory.mktemp("agnews") / "lake"))


@pytest.fixture
def warehouse_db(labelled_template: Path, tmp_path: Path) -> Path:
    return copy_lake(labelled_template, tmp_path / "warehouse")


def run(*args) -> int:
    """`newsalign export ...` in-process, labelled from LABEL unless the test names a --label."""
    args = [str(a) for a in args]
    return main(args if "--label" in args else [*args, "--label", LABEL])


@pytest.mark.parametrize(
    "kind, columns",
    [
        ("dpo", {"id", "prompt", "chosen", "rejected", "label"}),
        ("reward", {"id", "prompt", "chosen", "rejected", "label"}),
        ("rl", {"id", "prompt", "label", "answer"}),
        ("kto", {"id", "prompt", "completion", "label", "signal"}),
        ("sft", {"id", "prompt", "completion", "label"}),
    ],
)
def test_export_kinds_have_trl_columns(warehouse_db, tmp_path, kind, columns):
    out = tmp_path / kind
    assert run("export", kind, "--out", out, "--db", warehouse_db) == 0
    train, validation, test = (pd.read_parquet(out / f"{s}.parquet") for s in ("train", "validation", "test"))
    assert set(train.columns) == set(validation.columns) == columns
    ids = [set(part["id"]) for part in (train, validation, test)]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    card = json.loads((out / "card.json").read_text())
    assert sum(card["counts"][s]["articles"] for s in ("train", "validation", "test")) == 120
    assert card["counts"]["test"]["articles"] == card["counts"]["validation"]["articles"] == 12  # 80/10/10
    assert [card["counts"][s]["articles"] for s in ("validation", "test")] == [len(ids[1]), len(ids[2])]
    if kind == "kto":  # both answers per article, exactly one of them correct
        assert len(train) == 2 * card["counts"]["train"]["articles"]
        assert train.groupby("id")["label"].sum().eq(1).all()
    assert "Is this article an investment signal?" in train["prompt"].iloc[0]


def test_dpo_chosen_is_the_label(warehouse_db, tmp_path):
    run("export", "dpo", "--out", tmp_path / "dpo", "--db", warehouse_db)
    train = pd.read_parquet(tmp_path / "dpo" / "train.parquet")
    labels = pd.read_csv(require_shared(AG_NEWS), nrows=120)
    positive_ids = {f"a{i:04d}" for i, c in enumerate(labels["label"].astype(str)) if c in POSITIVE_CLASSES}
    expected = train["id"].map(lambda i: " Yes" if i in positive_ids else " No")
    assert (train["chosen"] == expected).all()
    assert (train["rejected"] != train["chosen"]).all()
    assert train["label"].dtype == bool and (train["label"] == train["id"].isin(positive_ids)).all()


def test_kto_keeps_trls_label_and_carries_the_signal_beside_it(warehouse_db, tmp_path):
    run("export", "kto", "--out", tmp_path / "kto", "--db", warehouse_db)
    train = pd.read_parquet(tmp_path / "kto" / "train.parquet")
    assert (train["label"] == (train["completion"] == train["signal"].map({True: " Yes", False: " No"}))).all()
    assert json.loads((tmp_path / "kto" / "card.json").read_text())["signal_column"] == "signal"
    assert "signal (boolean) is `signal` (`label` is TRL's" in (tmp_path / "kto" / "README.md").read_text()


CLASSIFIER_V1_SHA256 = "36d5688e54215f42bb874aec7b66b5e86a243ede2c088f7b290695c4953a39b7"


def test_classifier_prompt_is_versioned_and_checked(tmp_path):
    from newsalign.core.prompts import load_template
    from newsalign.training.prompt import DEFAULT_PROMPT_VERSION, PROMPTS_DIR, PromptBuilder

    template = load_template(PROMPTS_DIR, DEFAULT_PROMPT_VERSION, ("article",))
    # v1's file ended in a newline the prompt kept; today's prompt ends at "Answer:", so it is a new version
    assert template.version == "classifier_v2" and template.sha256 != CLASSIFIER_V1_SHA256
    assert PromptBuilder(version=DEFAULT_PROMPT_VERSION)("T", "Body.").endswith("signal? Answer Yes or No.\nAnswer:")
    with pytest.raises(NewsalignError, match="unknown prompt version 'signal_v9'; available: classifier_v2$"):
        load_template(PROMPTS_DIR, "signal_v9")
    (tmp_path / "broken_v1.txt").write_text("no placeholder here")
    with pytest.raises(NewsalignError, match=r"lacks placeholder\(s\) \{article\}"):
        load_template(tmp_path, "broken_v1", ("article",))


def test_time_split_has_no_look_ahead(warehouse_db, tmp_path):
    from newsalign.warehouse import connect

    run("export", "sft", "--out", tmp_path / "sft", "--split", "time", "--test-size", "0.25", "--db", warehouse_db)
    train, validation, test = (
        pd.read_parquet(tmp_path / "sft" / f"{s}.parquet") for s in ("train", "validation", "test")
    )
    dates = dict(connect(warehouse_db).execute("SELECT id, date_published FROM articles").fetchall())
    assert max(dates[i] for i in train["id"]) < min(dates[i] for i in validation["id"])
    assert max(dates[i] for i in validation["id"]) < min(dates[i] for i in test["id"])
    assert (len(train), len(validation), len(test)) == (78, 12, 30)


def test_time_split_of_undated_articles_says_they_have_no_dates(warehouse_db, tmp_path, capsys):
    from newsalign.warehouse import connect

    with connect(warehouse_db) as con:
        con.execute("UPDATE articles SET date_published = NULL")
    assert run("export", "sft", "--out", tmp_path / "sft", "--split", "time", "--db", warehouse_db) == 1
    err = capsys.readouterr().err
    assert "these 120 articles have no dates" in err and "--test-size" not in err


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_near_duplicates_never_straddle_the_split(db_path, tmp_path):
    from newsalign.warehouse import connect

    build_warehouse(db_path)
    con = connect(db_path)
    # a0000..a0009 are near-duplicates by the crawler's MinHash (one word apart); a0010/a0011 share a content hash.
    from newsalign.core.minhash import signature

    story = [f"word{i}" for i in range(200)]
    for i in range(10):
        fingerprint = signature([*story, f"end{i}"]).hashvalues.tolist()
        con.execute("INSERT INTO article_fingerprints VALUES (?, ?)", [f"a{i:04d}", fingerprint])
    con.execute(
        "INSERT INTO article_fingerprints VALUES ('a0020', ?)", [signature(["other", "words"]).hashvalues.tolist()]
    )
    con.execute("UPDATE articles SET content_hash = 'same' WHERE id IN ('a0010', 'a0011')")
    con.close()
    for seed in range(6):
        out = tmp_path / f"s{seed}"
        run("export", "sft", "--out", out, "--seed", seed, "--test-size", "0.3", "--db", db_path)
        for split in ("train", "validation", "test"):
            ids = set(pd.read_parquet(out / f"{split}.parquet")["id"])
            cluster = {f"a{i:04d}" for i in range(10)}
            assert cluster <= ids or not cluster & ids
            assert {"a0010", "a0011"} <= ids or not {"a0010", "a0011"} & ids
    assert json.loads((out / "card.json").read_text())["near_duplicate_groups"] == 120 - 9 - 1


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_balance_downsample_and_weights(warehouse_db, tmp_path):
    run("export", "dpo", "--out", tmp_path / "down", "--balance", "downsample", "--db", warehouse_db)
    card = json.loads((tmp_path / "down" / "card.json").read_text())
    assert card["counts"]["train"]["positive"] == card["counts"]["train"]["negative"] > 0
    before = card["train_before_balance"]  # the real class balance, which validation and test keep
    assert before["articles"] == 96 and before["positive"] != before["negative"]
    assert "before balancing: 96 articles" in (tmp_path / "down" / "README.md").read_text()
    run("export", "dpo", "--out", tmp_path / "w", "--balance", "weights", "--db", warehouse_db)
    train = pd.read_parquet(tmp_path / "w" / "train.parquet")
    per_class = train.groupby("chosen")["weight"].sum()
    assert per_class.iloc[0] == pytest.approx(per_class.iloc[1])  # each class carries half the weight
    assert "weight" not in pd.read_parquet(tmp_path / "w" / "test.parquet").columns


def test_long_articles_are_truncated_and_counted(warehouse_db, tmp_path):
    out = tmp_path / "rl"
    run("export", "rl", "--out", out, "--max-article-tokens", "20", "--format", "jsonl", "--db", warehouse_db)
    card = json.loads((out / "card.json").read_text())
    assert card["truncated_articles"] > 50
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    assert max(len(r["prompt"]) for r in rows) < 600
    readme = (out / "README.md").read_text()
    assert f"{card['truncated_articles']} truncated" in readme and card["warehouse_snapshot_sha256"] in readme


def test_tokenizer_counts_tokens_and_checks_answer_lengths(warehouse_db, tmp_path, capsys):
    from newsalign.training.tiny import build_tokenizer

    tokenizer = build_tokenizer(["Stocks rally as markets open", "Yes No"] * 50, vocab_size=300)
    tokenizer.save_pretrained(tmp_path / "tok")
    out = tmp_path / "dpo"
    assert (
        run(
            "export",
            "dpo",
            "--out",
            out,
            "--tokenizer",
            tmp_path / "tok",
            "--max-article-tokens",
            30,
            "--db",
            warehouse_db,
        )
        == 0
    )
    card = json.loads((out / "card.json").read_text())
    assert card["token_count"] == "tokenizer" and card["truncated_articles"] > 0
    assert (
        run(
            "export",
            "dpo",
            "--out",
            out,
            "--tokenizer",
            tmp_path / "tok",
            "--answers",
            " Yes",
            " Absolutely not",
            "--db",
            warehouse_db,
        )
        == 1
    )
    assert "equal token length" in capsys.readouterr().err
    assert run("export", "dpo", "--out", out, "--tokenizer", tmp_path, "--db", warehouse_db) == 1  # not a tokenizer
    err = capsys.readouterr().err
    assert f"--tokenizer {tmp_path}: no tokenizer" in err and "Traceback" not in err


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_snapshot_hash_is_stable_and_tracks_labels(warehouse_db, tmp_path):
    from newsalign.warehouse import connect

    hashes = []
    for name in ("a", "b"):
        run("export", "sft", "--out", tmp_path / name, "--db", warehouse_db)
        hashes.append(json.loads((tmp_path / name / "card.json").read_text())["warehouse_snapshot_sha256"])
    connect(warehouse_db).execute("UPDATE agnews_labels SET signal = NOT signal WHERE id = 'a0000'")
    run("export", "sft", "--out", tmp_path / "c", "--db", warehouse_db)
    changed = json.loads((tmp_path / "c" / "card.json").read_text())["warehouse_snapshot_sha256"]
    assert hashes[0] == hashes[1] != changed


def test_missing_label_view_is_named(warehouse_db, tmp_path, capsys):
    assert run("export", "dpo", "--out", tmp_path / "x", "--label", "v_nope", "--db", warehouse_db) == 1
    err = capsys.readouterr().err
    assert "label view 'v_nope' not found" in err and "Traceback" not in err
    # the default v_signal exists but is empty without LLM/Trends data: said plainly
    assert main(["export", "dpo", "--out", str(tmp_path / "x"), "--db", str(warehouse_db)]) == 1
    assert "no labelled articles" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_one_class_and_empty_sets_are_refused(warehouse_db, tmp_path, capsys):
    from newsalign.warehouse import connect

    con = connect(warehouse_db)
    con.execute("CREATE VIEW all_yes AS SELECT id, true AS signal FROM articles")
    con.execute("CREATE VIEW nothing AS SELECT id, NULL::BOOLEAN AS signal FROM articles")
    con.close()
    assert run("export", "dpo", "--out", tmp_path / "x", "--label", "all_yes", "--db", warehouse_db) == 1
    assert "only positive examples" in capsys.readouterr().err
    assert run("export", "dpo", "--out", tmp_path / "x", "--label", "nothing", "--db", warehouse_db) == 1
    assert "no labelled articles" in capsys.readouterr().err


def test_prompt_ends_where_the_answer_begins_and_names_the_title_once():
    from newsalign.training.prompt import PromptBuilder

    builder = PromptBuilder()
    prompt = builder("Oil rises", "Oil rises. Crude prices climbed on Monday.")
    assert prompt.endswith("Answer:") and prompt.count("Oil rises") == 1
    assert (prompt + " Yes").endswith("\nAnswer: Yes")
    assert builder("Oil rises", "Crude prices climbed on Monday.").count("Oil rises") == 1
    assert "Oil rises\n\nCrude prices" in builder("Oil rises", "Crude prices climbed on Monday.")


def test_answers_follow_the_prompt_as_one_equal_length_token(tmp_path):
    from transformers import AutoTokenizer

    from newsalign.training.prompt import PromptBuilder
    from newsalign.training.scoring import encode
    from newsalign.training.tiny import build_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "tiny", ["Stocks fell. Answer: Yes"] * 50))
    prompt = PromptBuilder(tokenizer=tokenizer)("Stocks", "Stocks fell sharply.")
    [(_, answer_ids)] = encode(tokenizer, [prompt])
    assert [tokenizer.decode(a) for a in answer_ids] == [" Yes", " No"]


def test_card_copies_label_params_only_for_a_label_view_that_reads_them(warehouse_db, tmp_path):
    from newsalign.training.export import uses_label_params
    from newsalign.warehouse import connect

    with connect(warehouse_db) as con:
        assert uses_label_params(con, "v_signal") and not uses_label_params(con, LABEL)
        con.execute(f"CREATE VIEW my_labels AS SELECT * FROM {LABEL}")
        assert not uses_label_params(con, "my_labels")
    run("export", "dpo", "--out", tmp_path / "dpo", "--db", warehouse_db, "--label", "my_labels")
    assert json.loads((tmp_path / "dpo" / "card.json").read_text())["label_params"] is None
    assert "does not read label_params" in (tmp_path / "dpo" / "README.md").read_text()


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_the_card_names_the_lake_snapshot_and_snapshot_re_exports_exactly_that_state(warehouse_db, tmp_path):
    import pandas as pd

    from newsalign.warehouse import connect

    assert run("export", "dpo", "--out", tmp_path / "a", "--db", warehouse_db) == 0
    snapshot = json.loads((tmp_path / "a" / "card.json").read_text())["lake_snapshot"]
    assert isinstance(snapshot, int) and f"--snapshot {snapshot}" in (tmp_path / "a" / "README.md").read_text()
    with connect(warehouse_db) as con:  # the warehouse moves on: half the labels flip
        con.execute(f"UPDATE {LABEL} SET signal = NOT signal WHERE id < 'a0060'")
    assert run("export", "dpo", "--out", tmp_path / "now", "--db", warehouse_db) == 0
    assert run("export", "dpo", "--out", tmp_path / "then", "--db", warehouse_db, "--snapshot", snapshot) == 0
    for split in ("train", "validation", "test"):
        then, before = (pd.read_parquet(tmp_path / d / f"{split}.parquet") for d in ("then", "a"))
        assert then.equals(before)
    assert not pd.read_parquet(tmp_path / "now" / "train.parquet").equals(
        pd.read_parquet(tmp_path / "a" / "train.parquet")
    )
    assert json.loads((tmp_path / "then" / "card.json").read_text())["lake_snapshot"] == snapshot


def test_an_unknown_snapshot_is_one_line(warehouse_db, tmp_path, capsys):
    assert run("export", "dpo", "--out", tmp_path / "x", "--db", warehouse_db, "--snapshot", 999999) == 1
    assert "no snapshot 999999" in capsys.readouterr().err
