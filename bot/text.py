"""Vietnamese text normalisation and folding: the one place for it."""
from __future__ import annotations

import re
import unicodedata

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_NAME_PREFIX = re.compile(r"^thủ tục\s+", re.IGNORECASE)
# Two-vowel word endings whose tone mark residents place either way: "hoà"/"hòa", "thuỷ"/"thủy".
_GLIDE_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}


def nfc(text: str) -> str:
    """Compose text to NFC (some keyboards send NFD)."""
    return unicodedata.normalize("NFC", text)


def _move_tone_in_word(word: str) -> str:
    """Put the tone of a word-final oa/oe/uy on its first vowel (hòa, thủy), except after q."""
    decomposed = unicodedata.normalize("NFD", word)
    base = [c for c in decomposed if not unicodedata.combining(c)]
    if len(base) < 2:
        return word
    first, second = base[-2].lower(), base[-1].lower()
    if (first, second) not in _GLIDE_PAIRS:
        return word
    if len(base) >= 3 and base[-3].lower() == "q":
        return word
    # Split the decomposed word into letters with their combining marks.
    letters: list[list[str]] = []
    for char in decomposed:
        if unicodedata.combining(char) and letters:
            letters[-1].append(char)
        else:
            letters.append([char])
    last = letters[-1]
    tones = [m for m in last[1:] if m in _TONE_MARKS]
    if not tones:
        return word
    letters[-1] = [m for m in last if m not in _TONE_MARKS]
    letters[-2].extend(tones)
    return unicodedata.normalize("NFC", "".join("".join(letter) for letter in letters))


def normalize(text: str) -> str:
    """NFC, one tone-placement style and single spaces; keeps case and diacritics."""
    text = nfc(text)
    text = _WORD_RE.sub(lambda m: _move_tone_in_word(m.group(0)), text)
    return _SPACE_RE.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics (đ→d) with the standard library only; keeps case."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def fold(text: str) -> str:
    """Accent-free, lower-case, single-spaced form used for matching."""
    return _SPACE_RE.sub(" ", strip_accents(nfc(text)).lower()).strip()


def words(text: str) -> list[str]:
    """Folded word tokens of a text."""
    return _WORD_RE.findall(fold(text))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic."""
    return strip_accents(text) != nfc(text)


def short_name(name: str) -> str:
    """A procedure name as residents say it: normalized, without the leading "Thủ tục"."""
    return _NAME_PREFIX.sub("", normalize(name))
