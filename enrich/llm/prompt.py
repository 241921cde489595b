"""Versioned prompts: `enrich/prompts/<version>.txt` with a [system] and a [user] section.

The version name and a hash of the file's text both enter the cache key, so editing a prompt in
place can never serve stale cached answers (add a new version file to keep the old results apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.core.prompts import load_template

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
# The labeller's prompt keeps the name `signal_v1` (the classifier's training prompt is `classifier_v2`):
# its version and its file's sha256 are part of every cached paid call's key and of stored results,
# so renaming the version or touching the file would re-bill every article.
DEFAULT_PROMPT = "signal_v1"
TEXT_BUDGET_CHARS = 6000  # ~1,500 tokens of article text: enough for the lede and the facts, cheap
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English; used only for --dry-run estimates


@dataclass(frozen=True)
class Prompt:
    version: str
    system: str
    user: str
    sha256: str

    def messages(self, *, title: str, source: str, published: str, text: str) -> list[dict]:
        user = self.user.format(title=title, source=source, published=published, text=truncate(text))
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def load_prompt(version: str = DEFAULT_PROMPT) -> Prompt:
    template = load_template(PROMPTS_DIR, version, ("title", "source", "published", "text"))
    file = PROMPTS_DIR / f"{version}.txt"
    sections: dict[str, list[str]] = {}
    current = None
    for line in template.text.splitlines():
        if line.strip() in ("[system]", "[user]"):
            current = line.strip()[1:-1]
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
        elif line.strip() and not line.startswith("#"):
            raise NewsalignError(f"{file}: text before the [system] section")
    if set(sections) != {"system", "user"}:
        raise NewsalignError(f"{file}: needs exactly one [system] and one [user] section")
    return Prompt(
        version=version,
        system="\n".join(sections["system"]).strip(),
        user="\n".join(sections["user"]).strip(),
        sha256=template.sha256,
    )


def truncate(text: str, budget: int = TEXT_BUDGET_CHARS) -> str:
    """Cut `text` to `budget` characters at a word boundary, marking the cut."""
    if len(text) <= budget:
        return text
    cut = text[:budget]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut + " [...]"


def estimate_tokens(messages: list[dict]) -> int:
    return sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN + 4 * len(messages)
