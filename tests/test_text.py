"""Vietnamese normalisation and folding."""
import pytest

from bot.text import fold, has_diacritics, normalize, strip_accents, words


@pytest.mark.parametrize("raw,expected", [
    ("hoà bình", "hòa bình"),
    ("Thuỷ điện", "Thủy điện"),
    ("khoẻ", "khỏe"),
    ("quý", "quý"),          # 'u' after q is a consonant: the tone stays on y
    ("hoàn thành", "hoàn thành"),
    ("  nhiều   dấu  cách ", "nhiều dấu cách"),
])
def test_normalize_tone_placement_and_spaces(raw, expected):
    assert normalize(raw) == expected


def test_nfd_input_is_composed():
    nfd = "đăng ký khai sinh".encode().decode()
    import unicodedata
    assert normalize(unicodedata.normalize("NFD", nfd)) == "đăng ký khai sinh"


@pytest.mark.parametrize("raw,expected", [
    ("Đăng Ký Khai Sinh", "dang ky khai sinh"),
    ("thẻ căn cước", "the can cuoc"),
    ("hòa", "hoa"), ("hoà", "hoa"),
    ("GPLX", "gplx"),
])
def test_fold(raw, expected):
    assert fold(raw) == expected


def test_strip_accents_keeps_case_and_maps_d():
    assert strip_accents("Đường Điện Biên") == "Duong Dien Bien"


def test_words_and_diacritics():
    assert words("Làm CCCD ở đâu?") == ["lam", "cccd", "o", "dau"]
    assert has_diacritics("làm") and not has_diacritics("lam")
