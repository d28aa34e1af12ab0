"""Tests for bot.security.secrets: detection, masking and the logging filter."""
from __future__ import annotations

import logging
import re
import unicodedata

import pytest
import yaml

from bot.security.secrets import (
    KINDS,
    Finding,
    Masked,
    MaskingFilter,
    detect,
    install_log_masking,
    mask,
)
from bot.security.links import DATA_DIR
from bot.text import strip_accents

POSITIVE = [
    # password
    ("mật khẩu của tôi là abc123", "mật khẩu của tôi là [password]", ("password",)),
    ("mat khau cua toi la abc123", "mat khau cua toi la [password]", ("password",)),
    ("mk: Xyz@2024", "mk: [password]", ("password",)),
    ("pass la hoa1990", "pass la [password]", ("password",)),
    ("Pass là hoa1990 nhé", "Pass là [password] nhé", ("password",)),
    ("Mật khẩu Zalo của em là: \"Lan@2005\".", "Mật khẩu Zalo của em là: \"[password]\".",
     ("password",)),
    ("password=S3cret!", "password=[password]", ("password",)),
    ("mk: hoahong", "mk: [password]", ("password",)),
    ("mật khẩu 246810", "mật khẩu [password]", ("password",)),
    # otp
    ("mã OTP là 123456", "mã OTP là [otp]", ("otp",)),
    ("ma otp 4821", "ma otp [otp]", ("otp",)),
    ("Mã xác thực của bạn: 839201.", "Mã xác thực của bạn: [otp].", ("otp",)),
    ("ma xac nhan 55667788", "ma xac nhan [otp]", ("otp",)),
    ("Mã 562301 đã gửi về điện thoại của tôi", "Mã [otp] đã gửi về điện thoại của tôi",
     ("otp",)),
    ("774512 là mã xác nhận ngân hàng gửi", "[otp] là mã xác nhận ngân hàng gửi", ("otp",)),
    # card
    ("số thẻ 4111 1111 1111 1111 nhé", "số thẻ [card] nhé", ("card",)),
    ("the 5555-5555-5555-4444", "the [card]", ("card",)),
    ("4012888888881881", "[card]", ("card",)),
    ("Amex 3782 822463 10005", "Amex [card]", ("card",)),
    # id_number
    ("CCCD của tôi 001099012345", "CCCD của tôi [id_number]", ("id_number",)),
    ("can cuoc 034 188 000 123", "can cuoc [id_number]", ("id_number",)),
    ("căn cước 0341 8800 0123", "căn cước [id_number]", ("id_number",)),
    ("số CMND 123456789", "số CMND [id_number]", ("id_number",)),
    ("chung minh nhan dan 050123456 cấp năm 2010", "chung minh nhan dan [id_number] cấp năm 2010",
     ("id_number",)),
    # phone
    ("gọi cho tôi 0912345678", "gọi cho tôi [phone]", ("phone",)),
    ("sdt 0912 345 678", "sdt [phone]", ("phone",)),
    ("số 091.234.5678 nhé", "số [phone] nhé", ("phone",)),
    ("+84 912 345 678", "[phone]", ("phone",)),
    ("84987654321", "[phone]", ("phone",)),
    ("Zalo 0382-123-456", "Zalo [phone]", ("phone",)),
    ("sđt: 0791234567, 0561234567", "sđt: [phone], [phone]", ("phone",)),
    # bank_account
    ("số tài khoản của tôi là 0123456789 Vietcombank",
     "số tài khoản của tôi là [bank_account] Vietcombank", ("bank_account",)),
    ("stk: 1903 5555 6666 77", "stk: [bank_account]", ("bank_account",)),
    ("STK 0912345678 MB", "STK [bank_account] MB", ("bank_account",)),
    ("so tai khoan agribank 7900205123456", "so tai khoan agribank [bank_account]",
     ("bank_account",)),
    # several kinds together
    ("mk: abc123, sđt 0912345678, CCCD 001099012345",
     "mk: [password], sđt [phone], CCCD [id_number]", ("password", "phone", "id_number")),
    ("Mã OTP 482913 gửi về 0987654321", "Mã OTP [otp] gửi về [phone]", ("otp", "phone")),
]


@pytest.mark.parametrize(("text", "masked", "kinds"), POSITIVE)
def test_mask_positive(text: str, masked: str, kinds: tuple[str, ...]) -> None:
    """Secrets are replaced by their placeholder, nothing else changes."""
    result = mask(text)
    assert isinstance(result, Masked)
    assert result.text == masked
    assert result.kinds == kinds


@pytest.mark.parametrize(("text", "masked", "kinds"), POSITIVE)
def test_mask_positive_without_diacritics(text: str, masked: str, kinds: tuple[str, ...]) -> None:
    """The same messages typed without diacritics are masked the same way."""
    result = mask(strip_accents(text))
    assert result.text == strip_accents(masked)
    assert result.kinds == kinds


@pytest.mark.parametrize(("text", "masked", "kinds"), POSITIVE[:12])
def test_mask_positive_nfd(text: str, masked: str, kinds: tuple[str, ...]) -> None:
    """NFD input (some keyboards) keeps correct offsets."""
    nfd = unicodedata.normalize("NFD", text)
    result = mask(nfd)
    assert unicodedata.normalize("NFC", result.text) == masked
    assert result.kinds == kinds


NEGATIVE = [
    "Thủ tục 1.001193 và 2.000986 cần gì",
    "Lệ phí 50.000 đồng, cấp lại 1.500.000đ",
    "Hẹn ngày 15/06/2026 lúc 8.30 hoặc 14:30",
    "Theo Nghị định 123/2015/NĐ-CP và Luật 91/2025/QH15",
    "Cần 2 bản sao và 1 bản chính",
    "Năm 2025 tôi sinh con, năm 1990 tôi kết hôn",
    "mật khẩu là gì",
    "quên mật khẩu thì làm sao",
    "Mật khẩu mạnh là mật khẩu dài",
    "đổi mật khẩu: chọn mục Bảo mật",
    "mật khẩu phải có ít nhất 12 ký tự",
    "mã OTP hết hạn năm 2026",
    "mã OTP có hiệu lực 5 phút",
    "123456789 người",
    "Số hồ sơ 000.00.12.H52-240101-0001",
    "pass lại cái xe 2 triệu",
    "tôi có 3 con, sinh năm 2019",
    "tổng 84.500.000.000đ",
    "4111111111111112",
    "stk là gì",
    "làm căn cước cho con 14 tuổi hết bao nhiêu",
    "Mã thủ tục 1.000894, mã số thuế cá nhân",
    "mk: [password] và sđt [phone]",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_false_positives(text: str) -> None:
    """Procedure codes, money, dates, decrees, counts and questions stay untouched."""
    assert detect(text) == []
    assert mask(text) == Masked(text=text, kinds=())


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_false_positives_without_diacritics(text: str) -> None:
    """The same negatives typed without diacritics stay untouched."""
    assert detect(strip_accents(text)) == []


def test_detect_offsets() -> None:
    """Findings carry the kind and the exact span of the secret."""
    text = "Gọi 0912345678 hoặc mk: Abc@123"
    findings = detect(text)
    assert findings == [Finding("phone", 4, 14), Finding("password", 24, 31)]
    assert [text[f.start:f.end] for f in findings] == ["0912345678", "Abc@123"]


def test_card_requires_luhn() -> None:
    """A 16-digit number that fails Luhn is not a card."""
    assert mask("4111 1111 1111 1112").kinds == ()
    assert mask("4111 1111 1111 1111").kinds == ("card",)


def test_cmnd_needs_cue() -> None:
    """A 9-digit number is an old ID only next to CMND / chứng minh."""
    assert mask("số 123456789").kinds == ()
    assert mask("CMND 123456789").kinds == ("id_number",)


def test_bank_account_needs_cue() -> None:
    """Account numbers are masked only after "số tài khoản" / "stk"."""
    assert mask("0123456").kinds == ()
    assert mask("stk 0123456").kinds == ("bank_account",)


def test_placeholders_are_ascii_and_known() -> None:
    """Every placeholder is an ASCII token [kind]."""
    text = ("mk: abc123 otp 123456 thẻ 4111111111111111 CCCD 001099012345 "
            "sđt 0912345678 stk 123456789")
    result = mask(text)
    assert set(result.kinds) == set(KINDS)
    for kind in KINDS:
        assert f"[{kind}]" in result.text
    assert not re.search(r"\d{4,}", result.text)


def test_mask_is_idempotent() -> None:
    """Masking masked text changes nothing."""
    once = mask("mật khẩu: Abc@123, sđt 0912345678").text
    assert mask(once).text == once


def test_secret_guard_messages_exist() -> None:
    """messages.yml has one guard sentence per secret kind."""
    messages = yaml.safe_load((DATA_DIR / "messages.yml").read_text(encoding="utf-8"))
    assert set(messages["secret_guard"]) == set(KINDS)


TIP_IDS = {"passwords", "two_factor", "otp", "scam_calls", "fake_websites", "apps_apk", "malware",
           "public_wifi", "personal_data", "after_scam", "children_online", "phone_updates"}


def test_tips_data_is_well_formed() -> None:
    """tips.yml: required ids, 10-14 accented examples, short answers, nothing masked."""
    tips = yaml.safe_load((DATA_DIR / "tips.yml").read_text(encoding="utf-8"))["tips"]
    ids = [tip["id"] for tip in tips]
    assert len(ids) == len(set(ids)) and TIP_IDS <= set(ids)
    seen: set[str] = set()
    for tip in tips:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", tip["id"]) and tip["title"]
        assert 10 <= len(tip["examples"]) <= 14, tip["id"]
        assert len(tip["answer"]) <= 900, tip["id"]
        assert re.search(r"^1\. ", tip["answer"], re.MULTILINE), tip["id"]
        for example in tip["examples"]:
            assert strip_accents(example) != example, example  # written with diacritics
            assert detect(example) == [], example  # masking must not change training data
            folded = strip_accents(example).lower()
            assert folded not in seen, example
            seen.add(folded)


def test_masking_filter_on_real_logger(caplog: pytest.LogCaptureFixture) -> None:
    """The filter masks the formatted message, the args and tracebacks."""
    logger = logging.getLogger("test_secrets.masking")
    masking = MaskingFilter()
    logger.addFilter(masking)
    try:
        with caplog.at_level(logging.INFO, logger="test_secrets.masking"):
            logger.info("user said %s", "sđt của tôi 0912345678, mk: Abc@123")
            logger.info("CCCD %s", "001099012345")
            logger.info({"text": "otp 482913"})
            try:
                raise ValueError("the card is 4111 1111 1111 1111")
            except ValueError:
                logger.exception("failed for stk 0123456789")
        messages = [r.getMessage() for r in caplog.records]
        assert messages[0] == "user said sđt của tôi [phone], mk: [password]"
        assert messages[1] == "CCCD [id_number]"
        assert "482913" not in messages[2] and "[otp]" in messages[2]
        assert messages[3] == "failed for stk [bank_account]"
        assert "4111" not in caplog.text and "0912345678" not in caplog.text
        assert "[card]" in caplog.text
    finally:
        logger.removeFilter(masking)


def test_install_log_masking_is_idempotent(caplog: pytest.LogCaptureFixture) -> None:
    """install_log_masking adds one filter per logger and handler, however often it runs."""
    name = "test_secrets.installed"
    logger = logging.getLogger(name)
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        install_log_masking([name])
        install_log_masking([name])
        assert sum(isinstance(f, MaskingFilter) for f in logger.filters) == 1
        assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
        with caplog.at_level(logging.INFO, logger=name):
            logger.info("phone %s", "0912345678")
        assert caplog.records[-1].getMessage() == "phone [phone]"
    finally:
        logger.removeHandler(handler)
        for f in list(logger.filters):
            logger.removeFilter(f)


def test_child_logger_masked_by_parent_handler(caplog: pytest.LogCaptureFixture) -> None:
    """Records of a child logger (rasa.core...) are masked by the filter on the handler."""
    parent = logging.getLogger("test_secrets.parent")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    parent.addHandler(handler)
    try:
        install_log_masking(["test_secrets.parent"])
        logging.getLogger("test_secrets.parent.child").warning("CCCD %s", "001099012345")
        assert seen == ["CCCD [id_number]"]
    finally:
        parent.removeHandler(handler)
        for f in list(parent.filters):
            parent.removeFilter(f)


try:
    import hypothesis
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is optional
    hypothesis = None


if hypothesis is None:

    def test_masking_never_leaks_digits() -> None:
        """Skipped: the property test needs hypothesis."""
        pytest.importorskip("hypothesis")

else:

    _FILLER = st.sampled_from(
        ["tôi", "muốn", "hỏi", "về", "thủ tục", "khai sinh", "xin", "cảm ơn", "bạn", "nhé",
         ",", "."]
    )


    def _luhn_complete(body: str) -> str:
        """Append the Luhn check digit to a card number body."""
        total = 0
        for i, char in enumerate(reversed(body)):
            value = int(char)
            if i % 2 == 0:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        return body + str((10 - total % 10) % 10)


    _PHONES = st.builds(lambda p, d: "0" + p + d, st.sampled_from("35789"),
                        st.from_regex(r"\A\d{8}\Z", fullmatch=True))
    _CARDS = st.builds(lambda b: _luhn_complete("4" + b),
                       st.from_regex(r"\A\d{14}\Z", fullmatch=True))
    _IDS = st.builds(lambda d: "0" + d, st.from_regex(r"\A\d{11}\Z", fullmatch=True))
    _OTPS = st.builds(lambda d: "mã OTP " + d, st.from_regex(r"\A\d{6}\Z", fullmatch=True))
    _SECRETS = st.one_of(_PHONES, _CARDS, _IDS, _OTPS)


    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.lists(st.tuples(_FILLER, _SECRETS), min_size=1, max_size=5), _FILLER)
    def test_masking_never_leaks_digits(parts: list[tuple[str, str]], tail: str) -> None:
        """Property: after masking, no digit of any detected secret is left in the text."""
        text = " ".join(f"{word} {secret}" for word, secret in parts) + " " + tail
        findings = detect(text)
        assert len(findings) == len(parts)
        masked = mask(text)
        assert not re.search(r"\d", masked.text), masked.text
        for finding in findings:
            assert text[finding.start:finding.end] not in masked.text
        assert detect(masked.text) == []
