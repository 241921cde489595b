"""The `newsalign` group: commands load on demand, and the project's errors are one Click error line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from newsalign.cli import cli
from newsalign.warehouse import LabelParamsError, connect, label_settings


@pytest.mark.slow
def test_cli_runner_runs_a_command_in_a_fresh_process(db_path):
    connect(db_path).close()
    code = (
        "import sys; from click.testing import CliRunner; from newsalign.cli import cli; "
        f"r = CliRunner().invoke(cli, ['sql', 'SELECT 41 + 1 AS answer', '--db', {str(db_path)!r}, '--format', 'csv']); "
        "print(r.output, end=''); sys.exit(r.exit_code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "answer\n42\n"), done.stderr


@pytest.mark.slow
def test_a_command_imports_only_its_own_module():
    code = (
        "import sys; from click.testing import CliRunner; from newsalign.cli import cli; "
        "r = CliRunner().invoke(cli, ['export', 'dataset', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('newsalign.commands.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "['newsalign.commands.export', 'newsalign.commands.export_dataset']", done.stderr


def test_a_newsalign_error_is_one_error_line(tmp_path):
    result = CliRunner().invoke(cli, ["sql", "SELECT 1", "--db", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no warehouse at {tmp_path / 'missing'}")
    assert len(result.output.splitlines()) == 1


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output


def test_sql_prints_a_table_in_duckdbs_box_with_the_row_count(db_path):
    connect(db_path).close()
    query = "SELECT range AS n, 'row ' || range AS label FROM range(30)"
    result = CliRunner().invoke(cli, ["sql", query, "--db", str(db_path), "--max-rows", "4"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("┌") and "│ row 0 " in result.output and "│ row 29 " in result.output
    assert "│ row 15 " not in result.output and "30 rows" in result.output and "(4 shown)" in result.output


def test_a_bad_label_param_is_the_same_line_in_sql_as_in_python(db_path):
    con = connect(db_path)
    con.execute("UPDATE label_params SET value = 'sideways' WHERE name = 'anchor'")
    with pytest.raises(LabelParamsError) as raised:
        label_settings(con)
    con.close()
    result = CliRunner().invoke(cli, ["sql", "SELECT count(*) FROM v_signal", "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {raised.value}\n"
    assert str(raised.value).startswith("label_params.anchor must be published or fetch, not sideways (fix it: ")


@pytest.mark.parametrize(
    "command", [["export", "dpo", "--out", "{tmp}/dpo"], ["enrich", "trends", "--backend", "csv", "--csv-dir", "{tmp}"]]
)
def test_a_bad_label_param_is_one_line_in_every_command_that_reads_labels(db_path, tmp_path, command):
    con = connect(db_path)
    con.execute("UPDATE label_params SET value = 'sideways' WHERE name = 'anchor'")
    con.close()
    args = [a.format(tmp=tmp_path) for a in command] + ["--db", str(db_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: label_params.anchor must be published or fetch, not sideways (fix it: ")
    assert len(result.output.splitlines()) == 1
