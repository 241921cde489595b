"""LLM enrichment: one structured-output call per article returns 10 topics (most specific first) and
the investment signal with a one-sentence rationale; every call is cached and recorded in `llm_calls`.
See docs/enrich-llm.md."""

from newsalign.enrich.llm.replay import dump_recorded, load_recorded
from newsalign.enrich.llm.run import Summary, default_model, enrich_llm

__all__ = ["Summary", "default_model", "dump_recorded", "enrich_llm", "load_recorded"]
