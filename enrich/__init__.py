"""Enrichment of stored articles: LLM topics and signals, Google Trends interest."""
