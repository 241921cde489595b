"""The OpenAI SDK client, configured the SDK's standard way: $OPENAI_API_KEY and $OPENAI_BASE_URL
(or --base-url), so OpenAI and any OpenAI-compatible server (vLLM, Ollama, llama.cpp) work alike."""

from __future__ import annotations

import os

from newsalign.core.errors import NewsalignError
from newsalign.core.secrets import api_key, guard_logs

LOCAL_DUMMY_KEY = "not-needed"  # local servers accept any key; the SDK insists on one


def make_client(*, base_url: str | None = None, timeout: float = 60.0, max_retries: int = 4, asynchronous: bool = True):
    """An `openai.AsyncOpenAI` (or `openai.OpenAI`) client. The SDK retries 408/409/429/5xx and
    timeouts with exponential backoff, honouring Retry-After (up to 2 minutes)."""
    key = api_key("OPENAI_API_KEY")
    base = base_url or os.environ.get("OPENAI_BASE_URL")
    if not key and not base:
        raise NewsalignError(
            "no LLM endpoint configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL / --base-url "
            "for an OpenAI-compatible server (vLLM, Ollama, llama.cpp)"
        )
    import openai

    guard_logs()  # the SDK logs response headers at DEBUG, and a server may echo the key in them
    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(api_key=key or LOCAL_DUMMY_KEY, base_url=base, timeout=timeout, max_retries=max_retries)
