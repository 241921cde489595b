"""The files a user hands us, read by type, and the files we write, written whole or not at all.

Every failure is one `NewsalignError` naming the path and why: missing, a folder where a file is
expected, binary or UTF-16 instead of UTF-8 text, empty, not valid JSON (line L column N), not valid
YAML, the wrong shape (a list where a mapping is expected), or the operating system's own reason
(permission denied, no space left on device, file name too long). A long path is shortened in the
message, so one line stays one readable line.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from newsalign.core.errors import NewsalignError

_SHOWN = 160  # characters of a path a message shows


def shown(path: str | os.PathLike) -> str:
    """`path` for a message: as given, or its start and end around `...` when it is very long."""
    text = os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN // 2]}...{text[-_SHOWN // 2 :]}"


def os_error(label: str, exc: OSError, doing: str = "") -> NewsalignError:
    """One line for an OS error on the file `label` names (as `shown`): `--out x.json: cannot write: No space
    left on device`."""
    reason = exc.strerror or exc.__class__.__name__
    return NewsalignError(f"{label}: {doing + ': ' if doing else ''}{reason}")


def _label(path, what: str | None) -> str:
    return f"{what} {shown(path)}" if what else shown(path)


def read_bytes(path: str | os.PathLike, what: str | None = None) -> bytes:
    """The bytes of the file `path`; missing, a folder or unreadable is one line naming it (`what`: e.g. "config file")."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NewsalignError(f"{_label(path, what)}: not found") from None
    except IsADirectoryError:
        raise NewsalignError(f"{_label(path, what)}: is a folder, not a file") from None
    except OSError as exc:
        raise os_error(_label(path, what), exc, "cannot read") from None


def decode_text(data: bytes, path: str | os.PathLike, what: str | None = None) -> str:
    """`data` as UTF-8 text (a UTF-8 byte-order mark allowed); UTF-16 or binary is one line naming `path`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NewsalignError(f"{_label(path, what)}: UTF-16 text, not UTF-8 (save it as UTF-8)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NewsalignError(f"{_label(path, what)}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise NewsalignError(f"{_label(path, what)}: binary, not text (a NUL byte)")
    return text


def read_text(path: str | os.PathLike, what: str | None = None) -> str:
    """The UTF-8 text of the file `path` (see `read_bytes`, `decode_text`)."""
    return decode_text(read_bytes(path, what), path, what)


def parse_json(text: str, path: str | os.PathLike, what: str | None = None):
    """`text` (read from `path`) as JSON; empty or malformed is one line with the line and column."""
    if not text.strip():
        raise NewsalignError(f"{_label(path, what)}: empty, not JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NewsalignError(
            f"{_label(path, what)}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise NewsalignError(f"{_label(path, what)}: not valid JSON (nested too deep)") from None


def read_json(path: str | os.PathLike, what: str | None = None, *, mapping: bool = True):
    """The JSON in the file `path`: a mapping (an object) unless `mapping=False`."""
    data = parse_json(read_text(path, what), path, what)
    if mapping and not isinstance(data, dict):
        raise NewsalignError(f"{_label(path, what)}: must hold a JSON object, not {_kind(data)}")
    return data


def read_yaml(path: str | os.PathLike, what: str | None = None, *, mapping: bool = True):
    """The YAML in the file `path`: a mapping unless `mapping=False`; an empty file is an empty mapping."""
    import yaml

    text = read_text(path, what)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise NewsalignError(f"{_label(path, what)}: not valid YAML ({problem}{where})") from None
    except RecursionError:
        raise NewsalignError(f"{_label(path, what)}: not valid YAML (nested too deep)") from None
    if data is None and mapping:
        return {}
    if mapping and not isinstance(data, dict):
        raise NewsalignError(f"{_label(path, what)}: must hold a YAML mapping (key: value lines), not {_kind(data)}")
    return data


def _kind(value) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def make_dir(path: str | os.PathLike, what: str | None = None) -> Path:
    """`path` as a folder, made with its parents; a file in the way or an OS refusal is one line naming it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NewsalignError(f"{_label(path, what)}: exists and is not a folder") from None
    except OSError as exc:
        raise os_error(_label(path, what), exc, "cannot create the folder") from None
    return path


@contextlib.contextmanager
def replacing(path: str | os.PathLike, what: str | None = None) -> Iterator[Path]:
    """A temporary file beside `path` (in a folder made if missing) that replaces `path` only when the block
    ends without an error: a full disk, a kill or an exception leaves `path` as it was (or absent) and no
    temporary file behind. A device or a pipe (/dev/stdout, /dev/full) is yielded itself, written in place.
    OS errors are one line naming `path`."""
    path = Path(path)
    label = _label(path, what)
    kind = _kind_of(path, label)
    if kind == "folder":
        raise NewsalignError(f"{label}: is a folder, not a file")
    if kind == "other":
        try:
            yield path
        except OSError as exc:
            raise os_error(label, exc, "cannot write") from None
        return
    make_dir(path.parent, what)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".part", dir=path.parent)
        os.chmod(fd, 0o666 & ~_umask())  # as a plain open() would have made it, not mkstemp's 0600
        os.close(fd)
    except OSError as exc:
        raise os_error(label, exc, "cannot write") from None
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        _remove(temp)
        raise os_error(label, exc, "cannot write") from None
    except BaseException:
        _remove(temp)
        raise


@contextlib.contextmanager
def writing(path: str | os.PathLike, what: str | None = None, mode: str = "w") -> Iterator:
    """A file handle whose contents become `path` only when the block ends without an error (see `replacing`)."""
    with replacing(path, what) as temp:
        try:
            with open(temp, mode, encoding=None if "b" in mode else "utf-8") as handle:
                yield handle
        except OSError as exc:
            raise os_error(_label(path, what), exc, "cannot write") from None


def write_text(path: str | os.PathLike, text: str, what: str | None = None) -> None:
    """`text` into `path` (UTF-8), whole or not at all (see `writing`)."""
    with writing(path, what) as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike, data: bytes, what: str | None = None) -> None:
    """`data` into `path`, whole or not at all (see `writing`)."""
    with writing(path, what, "wb") as handle:
        handle.write(data)


def _kind_of(path: Path, label: str) -> str | None:
    """None (nothing there), "file", "folder" or "other" (a device, a pipe); an unusable path is one line."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # a name too long, a permission denied on the way
        raise os_error(label, exc, "cannot write") from None
    return "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else "other"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: str | os.PathLike) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@contextlib.contextmanager
def building_dir(path: str | os.PathLike, what: str | None = None) -> Iterator[Path]:
    """A temporary folder beside `path` that becomes `path` (absent or empty) only when the block ends without
    an error; otherwise it is removed, so a failed write leaves no half-written folder. OS errors are one line."""
    import shutil

    path = Path(path)
    label = _label(path, what)
    if _kind_of(path, label) not in ("folder", None):
        raise NewsalignError(f"{label}: exists and is not a folder")
    make_dir(path.parent, what)
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{path.name[:64]}.", suffix=".part", dir=path.parent))
    except OSError as exc:
        raise os_error(label, exc, "cannot write") from None
    try:
        yield temp
        os.replace(temp, path)  # onto an empty folder too
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise os_error(label, exc, "cannot write") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
