"""newsalign: news -> investment-signal training data -> preference-aligned LLMs."""

__version__ = "0.1.0"
