"""The training prompt: a versioned instruction around the article, pre-truncated to a token budget.

The instruction lives in `training/prompts/<version>.txt` with an `{article}` placeholder (loaded by
`core.prompts`), so a change of wording is a new file and a new version in every dataset card. The file is
the prompt exactly as the model reads it, up to "Answer:" where the answer begins (no trailing newline).

The classifier's prompt is `classifier_v2`. Cards that say `classifier_v1` (or `signal_v1`, its name before
the rename; SHA-256 36d5688e...) were written with an earlier rendering of the same words: the file ended
in a newline that reached the prompt ("Answer:\n" then " Yes") and the title always led the article, even
when the text repeated it. v1 is not kept: no card is re-rendered, and today's code could not reproduce it.
Articles are cut to `max_article_tokens` here, before TRL sees them, because TRL truncates or drops
over-long prompts silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from newsalign.core.errors import NewsalignError
from newsalign.core.prompts import load_template

PROMPTS_DIR = Path(__file__).parent / "prompts"
DEFAULT_PROMPT_VERSION = "classifier_v2"
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
        """The template around the article. The title leads the article unless the text already starts with it
        (AG-News-style imports)."""
        title, text = title.strip(), text.strip()
        article = self.truncate(text if not title or text.startswith(title) else f"{title}\n\n{text}")
        return self.template.text.replace("{article}", article)


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
