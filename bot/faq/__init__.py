"""Staff FAQs: spreadsheet source of truth, validation and training data."""
from __future__ import annotations

from pathlib import Path


def faq_training_data(path: Path | None = None) -> str:
    """Retrieval training data for the staff FAQs, validated first (raises FaqError)."""
    from bot.faq.source import FAQ_PATH, read_faq
    from bot.faq.training import faq_yaml
    from bot.faq.validate import ensure_valid

    return faq_yaml(ensure_valid(read_faq(path or FAQ_PATH)))
