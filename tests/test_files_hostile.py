"""Bad files and bad config values, for every command that reads a file: refused in one `Error:` line naming
the path (or the key), the value and what is allowed; no traceback, no Python exception name, nothing
half-written left behind.

Families: `train` (its YAML config), `experiment` (its YAML), `score`/`evaluate` (a model folder's
config.json, a decision file, a dataset card), `export-model` (adapter_config.json), `import` (JSON, JSONL,
Parquet, .eml), `export` (--out where the OS refuses), the LLM price table and an endpoint answering HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsalign.warehouse import connect
from tests.helpers import copy_lake
from tests.hostile import Outcome, assert_refused, bad_file_bytes, invoke

# "UnicodeDecodeError: ..." or "KeyError: 'x'" in a message: the root cause is still unhandled
PYTHON_ERROR = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning): ")
BAD_FILES = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_clean(outcome: Outcome, *, names: str | None = None, says: str | None = None) -> str:
    """Refused in one `Error:` line that names no Python exception (and names `names`, says `says`)."""
    assert_refused(outcome, says=says)
    line = next(line for line in outcome.stderr.splitlines() if line.startswith("Error:"))
    assert not PYTHON_ERROR.search(line.removeprefix("Error: ")), line
    assert "usage:" not in outcome.output, outcome.output  # argparse's usage text (Click's is "Usage:")
    if names is not None:
        assert names in line, line
    return line


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# Files whose bytes are not UTF-8 JSON/YAML text, each with what the message must say.
NAMED_BAD = [
    (b"\x00\x01\x02\xff\xfe", "not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    ('{"a": 1}'.encode("utf-16"), "UTF-16"),
    (b"PAR1\x00\x00\x00", "binary"),
]
NAMED_BAD_JSON = [*NAMED_BAD, (b"", "empty"), (b'{"a": 1', "not valid JSON"), (b"[1, 2]", "JSON object")]


# --- train: its config file and its values ---------------------------------------------------------------

TRAIN_OK = """model_name_or_path: tiny
tiny_model_dir: {out}/tiny
output_dir: {out}/run
dataset_dir: {out}/no-export
use_cpu: true
report_to: none
max_steps: 2
"""


@pytest.mark.parametrize(("data", "says"), NAMED_BAD)
def test_train_config_not_text(tmp_path, data, says):
    config = write(tmp_path / "train.yaml", data)
    assert_clean(invoke(["train", "sft", "--config", str(config)]), names=str(config), says=says)


@pytest.mark.parametrize(
    ("trainer", "line", "says"),
    [
        ("sft", "learning_rate: -1.0", "learning_rate"),
        ("sft", "learning_rate: .nan", "learning_rate"),
        ("sft", "max_steps: 2.5", "max_steps"),
        ("sft", "per_device_train_batch_size: 0", "per_device_train_batch_size"),
        ("sft", "gradient_accumulation_steps: 0", "gradient_accumulation_steps"),
        ("sft", "seed: two", "seed"),
        ("sft", "num_train_epochs: -3", "num_train_epochs"),
        ("sft", "use_cpu: maybe", "use_cpu"),
        ("rlhf", "rlhf: {reward: vibes}", "vibes"),
        ("dpo", "beta: -0.1", "beta"),
        ("sft", "dataset_dir: [a, b]", "dataset_dir"),
    ],
)
def test_train_config_bad_value_names_key_value_and_allowed(tmp_path, trainer, line, says):
    text = TRAIN_OK.format(out=tmp_path)
    key = line.split(":")[0]
    text = "\n".join(row for row in text.splitlines() if not row.startswith(f"{key}:")) + "\n" + line + "\n"
    config = write(tmp_path / "train.yaml", text)
    assert_clean(invoke(["train", trainer, "--config", str(config)]), says=says)


@pytest.mark.parametrize(
    ("override", "says"),
    [
        (["--max_steps", "2.5"], "--max_steps"),
        (["--learning_rate", "-1"], "learning_rate"),
        (["--per_device_train_batch_size", "0"], "per_device_train_batch_size"),
        (["--learning_rate", "abc"], "--learning_rate"),
        (["--use_cpu", "maybe"], "--use_cpu"),
    ],
)
def test_train_bad_override_is_one_line_not_usage(tmp_path, override, says):
    config = write(tmp_path / "train.yaml", TRAIN_OK.format(out=tmp_path))
    outcome = invoke(["train", "sft", "--config", str(config), *override])
    line = assert_clean(outcome, says=says)
    assert line.rstrip()[-1] != ":", line  # something after the colon
    assert len(outcome.output.splitlines()) <= 3, outcome.output


@pytest.mark.parametrize(("env", "says"), [('{A: "x\\0y"}', "env"), ("{A=B: 1}", "env"), ("[A, B]", "env")])
def test_train_config_env_mapping(tmp_path, env, says):
    config = write(tmp_path / "train.yaml", TRAIN_OK.format(out=tmp_path) + f"env: {env}\n")
    assert_clean(invoke(["train", "sft", "--config", str(config)]), says=says)


def test_train_output_dir_under_proc(tmp_path):
    write(tmp_path / "export" / "train.jsonl", '{"prompt": "p", "completion": " Yes"}\n')
    write(tmp_path / "export" / "validation.jsonl", '{"prompt": "p", "completion": " No"}\n')
    text = TRAIN_OK.format(out=tmp_path).replace("no-export", "export").replace(f"{tmp_path}/run", "/proc/na/run")
    text = text.replace("model_name_or_path: tiny", f"model_name_or_path: {tmp_path}")  # a folder: no model built
    config = write(tmp_path / "train.yaml", text)
    assert_clean(invoke(["train", "sft", "--config", str(config)]), says="/proc/na/run")


def train_on_a_model_with(folder: Path, name: str, data: bytes | str) -> Outcome:
    """`newsalign train sft` on a model folder whose file `name` holds `data` (and a small export)."""
    write(folder / "export" / "train.jsonl", '{"prompt": "p", "completion": " Yes"}\n')
    write(folder / "export" / "validation.jsonl", '{"prompt": "p", "completion": " No"}\n')
    write(folder / "model" / "config.json", '{"model_type": "mistral", "architectures": ["MistralForCausalLM"]}')
    write(folder / "model" / name, data)
    text = TRAIN_OK.format(out=folder).replace("no-export", "export").replace("model_name_or_path: tiny", "")
    config = write(folder / "train.yaml", text + f"model_name_or_path: {folder / 'model'}\n")
    return invoke(["train", "sft", "--config", str(config)])


@pytest.mark.parametrize("name", ["tokenizer_config.json", "tokenizer.json", "special_tokens_map.json"])
@pytest.mark.parametrize("data", ["0", "[1, 2]", '"x"', "null"])
def test_train_model_tokenizer_json_that_is_not_an_object(tmp_path, name, data):
    """Valid JSON of the wrong kind: transformers took it for an object (`AttributeError: 'int' object has no
    attribute 'get'`, found by the property test below)."""
    assert_clean(train_on_a_model_with(tmp_path, name, data), names=name, says="must hold a JSON object")


@given(data=bad_file_bytes(), name=st.sampled_from(["tokenizer_config.json", "tokenizer.json"]))
@BAD_FILES
def test_train_model_tokenizer_property(tmp_path_factory, data, name):
    assert_clean(train_on_a_model_with(tmp_path_factory.mktemp("train-tok"), name, data))


@given(data=bad_file_bytes())
@BAD_FILES
def test_train_config_property(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("train")
    config = write(folder / "train.yaml", data)
    assert_clean(invoke(["train", "sft", "--config", str(config), "--dataset_dir", str(folder / "none")]))


# --- experiment: its YAML -------------------------------------------------------------------------------

EXPERIMENT_OK = """train_config: tiny-cpu.yaml
model: tiny
seeds: [0]
splits: [random]
methods: [base, sft, majority]
"""


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("seeds: zero", "seeds"),
        ("seeds: [0, one]", "seeds"),
        ("seeds: [-1]", "seeds"),
        ("torch_threads: two", "torch_threads"),
        ("torch_threads: 0", "torch_threads"),
        ("methods: sft", "methods"),
        ("methods: [sft, vibes]", "vibes"),
        ("splits: [random, sideways]", "sideways"),
        ("splits: random", "splits"),
        ("tiny: {layers: 0}", "layers"),
        ("tiny: {depth: 3}", "depth"),
        ("evaluate: {bootstrap: -1}", "bootstrap"),
        ("evaluate: {calibrate: isotonic}", "calibrate"),
        ("train: {vibes: {max_steps: 1}}", "vibes"),
        ("train: {sft: 3}", "sft"),
        ("train: {sft: {learning_rate: -1}}", "learning_rate"),
        ("train: {all: {max_stepz: 3}}", "max_stepz"),
        ("data: {label: 3}", "label"),
        ("data: {test_size: 2}", "test_size"),
        ("data: {colour: red}", "colour"),
        ("model: 7", "model"),
    ],
)
def test_experiment_bad_value_names_key(tmp_path, line, says):
    key = line.split(":")[0]
    text = "\n".join(row for row in EXPERIMENT_OK.splitlines() if not row.startswith(f"{key}:")) + "\n" + line
    config = write(tmp_path / "exp.yaml", text + "\n")
    assert_clean(invoke(["experiment", "--config", str(config), "--out", str(tmp_path / "out")]), says=says)
    assert not (tmp_path / "out").exists()  # refused before anything was made


@pytest.mark.parametrize(("data", "says"), NAMED_BAD)
def test_experiment_file_not_text(tmp_path, data, says):
    config = write(tmp_path / "exp.yaml", data)
    outcome = invoke(["experiment", "--config", str(config), "--out", str(tmp_path / "out")])
    assert_clean(outcome, names=str(config), says=says)


def test_experiment_train_config_not_text(tmp_path):
    write(tmp_path / "train.yaml", '{"a": 1}'.encode("utf-16"))
    config = write(tmp_path / "exp.yaml", EXPERIMENT_OK.replace("tiny-cpu.yaml", "train.yaml"))
    outcome = invoke(["experiment", "--config", str(config), "--out", str(tmp_path / "out")])
    assert_clean(outcome, names="train.yaml", says="UTF-16")


@given(data=bad_file_bytes())
@BAD_FILES
def test_experiment_property(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("exp")
    config = write(folder / "exp.yaml", data)
    assert_clean(invoke(["experiment", "--config", str(config), "--out", str(folder / "out")]))


# --- a model folder: config.json, adapter_config.json, the decision beside it ----------------------------


@pytest.fixture
def lake(db_path) -> Path:
    return db_path


@pytest.mark.parametrize(("data", "says"), NAMED_BAD_JSON)
def test_score_model_config_json(tmp_path, lake, data, says):
    config = write(tmp_path / "model" / "config.json", data)
    outcome = invoke(["score", "--model", str(config.parent), "--db", str(lake)])
    assert_clean(outcome, names="config.json", says=says)


@pytest.mark.parametrize(("data", "says"), NAMED_BAD_JSON)
def test_adapter_config_json(tmp_path, data, says):
    config = write(tmp_path / "adapter" / "adapter_config.json", data)
    outcome = invoke(["export-model", "--adapter", str(config.parent), "--out", str(tmp_path / "merged")])
    assert_clean(outcome, names="adapter_config.json", says=says)
    assert not (tmp_path / "merged").exists()


def test_adapter_without_base_is_one_line(tmp_path):
    write(tmp_path / "adapter" / "adapter_config.json", '{"base_model_name_or_path": 3}')
    outcome = invoke(["export-model", "--adapter", str(tmp_path / "adapter"), "--out", str(tmp_path / "m")])
    assert_clean(outcome, says="base_model_name_or_path")


def test_model_config_json_valid_but_not_a_model(tmp_path, lake):
    write(tmp_path / "model" / "config.json", '{"architectures": "MistralForCausalLM"}')
    outcome = invoke(["score", "--model", str(tmp_path / "model"), "--db", str(lake)])
    assert_clean(outcome, names="config.json")


@pytest.mark.parametrize(("data", "says"), NAMED_BAD_JSON)
def test_score_metrics_file(tmp_path, lake, data, says):
    write(tmp_path / "model" / "config.json", '{"model_type": "mistral"}')
    metrics = write(tmp_path / "metrics.json", data)
    outcome = invoke(["score", "--model", str(tmp_path / "model"), "--metrics", str(metrics), "--db", str(lake)])
    assert_clean(outcome, names="metrics.json", says=says)


@pytest.mark.parametrize(("data", "says"), NAMED_BAD_JSON)
def test_decision_beside_the_model(tmp_path, lake, data, says):
    write(tmp_path / "model" / "config.json", '{"model_type": "mistral"}')
    write(tmp_path / "model" / "newsalign_decision.json", data)
    outcome = invoke(["score", "--model", str(tmp_path / "model"), "--db", str(lake)])
    assert_clean(outcome, names="newsalign_decision.json", says=says)


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
@given(data=bad_file_bytes(), name=st.sampled_from(["config.json", "newsalign_decision.json"]))
@BAD_FILES
def test_score_model_folder_property(tmp_path_factory, lake_template, data, name):
    folder = tmp_path_factory.mktemp("score")
    lake = copy_lake(lake_template, folder / "lake")
    write(folder / "model" / "config.json", '{"model_type": "mistral"}')
    write(folder / "model" / name, data)
    assert_clean(invoke(["score", "--model", str(folder / "model"), "--db", str(lake)]))


@given(data=bad_file_bytes())
@BAD_FILES
def test_export_model_property(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("export-model")
    write(folder / "adapter" / "adapter_config.json", data)
    outcome = invoke(["export-model", "--adapter", str(folder / "adapter"), "--out", str(folder / "merged")])
    assert_clean(outcome)
    assert not (folder / "merged").exists()


@given(data=bad_file_bytes(), name=st.sampled_from(["card.json", "config.json"]))
@BAD_FILES
def test_evaluate_property(tmp_path_factory, data, name):
    folder = tmp_path_factory.mktemp("evaluate")
    write(folder / "data" / "card.json", data if name == "card.json" else '{"answers": [" Yes", " No"]}')
    write(folder / "model" / "config.json", data if name == "config.json" else '{"model_type": "mistral"}')
    outcome = invoke(
        ["evaluate", "--model", f"m={folder / 'model'}", "--data", str(folder / "data"), "--out", str(folder / "r")]
    )
    assert_clean(outcome)


@pytest.mark.parametrize(("data", "says"), NAMED_BAD_JSON)
def test_evaluate_dataset_card(tmp_path, data, says):
    write(tmp_path / "model" / "config.json", '{"model_type": "mistral"}')
    card = write(tmp_path / "data" / "card.json", data)
    outcome = invoke(
        ["evaluate", "--model", f"m={tmp_path / 'model'}", "--data", str(card.parent), "--out", str(tmp_path / "r")]
    )
    assert_clean(outcome, names="card.json", says=says)


@pytest.mark.parametrize("name", ["train.parquet", "train.jsonl"])
@pytest.mark.parametrize(("data", "says"), [(b"PAR1\x00\x00\x00", "not"), ('{"prompt": "x"}'.encode("utf-16"), "not")])
def test_train_export_file_not_readable(tmp_path, name, data, says):
    export = tmp_path / "export"
    write(export / name, data)
    write(export / name.replace("train", "validation"), data)
    config = write(tmp_path / "train.yaml", TRAIN_OK.format(out=tmp_path).replace("no-export", "export"))
    assert_clean(invoke(["train", "sft", "--config", str(config)]), names=name, says=says)


@pytest.mark.parametrize("name", ["test.parquet", "test.jsonl"])
def test_evaluate_split_file_not_readable(tmp_path, name):
    write(tmp_path / "model" / "config.json", '{"model_type": "mistral"}')
    write(tmp_path / "data" / "card.json", '{"answers": [" Yes", " No"]}')
    write(tmp_path / "data" / name, b"\x89PNG\r\n\x1a\n\x00\x00\xff")
    outcome = invoke(
        [
            "evaluate",
            "--model",
            f"m={tmp_path / 'model'}",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "r"),
        ]
    )
    assert_clean(outcome, names=name)


# --- export: a tokenizer folder whose files are not text -------------------------------------------------


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
@given(data=bad_file_bytes(), name=st.sampled_from(["tokenizer_config.json", "tokenizer.json", "config.json"]))
@BAD_FILES
def test_export_tokenizer_property(tmp_path_factory, lake_template, data, name):
    folder = tmp_path_factory.mktemp("export")
    db = copy_lake(lake_template, folder / "lake")
    write(folder / "tok" / name, data)
    outcome = invoke(["export", "sft", "--db", str(db), "--tokenizer", str(folder / "tok"), "--out", str(folder / "o")])
    assert_clean(outcome)
    assert not (folder / "o").exists()


# --- import: JSON, JSONL, Parquet, newsletters -----------------------------------------------------------


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
@given(data=bad_file_bytes(), suffix=st.sampled_from([".json", ".jsonl", ".parquet", ".csv", ".eml", ".mbox"]))
@BAD_FILES
def test_import_property(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("import")
    file = write(folder / f"in{suffix}", data)
    outcome = invoke(["import", str(file), "--db", str(folder / "lake")])
    if outcome.exit_code == 0:  # a file that happens to parse (an empty CSV, an .eml of junk): nothing imported
        assert "Traceback" not in outcome.output
        return
    assert_clean(outcome)


# --- writing: --out where the OS refuses -----------------------------------------------------------------

LONG = "x" * 131_000


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("/proc/newsalign/dataset.json", "/proc/newsalign"),
        ("/dev/full", "No space left on device"),
        (f"/tmp/{LONG}/dataset.json", "name too long"),
        ("{tmp}", "is a"),  # a folder where a file is expected
        ("{tmp}/notes.txt/dataset.json", "not a folder"),  # a parent that is a file
    ],
)
@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_export_dataset_out_refused_by_the_os(tmp_path, db_path, out, says):
    write(tmp_path / "notes.txt", "a file, not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    target = out.format(tmp=tmp_path)
    outcome = invoke(["export", "dataset", "--db", str(db_path), "--out", target])
    line = assert_clean(outcome, says=says)
    assert len(line) < 1000, line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no half-written file, no temp file


@pytest.mark.slow  # over 1.5 s: the edit-loop tier (make check) leaves it to make test
def test_export_dataset_written_whole(tmp_path, db_path):
    out = tmp_path / "new" / "dataset.json"
    assert invoke(["export", "dataset", "--db", str(db_path), "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == [] and sorted(p.name for p in out.parent.iterdir()) == ["dataset.json"]


@pytest.mark.parametrize(
    "args",
    [
        ["train", "sft", "--config", "{long}"],
        ["experiment", "--config", "{long}", "--out", "{tmp}/o"],
        ["import", "{long}", "--db", "{tmp}/lake"],
        ["evaluate", "--model", "m={long}", "--data", "{tmp}", "--out", "{tmp}/o"],
        ["score", "--model", "{long}", "--db", "{tmp}/lake"],
        ["export-model", "--adapter", "{tmp}", "--out", "{long}"],
    ],
)
def test_a_131_kb_path_is_one_short_line(tmp_path, args):
    long = f"{tmp_path}/{LONG}.json"
    outcome = invoke([arg.format(long=long, tmp=tmp_path) for arg in args])
    line = assert_clean(outcome)
    assert len(line) < 1000, line[:2000]


def test_evaluate_out_under_proc(tmp_path):
    write(tmp_path / "data" / "card.json", '{"answers": [" Yes", " No"]}')
    write(tmp_path / "model" / "config.json", '{"model_type": "mistral"}')
    outcome = invoke(
        ["evaluate", "--model", f"m={tmp_path / 'model'}", "--data", str(tmp_path / "data"), "--out", "/proc/na/r"]
    )
    assert_clean(outcome, says="/proc/na")


def test_experiment_out_under_proc(tmp_path):
    config = write(tmp_path / "exp.yaml", EXPERIMENT_OK)
    assert_clean(invoke(["experiment", "--config", str(config), "--data", str(tmp_path), "--out", "/proc/na/r"]))


# --- the LLM: its price table, an endpoint answering HTML ------------------------------------------------


@pytest.mark.parametrize("value", ["{not json", '{"m": "cheap"}', '{"m": [1]}', '{"m": [-1, 2]}', "[1, 2]"])
def test_llm_prices_not_json(tmp_path, db_path, value):
    outcome = invoke(["enrich", "llm", "--db", str(db_path), "--dry-run"], env={"NEWSALIGN_LLM_PRICES": value})
    assert_clean(outcome, says="NEWSALIGN_LLM_PRICES")
    assert "No such file" not in outcome.output


def test_llm_prices_file_not_text(tmp_path, db_path):
    prices = write(tmp_path / "prices.json", '{"m": [1, 2]}'.encode("utf-16"))
    outcome = invoke(["enrich", "llm", "--db", str(db_path), "--dry-run"], env={"NEWSALIGN_LLM_PRICES": str(prices)})
    assert_clean(outcome, names="prices.json", says="UTF-16")


@pytest.mark.slow  # starts a loopback server
def test_llm_endpoint_answering_html(db_path, monkeypatch):
    from tests.llm_server import FakeOpenAI
    from tests.test_enrich_llm import add_articles

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "NEWSALIGN_LLM_PRICES"):
        monkeypatch.delenv(name, raising=False)
    with connect(db_path) as con:
        add_articles(con, ["Fusion lab [html] ships", "Battery lab ships"])
    with FakeOpenAI() as server:
        server.rules["[html]"] = "html"
        outcome = invoke(["enrich", "llm", "--db", str(db_path), "--base-url", server.url])
    assert "Traceback" not in outcome.output and outcome.exit_code == 0, outcome.output
    with connect(db_path, read_only=True) as con:
        failed = con.execute("SELECT error FROM llm_calls WHERE status <> 'ok'").fetchall()
        ok = con.execute("SELECT count(*) FROM llm_calls WHERE status = 'ok'").fetchone()
    assert ok == (1,)
    assert len(failed) == 1 and "html" in failed[0][0].lower(), failed


def test_json_helpers_say_line_and_column(tmp_path):
    from newsalign.core.errors import NewsalignError
    from newsalign.core.files import read_json, read_yaml, write_text

    bad = write(tmp_path / "a.json", '{"a": 1,\n "b": }')
    with pytest.raises(NewsalignError, match=r"a\.json: not valid JSON \(.*line 2 column 7\)"):
        read_json(bad)
    with pytest.raises(NewsalignError, match=r"b\.yaml: not valid YAML \(.*line 2"):
        read_yaml(write(tmp_path / "b.yaml", "a: 1\n b: [\n"))
    write_text(tmp_path / "c.txt", "whole")
    assert json.dumps((tmp_path / "c.txt").read_text()) == '"whole"'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.yaml", "c.txt"]
