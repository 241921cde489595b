"""Bad input, for every command family: what a refusal must look like, and hypothesis strategies for the
values and files a mistaken or hostile user hands `newsalign`.

A refusal (`assert_refused`): a non-zero exit, exactly one `Error:` line, no traceback, no planted password
anywhere in what was printed. `invoke` runs the CLI in-process (Click's runner, stderr apart from stdout);
`run_cli` runs `python -m newsalign` as a real process with a time limit, for what only a process shows
(arguments that are not valid UTF-8, an environment, a hang)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from click.testing import CliRunner
from hypothesis import strategies as st

from newsalign.cli import cli

PASSWORD = "Pl4nted-Passw0rd"  # planted in URLs, connection strings and keys; must never be printed or stored


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> Outcome:
    """`newsalign ARGS` in this process; an exception that escaped the CLI fails the test with its traceback."""
    result = CliRunner().invoke(cli, args, env=env, input=stdin, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"newsalign {args} raised instead of refusing") from result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def run_cli(args: list[str | bytes], env: dict[str, str] | None = None, timeout: float = 60) -> Outcome:
    """`python -m newsalign ARGS` as a process (arguments may be bytes: invalid UTF-8 on the command line)."""
    done = subprocess.run(
        [sys.executable, "-m", "newsalign", *args],
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    decode = lambda data: data.decode("utf-8", "replace")  # noqa: E731
    return Outcome(done.returncode, decode(done.stdout), decode(done.stderr))


def assert_refused(outcome: Outcome, *, planted: tuple[str, ...] = (PASSWORD,), says: str | None = None) -> None:
    """A clean refusal: non-zero exit, one `Error:` line on stderr, no traceback, nothing planted shown."""
    shown = outcome.output
    assert outcome.exit_code != 0, f"exit 0 on bad input:\n{shown}"
    assert "Traceback" not in shown, shown
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, f"expected one Error: line, got {len(errors)}:\n{shown}"
    for secret in planted:
        assert secret not in shown, f"{secret!r} printed:\n{shown}"
    if says is not None:
        assert says in errors[0], errors[0]


# Numbers nobody means: out of range, not finite, not numbers at all.
bad_numbers = st.sampled_from(["-1", "0", "-0.5", "nan", "inf", "-inf", "1e309", "99999999999999999999999", "", "two"])
# Text that is empty, blank, control characters, or not valid UTF-8 (as Python hands it over: surrogates).
bad_texts = st.sampled_from(["", " ", "\t", "\x00", "x\ny", "\udcff\udcfe", "../../etc/passwd", "-"])


def bad_file_bytes() -> st.SearchStrategy[bytes]:
    """Contents of a file that should hold UTF-8 text (JSON, YAML, a config): binary, UTF-16, cut, or empty."""
    return st.one_of(
        st.sampled_from(
            [
                b"",
                b"\x00\x01\x02\xff\xfe",
                '{"a": 1}'.encode("utf-16"),
                b'\xef\xbb\xbf{"a":',
                b'{"a": 1',
                b"\x89PNG\r\n\x1a\n\x00\x00",
                b"PAR1\x00\x00\x00",
            ]
        ),
        st.binary(max_size=64),
    )
