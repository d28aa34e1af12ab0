"""Tests for bot.security.links: link extraction and offline classification."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from bot.security.links import (
    CATEGORIES,
    DATA_DIR,
    LinkVerdict,
    classify,
    find_links,
    load_link_rules,
)

CASES = [
    # official: allow-list, gov.vn sub-domains, tricky parsing
    ("https://dichvucong.gov.vn", "official", "dichvucong.gov.vn", "allowlisted"),
    ("https://dichvucong.sonla.gov.vn/p/home/dvc-trang-chu.html", "official",
     "dichvucong.sonla.gov.vn", "allowlisted"),
    ("sonla.gov.vn", "official", "sonla.gov.vn", "allowlisted"),
    ("HTTPS://DICHVUCONG.GOV.VN/", "official", "dichvucong.gov.vn", "allowlisted"),
    ("https://vneid.gov.vn.", "official", "vneid.gov.vn", "allowlisted"),
    ("https://www.dichvucong.gov.vn", "official", "www.dichvucong.gov.vn", "allowlisted"),
    ("https://dichvucong.bocongan.gov.vn/?a=1", "official", "dichvucong.bocongan.gov.vn",
     "allowlisted"),
    ("https://vanban.chinhphu.vn/?pageid=27160", "official", "vanban.chinhphu.vn", "allowlisted"),
    ("https://xaydungchinhsach.chinhphu.vn", "official", "xaydungchinhsach.chinhphu.vn",
     "allowlisted"),
    ("https://moj.gov.vn", "official", "moj.gov.vn", "gov_vn_subdomain"),
    ("https://abc.sonla.gov.vn/tin-tuc", "official", "abc.sonla.gov.vn", "gov_vn_subdomain"),
    ("//bocongan.gov.vn/path", "official", "bocongan.gov.vn", "allowlisted"),
    # official hosts keep risky features as notes only
    ("http://dichvucong.gov.vn", "official", "dichvucong.gov.vn", "plain_http"),
    ("https://dichvucong.gov.vn:8443/login", "official", "dichvucong.gov.vn", "unusual_port"),
    ("https://user:secret@sonla.gov.vn/", "official", "sonla.gov.vn", "credentials"),
    # scam: block list, parent domains
    ("https://dichvucong-gov-vn.example/nhan-tien", "scam", "dichvucong-gov-vn.example",
     "blocklisted"),
    ("login.bhxh-nhantien.example.com", "scam", "login.bhxh-nhantien.example.com", "blocklisted"),
    ("HTTP://VNEID-CAPNHAT.EXAMPLE:8080", "scam", "vneid-capnhat.example", "blocklisted"),
    ("sonla-hoantien.example.", "scam", "sonla-hoantien.example", "blocklisted"),
    # lookalike: official names in other domains, gov.vn imitation, IDN, typos
    ("https://dichvucong.gov.vn.example.com/login", "lookalike", "dichvucong.gov.vn.example.com",
     "official_name_in_other_domain"),
    ("dichvucong-gov.vn", "lookalike", "dichvucong-gov.vn", "official_name_in_other_domain"),
    ("http://dvc-sonla.com.vn", "lookalike", "dvc-sonla.com.vn", "official_name_in_other_domain"),
    ("sonla-gov.vn", "lookalike", "sonla-gov.vn", "gov_vn_imitation"),
    ("https://dichvucong.gov.vm", "lookalike", "dichvucong.gov.vm", "edit_distance"),
    ("https://dichvuc0ng.gov.vn", "lookalike", "dichvuc0ng.gov.vn", "confusable_chars"),
    ("vneid.gov.vn.co", "lookalike", "vneid.gov.vn.co", "official_name_in_other_domain"),
    ("https://xn--dchvcng-7za.vn", "lookalike", "xn--dchvcng-7za.vn", "punycode"),
    ("https://dịchvụcông.vn", "lookalike", "xn--dchvcng-x0a0689dsha.vn", "punycode"),
    ("https://dichvuc\u043eng.gov.vn", "lookalike", "xn--dichvucng-62h.gov.vn", "mixed_script"),
    ("http://dichvucong.gov.vn@evil.example.com/", "lookalike", "evil.example.com",
     "official_name_in_userinfo"),
    ("congan-sonla.net", "lookalike", "congan-sonla.net", "official_name_in_other_domain"),
    ("https://mygov.vn", "lookalike", "mygov.vn", "gov_vn_imitation"),
    ("https://sonla.com.vn", "lookalike", "sonla.com.vn", "edit_distance"),
    ("https://baohiemxahoi-vn.com", "lookalike", "baohiemxahoi-vn.com",
     "official_name_in_other_domain"),
    # risky: IP hosts, shorteners, http, credentials, ports
    ("http://1.2.3.4/login", "risky", "1.2.3.4", "ip_host"),
    ("https://[2001:db8::1]:8080/x", "risky", "2001:db8::1", "ip_host"),
    ("http://3232235777/", "risky", "192.168.1.1", "ip_host"),
    ("bit.ly/abc", "risky", "bit.ly", "shortener"),
    ("https://TINYURL.com/y3k", "risky", "tinyurl.com", "shortener"),
    ("http://example.com/form", "risky", "example.com", "plain_http"),
    ("https://admin:123@example.com/", "risky", "example.com", "credentials"),
    ("https://example.com:8443/", "risky", "example.com", "unusual_port"),
    ("ftp://files.example.com/a", "risky", "files.example.com", "unusual_scheme"),
    # unknown: everything else (including official names outside the host)
    ("https://example.com", "unknown", "example.com", None),
    ("www.google.com", "unknown", "www.google.com", None),
    ("https://evil.example.com/dichvucong.gov.vn/login", "unknown", "evil.example.com",
     "official_name_in_path"),
    ("https://www.google.com/search?q=dichvucong.gov.vn", "unknown", "www.google.com",
     "official_name_in_path"),
    ("gov.vn", "unknown", "gov.vn", None),
    ("https://zalo.me/123", "unknown", "zalo.me", None),
    ("https://example.com:443/", "unknown", "example.com", None),
    ("https://dulich-sonla.vn", "unknown", "dulich-sonla.vn", None),
    # invalid
    ("", "invalid", "", "unparsable"),
    ("javascript:alert(1)", "invalid", "", "unparsable"),
    ("http://exa mple.com", "invalid", "", "unparsable"),
    ("http://example.com:99999", "invalid", "", "unparsable"),
    ("http://[::1", "invalid", "", "unparsable"),
    ("localhost:8080", "invalid", "", "unparsable"),
    ("http://under_score.com", "invalid", "", "unparsable"),
    ("1.2.3", "invalid", "", "unparsable"),
    ("file:///etc/passwd", "invalid", "", "unparsable"),
]


@pytest.mark.parametrize(("link", "category", "host", "reason"), CASES)
def test_classify(link: str, category: str, host: str, reason: str | None) -> None:
    """Each URL lands in the expected category, with the expected host and reason code."""
    verdict = classify(link)
    assert verdict.category == category, verdict
    assert verdict.host == host
    assert verdict.link == link
    if reason is not None:
        assert reason in verdict.reasons, verdict
    elif category == "unknown":
        assert verdict.reasons == ()


def test_every_category_is_covered() -> None:
    """The parametrised cases exercise every category."""
    assert {case[1] for case in CASES} == set(CATEGORIES)
    assert len(CASES) >= 45


def test_verdict_is_frozen_and_typed() -> None:
    """LinkVerdict is an immutable dataclass with a tuple of ASCII reason codes."""
    verdict = classify("dichvucong-gov.vn")
    assert isinstance(verdict, LinkVerdict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.category = "official"  # type: ignore[misc]
    assert isinstance(verdict.reasons, tuple)
    assert all(re.fullmatch(r"[a-z_]+", r) for r in verdict.reasons)


@pytest.mark.parametrize(
    ("link", "matched"),
    [
        ("https://dichvucong.gov.vn/x", "dichvucong.gov.vn"),
        ("https://abc.sonla.gov.vn", "gov.vn"),
        ("login.bhxh-nhantien.example.com", "bhxh-nhantien.example.com"),
        ("dichvucong.gov.vn.example.com", "dichvucong.gov.vn"),
        ("dichvucong-gov.vn", "dichvucong"),
        ("https://dichvucong.gov.vm", "dichvucong"),
        ("https://example.com", None),
    ],
)
def test_matched(link: str, matched: str | None) -> None:
    """`matched` names the list entry behind the verdict."""
    assert classify(link).matched == matched


def test_scam_beats_lookalike() -> None:
    """A blocked host that also imitates an official name is reported as scam."""
    verdict = classify("https://dichvucong-gov-vn.example")
    assert verdict.category == "scam"
    assert "official_name_in_other_domain" in verdict.reasons


def test_lookalike_beats_risky() -> None:
    """Credentials trick plus http: the look-alike wins over risky."""
    verdict = classify("http://vneid.gov.vn@1.2.3.4/")
    assert verdict.category == "lookalike"
    assert {"official_name_in_userinfo", "ip_host", "credentials"} <= set(verdict.reasons)


def test_bare_domain_does_not_get_plain_http() -> None:
    """A link written without a scheme is not blamed for plain http."""
    assert "plain_http" not in classify("example.com").reasons
    assert "plain_http" in classify("http://example.com").reasons


FIND_CASES = [
    ("vào trang dichvucong-gov.vn để nhận tiền", ["dichvucong-gov.vn"]),
    ("đăng nhập http://1.2.3.4/login ngay", ["http://1.2.3.4/login"]),
    ("bấm vào bit.ly/abc nhé", ["bit.ly/abc"]),
    ("Bạn xem tại sonla.gov.vn.", ["sonla.gov.vn"]),
    ("(xem https://dichvucong.gov.vn/p/home/dvc-trang-chu.html).",
     ["https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"]),
    ("link: https://example.com/a?b=1, rồi www.abc.xyz:8080/x!",
     ["https://example.com/a?b=1", "www.abc.xyz:8080/x"]),
    ("VAO DICHVUCONG.GOV.VN NHE", ["DICHVUCONG.GOV.VN"]),
    ("mở 10.0.0.1:8080/admin xem", ["10.0.0.1:8080/admin"]),
    ("hai lần https://a.example.com và https://a.example.com", ["https://a.example.com"]),
    ("trang “https://vneid.gov.vn” đó", ["https://vneid.gov.vn"]),
    ("vào dịchvụcông.vn để khai", ["dịchvụcông.vn"]),
    ("Xong.Sau đó vào dvc-sonla.com.vn…", ["dvc-sonla.com.vn"]),
    ("http://[2001:db8::1]:8080/x là gì", ["http://[2001:db8::1]:8080/x"]),
]


@pytest.mark.parametrize(("text", "links"), FIND_CASES)
def test_find_links(text: str, links: list[str]) -> None:
    """Links are found inside Vietnamese sentences with trailing punctuation stripped."""
    assert find_links(text) == links


@pytest.mark.parametrize(
    "text",
    [
        "Thủ tục đăng ký khai sinh mã 1.001193 và 2.000986",
        "Lệ phí 50.000đ, hoặc 1.500.000 đồng",
        "Làm việc từ 8.30 đến 17.00, ngày 15/06/2026",
        "Tải mẫu to-khai.docx và ho-so.pdf rồi nộp",
        "Gửi email cho nguyen.van.a@gmail.com hoặc hotro.sonla@gmail.com",
        "Tôi ở TP.HCM, Son.La, v.v. và gọi cho me.Toi",
        "Nghị định 123/2015/NĐ-CP quy định",
        "mục 1.2.3.4 của hướng dẫn",
        "Chào bạn, tôi muốn làm giấy khai sinh cho con",
        "",
    ],
)
def test_find_links_no_false_positives(text: str) -> None:
    """Ordinary sentences, numbers, file names and e-mail addresses are not links."""
    assert find_links(text) == []


def test_find_then_classify_in_sentence() -> None:
    """Links found in a message classify as expected."""
    text = ("Có người gửi dichvucong.gov.vn.example.com và bit.ly/x, "
            "còn trang thật là dichvucong.gov.vn")
    verdicts = [classify(link).category for link in find_links(text)]
    assert verdicts == ["lookalike", "risky", "official"]


def test_rules_are_cached_and_injectable(tmp_path: Path) -> None:
    """Rules load once per folder; a custom folder changes the verdicts."""
    assert load_link_rules() is load_link_rules()
    assert load_link_rules(DATA_DIR) is load_link_rules()
    (tmp_path / "official_domains.yml").write_text(
        "domains:\n  - host: example.org\n    description: test\n", encoding="utf-8")
    (tmp_path / "blocked_domains.yml").write_text(
        "domains:\n  - host: Bad.Example.NET.\n", encoding="utf-8")
    (tmp_path / "shorteners.yml").write_text("shorteners: []\n", encoding="utf-8")
    rules = load_link_rules(tmp_path)
    assert rules is not load_link_rules()
    assert classify("https://example.org", rules=rules).category == "official"
    assert classify("https://x.bad.example.net", rules=rules).category == "scam"
    assert classify("bit.ly/abc", rules=rules).category == "unknown"
    assert classify("https://dichvucong.gov.vn", rules=rules).reasons == ("gov_vn_subdomain",)


def test_data_files_are_well_formed() -> None:
    """Every data entry is a clean lower-case host; blocked examples are marked."""
    official = yaml.safe_load((DATA_DIR / "official_domains.yml").read_text(encoding="utf-8"))
    for entry in official["domains"]:
        assert entry["host"] == entry["host"].lower().strip(".")
        assert entry["description"]
        assert "/" not in entry["host"]
    hosts = {e["host"] for e in official["domains"]}
    assert {"dichvucong.gov.vn", "sonla.gov.vn", "dichvucong.sonla.gov.vn", "vneid.gov.vn",
            "bocongan.gov.vn", "dichvucong.bocongan.gov.vn", "baohiemxahoi.gov.vn",
            "gdt.gov.vn", "chinhphu.vn", "vanban.chinhphu.vn"} <= hosts
    blocked = yaml.safe_load((DATA_DIR / "blocked_domains.yml").read_text(encoding="utf-8"))
    assert all(not e["host"].endswith("gov.vn") for e in blocked["domains"])
    assert all(e.get("example") is True for e in blocked["domains"][:4])
    for host in hosts:
        assert classify(host).category == "official", host


def test_messages_cover_every_category_and_reason() -> None:
    """messages.yml has a sentence for every category and every reason code in use."""
    messages = yaml.safe_load((DATA_DIR / "messages.yml").read_text(encoding="utf-8"))
    assert set(messages["link_verdicts"]) >= set(CATEGORIES)
    reasons = {r for link, *_ in CASES for r in classify(link).reasons}
    assert reasons <= set(messages["link_reasons"])
    for text in messages["link_verdicts"].values():
        text.format(link="x", host="y")  # only {link} / {host} placeholders
