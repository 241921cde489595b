"""What the model must answer (a pydantic model sent as a strict JSON schema) and how an answer is
checked: refusals, truncation, malformed JSON, an empty topic list and non-English topics each become
a recorded error, never an exception."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsalign.core.language import language_identifier

TOPIC_COUNT = 10


class ArticleJudgement(BaseModel):
    """One call answers both thesis questions: the topics and the investment signal."""

    model_config = ConfigDict(extra="forbid")

    topics: list[str] = Field(
        description=f"Exactly {TOPIC_COUNT} English topics, ordered from the most specific to the most general."
    )
    signal: bool = Field(
        description="True if the article reports an early, not yet widely known innovative event "
        "that is an investment opportunity."
    )
    rationale: str = Field(description="One sentence explaining the signal.")


def response_format() -> dict:
    """The `response_format` for chat completions: strict structured output from the pydantic model."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "article_judgement", "strict": True, "schema": ArticleJudgement.model_json_schema()},
    }


@dataclass
class Checked:
    """A model answer after checking: `error` is None when it can be used."""

    judgement: ArticleJudgement | None = None
    error: str | None = None
    flags: list[str] = field(default_factory=list)


def check_completion(body: dict) -> Checked:
    """Check a chat completion body (a dict as the API returns it) and extract the judgement."""
    choices = body.get("choices") or []
    if not choices:
        return Checked(error="no choices in the response", flags=["no_choices"])
    choice = choices[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        return Checked(error=f"refusal: {message['refusal']}", flags=["refusal"])
    if choice.get("finish_reason") == "length":
        return Checked(error="truncated: the answer hit the token limit (finish_reason=length)", flags=["truncated"])
    content = message.get("content")
    if not content:
        return Checked(error="empty answer", flags=["empty"])
    try:
        judgement = ArticleJudgement.model_validate(json.loads(content))
    except json.JSONDecodeError as exc:
        return Checked(error=f"malformed JSON: {exc}", flags=["malformed_json"])
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors())
        return Checked(error=f"answer does not match the schema: {problems}", flags=["schema"])
    judgement.topics = [t.strip() for t in judgement.topics if t.strip()]
    if not judgement.topics:
        return Checked(judgement=judgement, error="empty topic list", flags=["empty_topics"])
    flags = [] if len(judgement.topics) == TOPIC_COUNT else ["topic_count"]
    if not is_english(judgement.topics):
        return Checked(judgement=judgement, error="non-English topics", flags=[*flags, "non_english"])
    return Checked(judgement=judgement, flags=flags)


def is_english(topics: list[str]) -> bool:
    """False when a topic uses a non-Latin script, or py3langid is confident the list is another language."""
    letters = [ch for topic in topics for ch in topic if ch.isalpha()]
    if any(not unicodedata.name(ch, "").startswith("LATIN") for ch in letters):
        return False
    if not letters:  # only numbers: nothing to judge
        return True
    language, probability = language_identifier().classify("; ".join(topics))
    return language == "en" or probability < 0.9
