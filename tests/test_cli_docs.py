"""Every command documents itself: a help text with an example, and a mention in the README or docs/."""

import re
from pathlib import Path

import click
import pytest

from newsalign.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = ""):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path + " ")
        else:
            yield path, command


COMMANDS = sorted(_commands(cli))


def test_commands_are_registered():
    names = {name for name, _ in COMMANDS}
    assert {"sql", "demo", "import", "export dataset", "export dpo", "enrich llm", "train dpo"} <= names


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_help_has_an_example(name, command):
    assert command.help, f"`newsalign {name}` has no help text"
    assert "Example" in command.help, f"`newsalign {name} --help` shows no example"


def _documented_text() -> str:
    """README and docs/, with shell brace lists expanded (`export {dpo,kto}` documents `export dpo` and `export kto`)."""
    text = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    expanded = [
        f"{prefix}{choice}"
        for prefix, choices in re.findall(r"(newsalign [a-z ]+)\{([a-z,]+)\}", text)
        for choice in choices.split(",")
    ]
    return text + "\n".join(expanded)


DOCS = _documented_text()


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_documented(name):
    assert f"newsalign {name}" in DOCS, f"`newsalign {name}` is not in the README or docs/"
