"""Versioned prompt templates: `<folder>/<version>.txt`, checked for their placeholders and hashed.

A change of wording is a new file, hence a new version; the SHA-256 of the file's text lets a cache
key or a dataset card tell two texts apart even when someone edits a file in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from newsalign.core.errors import NewsalignError


@dataclass(frozen=True)
class Template:
    version: str
    text: str
    sha256: str


def versions(folder: Path) -> list[str]:
    return sorted(p.stem for p in Path(folder).glob("*.txt"))


def load_template(folder: Path, version: str, placeholders: tuple[str, ...] = ()) -> Template:
    """The template `<folder>/<version>.txt`; an error lists the known versions or the missing placeholders."""
    path = Path(folder) / f"{version}.txt"
    if not path.is_file():
        raise NewsalignError(f"unknown prompt version {version!r}; available: {', '.join(versions(folder))}")
    text = path.read_text(encoding="utf-8")
    missing = [name for name in placeholders if f"{{{name}}}" not in text]
    if missing:
        raise NewsalignError(f"prompt file {path} lacks placeholder(s) {', '.join(f'{{{n}}}' for n in missing)}")
    return Template(version, text, hashlib.sha256(text.encode()).hexdigest())
