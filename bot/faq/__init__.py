"""Staff FAQs: spreadsheet source of truth, validation and training data."""
from __future__ import annotations


def faq_training_data() -> str:
    """Retrieval training data for the staff FAQs; empty until the FAQ pipeline exists."""
    return ""
