"""The root group's net: whatever a subcommand raises ends as one scrubbed `Error:` line, no traceback."""

from __future__ import annotations

import click
import pytest

from newsalign.cli import cli
from newsalign.core.errors import NewsalignError
from tests.hostile import PASSWORD, assert_refused, invoke


@pytest.fixture
def raising():
    """A throwaway subcommand `boom` that raises what the test hands it."""
    holder = {}

    @click.command("boom")
    def boom():
        raise holder["exc"]

    cli.add_command(boom)
    yield holder
    del cli.commands["boom"]


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (KeyError("nosuchspider"), "KeyError: 'nosuchspider'"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "UnicodeDecodeError"),
        (PermissionError(13, "Permission denied", "/proc/x"), "Permission denied: /proc/x"),
        (
            NewsalignError(f"cannot reach postgresql://u:{PASSWORD}@db/x\nLINE 1: SELECT"),
            "postgresql://u:***@db/x LINE 1",
        ),
        (RuntimeError(f"catalog host=db password={PASSWORD} refused"), "password=***"),
    ],
)
def test_anything_a_command_raises_is_one_scrubbed_line(raising, exc, says):
    raising["exc"] = exc
    assert_refused(invoke(["boom"]), says=says)


def test_newsalign_debug_shows_the_traceback(raising, monkeypatch):
    raising["exc"] = KeyError("x")
    monkeypatch.setenv("NEWSALIGN_DEBUG", "1")
    with pytest.raises(AssertionError, match="raised instead of refusing"):
        invoke(["boom"])


def test_a_usage_error_does_not_echo_a_planted_password():
    outcome = invoke(["sql", "SELECT 1", "--format", f"postgresql://u:{PASSWORD}@h/x"])
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output
    assert PASSWORD not in outcome.output and "postgresql://u:***@h/x" in outcome.stderr
