"""Detect and mask secrets and personal numbers in user text and in log records."""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from bot.text import strip_accents

KINDS = ("password", "otp", "card", "id_number", "phone", "bank_account")
PLACEHOLDERS = frozenset(f"[{kind}]" for kind in KINDS)
# When two findings overlap, the kind listed first wins.
_PRIORITY = {"password": 0, "bank_account": 1, "card": 2, "id_number": 3, "phone": 4, "otp": 5}

# All patterns run on the folded text (no diacritics, lower-case), whose characters map back
# one-to-one to the original through an offset table.
_NUM_START = r"(?<![\d.,/:-])"  # not inside 1.001193, 15/06/2026, 8:30, 1,5, 2026-06-15
_NUM_END = r"(?!\d|[.,/:-]\d)"
_MONEY_RE = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_PASSWORD_CUE = r"\b(?:mat khau|mat ma|mk|pass(?:word|wd)?|pwd|pw)\b"
_PASSWORD_SEP_RE = re.compile(
    _PASSWORD_CUE
    + r"(?P<between>(?:\s+(?!la\b|is\b)[^\s:=]+){0,3}?)"
    + r"\s*(?P<sep>(?:(?:\bla\b|\bis\b|=|:)\s*)+)"
    + r"(?P<secret>\S+)"
)
_PASSWORD_BARE_RE = re.compile(_PASSWORD_CUE + r"\s+(?P<secret>\S*\d\S*)")
_OTP_CANDIDATE_RE = re.compile(_NUM_START + r"\d{4,8}" + _NUM_END)
_OTP_CUE_RE = re.compile(
    r"\b(?:otp|ma xac thuc|ma xac nhan|ma kich hoat|ma bao mat|ma giao dich|ma dang nhap"
    r"|verification code|ma\b[^.\n]{0,40}\b(?:gui ve|gui toi|gui den|gui qua|tin nhan|sms))\b"
)
_OTP_NOT_BEFORE_RE = re.compile(r"\b(?:nam|thang|ngay|luc|gio|phi|gia)\s*$")
_OTP_NOT_AFTER_RE = re.compile(r"^\s*(?:d\b|dong|vnd|k\b|nghin|ngan|trieu|%|km|m\b|kg|nguoi)")
_CARD_RE = re.compile(
    r"(?<![\d.,])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5})(?!\d)"
)
_ID12_RE = re.compile(
    _NUM_START + r"(?:\d{12}|(?<!\d )(?:\d{4} \d{4} \d{4}|\d{3} \d{3} \d{3} \d{3})(?! \d))"
    + _NUM_END
)
_ID9_RE = re.compile(_NUM_START + r"\d{9}" + _NUM_END)
_ID9_CUE_RE = re.compile(r"\b(?:cmnd|cmt|chung minh)\b")
_PHONE_RE = re.compile(r"(?<![\d.,/+])(?:\+84|84|0)[ .-]?[35789](?:[ .-]?\d){8}" + _NUM_END)
_BANK_RE = re.compile(
    r"\b(?:so tai khoan|stk|so tk)\b[^\d\n]{0,30}?(?P<num>\d(?:[ .-]?\d){5,18})(?!\d)"
)
_SECRET_TRIM = ".,;?)]}\"'”’…"
_SECRET_LEAD = "\"'“‘([{"
# Words that follow "mật khẩu là" in questions, not secrets ("mật khẩu là gì").
_NOT_SECRETS = frozenset(
    "gi j sao nao the nhu bao chi cai mot nhung chuoi dai ngan manh yeu quan trong can "
    "thiet dung sai rong roi dieu thong tin rat khong gium giup matkhau".split()
)


@dataclass(frozen=True)
class Finding:
    """One detected secret: its kind and character span in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Masked:
    """A text with its secrets replaced by placeholders, and the kinds that were found."""

    text: str
    kinds: tuple[str, ...]


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold each character (no accents, lower-case) and keep the original index of each."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = strip_accents(char).lower() if not char.isascii() else char.lower()
        chars.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(chars), offsets


def _span(text: str, offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a folded span back to the original text, including trailing combining marks."""
    real_start = offsets[start]
    real_end = offsets[end - 1] + 1
    while real_end < len(text) and unicodedata.combining(text[real_end]):
        real_end += 1
    return real_start, real_end


def _luhn_ok(digits: str) -> bool:
    """Check the Luhn checksum of a card number."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _trim_secret(folded: str, start: int, end: int) -> tuple[int, int]:
    """Drop quotes and sentence punctuation around a password token."""
    while start < end and folded[start] in _SECRET_LEAD:
        start += 1
    while end > start and folded[end - 1] in _SECRET_TRIM:
        end -= 1
    return start, end


def _looks_like_password(token: str, original: str, sep: str, at_clause_end: bool) -> bool:
    """Tell a password apart from an ordinary word after a cue like "mật khẩu là"."""
    if len(token) < 4 or token in _NOT_SECRETS or original in PLACEHOLDERS:
        return False
    has_digit = any(c.isdigit() for c in token)
    has_symbol = any(not c.isalnum() for c in token)
    mixed_case = any(c.isupper() for c in original[1:]) and any(c.islower() for c in original)
    if has_digit or has_symbol or mixed_case:
        return True
    if not original.isascii() or not at_clause_end:  # "mật khẩu: thường xuyên đổi"
        return False
    return len(token) >= (5 if (":" in sep or "=" in sep) else 6)


def _is_placeholder_at(folded: str, position: int) -> bool:
    """True when an already-masked placeholder such as [password] starts at a position."""
    return any(folded.startswith(p, position) for p in PLACEHOLDERS)


def _passwords(text: str, folded: str, offsets: list[int]) -> list[tuple[str, int, int]]:
    """Password tokens after cues such as "mật khẩu là", "mk:", "pass la"."""
    found: list[tuple[str, int, int]] = []
    for match in _PASSWORD_SEP_RE.finditer(folded):
        if _is_placeholder_at(folded, match.start("secret")):
            continue
        start, end = _trim_secret(folded, *match.span("secret"))
        if end <= start:
            continue
        rest = folded[end:].lstrip(" ")
        at_end = not rest or rest[0] in ".,;!?\n"
        original = text[slice(*_span(text, offsets, start, end))]
        if _looks_like_password(folded[start:end], original, match.group("sep"), at_end):
            found.append(("password", start, end))
    for match in _PASSWORD_BARE_RE.finditer(folded):
        if _is_placeholder_at(folded, match.start("secret")):
            continue
        start, end = _trim_secret(folded, *match.span("secret"))
        token = folded[start:end]
        if len(token) >= 6 and token not in PLACEHOLDERS and not _MONEY_RE.match(token):
            found.append(("password", start, end))
    return found


def _otps(folded: str) -> list[tuple[str, int, int]]:
    """4-8 digit codes written near OTP cue words."""
    found: list[tuple[str, int, int]] = []
    for match in _OTP_CANDIDATE_RE.finditer(folded):
        start, end = match.span()
        if _OTP_NOT_BEFORE_RE.search(folded[max(0, start - 8):start]):
            continue
        if _OTP_NOT_AFTER_RE.match(folded[end:end + 8]):
            continue
        window = folded[max(0, start - 60):min(len(folded), end + 60)]
        if _OTP_CUE_RE.search(window):
            found.append(("otp", start, end))
    return found


def _cards(folded: str) -> list[tuple[str, int, int]]:
    """13-19 digit card numbers (spaces or dashes allowed) with a valid Luhn checksum."""
    found = []
    for match in _CARD_RE.finditer(folded):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and _luhn_ok(digits) and len(set(digits)) > 1:
            found.append(("card", *match.span()))
    return found


def _id_numbers(folded: str) -> list[tuple[str, int, int]]:
    """12-digit citizen ID numbers, and 9-digit old ID numbers next to a CMND cue."""
    found = [("id_number", *m.span()) for m in _ID12_RE.finditer(folded)]
    for match in _ID9_RE.finditer(folded):
        start, end = match.span()
        if _ID9_CUE_RE.search(folded[max(0, start - 40):min(len(folded), end + 20)]):
            found.append(("id_number", start, end))
    return found


def _phones(folded: str) -> list[tuple[str, int, int]]:
    """Vietnamese mobile numbers: 0xxxxxxxxx, +84 / 84 forms, with spaces, dots or dashes."""
    return [("phone", *m.span()) for m in _PHONE_RE.finditer(folded)
            if not _MONEY_RE.match(m.group(0))]


def _bank_accounts(folded: str) -> list[tuple[str, int, int]]:
    """6-19 digit account numbers right after "số tài khoản" or "stk"."""
    return [("bank_account", *m.span("num")) for m in _BANK_RE.finditer(folded)]


def detect(text: str) -> list[Finding]:
    """Find passwords, OTPs, card, ID, phone and bank account numbers in a text."""
    if not text:
        return []
    folded, offsets = _folded_with_offsets(text)
    raw = [*_passwords(text, folded, offsets), *_bank_accounts(folded), *_otps(folded),
           *_cards(folded), *_id_numbers(folded), *_phones(folded)]
    raw.sort(key=lambda item: (_PRIORITY[item[0]], item[1]))
    chosen: list[tuple[str, int, int]] = []
    for kind, start, end in raw:
        if end > start and all(end <= s or start >= e for _, s, e in chosen):
            chosen.append((kind, start, end))
    chosen.sort(key=lambda item: item[1])
    return [Finding(kind, *_span(text, offsets, start, end)) for kind, start, end in chosen]


def mask(text: str) -> Masked:
    """Replace every detected secret by an ASCII placeholder such as [phone]."""
    findings = detect(text)
    if not findings:
        return Masked(text=text, kinds=())
    parts: list[str] = []
    position = 0
    for finding in findings:
        parts.append(text[position:finding.start])
        parts.append(f"[{finding.kind}]")
        position = finding.end
    parts.append(text[position:])
    kinds = tuple(dict.fromkeys(f.kind for f in findings))
    return Masked(text="".join(parts), kinds=kinds)


class MaskingFilter(logging.Filter):
    """Logging filter that masks secrets in the message, its arguments and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops a record."""
        if getattr(record, "_secrets_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: mask the parts separately
            message = str(record.msg)
            if record.args:
                message += " " + " ".join(str(a) for a in _as_tuple(record.args))
        record.msg = mask(message).text
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text).text
        if record.stack_info:
            record.stack_info = mask(record.stack_info).text
        record._secrets_masked = True
        return True


def _as_tuple(args: object) -> tuple:
    """Log-record args as a tuple (they may be a single mapping)."""
    return args if isinstance(args, tuple) else (args,)


_FILTER = MaskingFilter()


def install_log_masking(
    logger_names: Iterable[str] = ("", "rasa", "rasa_sdk", "sanic", "sanic.access"),
) -> MaskingFilter:
    """Add the masking filter to the named loggers and to their current handlers (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, MaskingFilter) for f in target.filters):
                target.addFilter(_FILTER)
    return _FILTER
