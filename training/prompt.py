"""The training prompt: a versioned instruction around the article, pre-truncated to a token budget.

The instruction lives in `training/prompts/<version>.txt` with an `{article}` placeholder (loaded by
`core.prompts`), so a change of wording is a new file and a new version in every dataset card. The
classifier's prompt is `classifier_v1`; cards written before it was renamed say `signal_v1`, with the
same SHA-256 (the text did not change). Articles are cut to `max_article_tokens` here, before TRL sees them, because TRL truncates or drops over-long prompts silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.core.prompts import load_template

PROMPTS_DIR = Path(__file__).parent / "prompts"
DEFAULT_PROMPT_VERSION = "classifier_v1"
DEFAULT_ANSWERS = (" Yes", " No")  # (positive, negative): symmetric, one token each in common tokenizers
# Without a tokenizer, count words and punctuation marks: close to (and usually below) BPE token counts.
_ESTIMATE_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass
class PromptBuilder:
    """Formats prompts and counts the articles it had to cut."""

    max_article_tokens: int = 512
    tokenizer: object | None = None  # a transformers tokenizer, or None for the regex estimate
    version: str = DEFAULT_PROMPT_VERSION
    truncated: int = 0

    def __post_init__(self) -> None:
        if self.max_article_tokens < 1:
            raise NewsalignError(f"--max-article-tokens must be positive, got {self.max_article_tokens}")
        self.template = load_template(PROMPTS_DIR, self.version, ("article",))  # version, text, sha256

    def truncate(self, article: str) -> str:
        """The article cut to the token budget (counted in `self.truncated` when cut)."""
        if self.tokenizer is not None:
            ids = self.tokenizer(article, add_special_tokens=False)["input_ids"]
            if len(ids) <= self.max_article_tokens:
                return article
            self.truncated += 1
            return self.tokenizer.decode(ids[: self.max_article_tokens])
        matches = _ESTIMATE_TOKEN.finditer(article)
        for count, match in enumerate(matches, start=1):
            if count == self.max_article_tokens:
                if next(matches, None) is None:
                    return article
                self.truncated += 1
                return article[: match.end()]
        return article

    def __call__(self, title: str, text: str) -> str:
        """The prompt, ending where the answer begins ("Answer:" then " Yes"): the template's trailing newline is
        dropped. The title leads the article unless the text already starts with it (AG-News-style imports)."""
        title, text = title.strip(), text.strip()
        article = self.truncate(text if not title or text.startswith(title) else f"{title}\n\n{text}")
        return self.template.text.replace("{article}", article).rstrip()


def check_answers(answers: tuple[str, str], tokenizer=None) -> None:
    """The two answers must differ and, with a tokenizer, have the same token length (no length bias in DPO)."""
    positive, negative = answers
    if not positive.strip() or not negative.strip() or positive.strip() == negative.strip():
        raise NewsalignError(f"answers must be two different non-empty strings, got {answers!r}")
    if tokenizer is not None:
        lengths = [len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers]
        if lengths[0] != lengths[1]:
            raise NewsalignError(
                f"answers {positive!r} and {negative!r} are {lengths[0]} and {lengths[1]} tokens long with this "
                "tokenizer; pick answers of equal token length (--answers) so DPO's summed log-probs carry no length bias"
            )
