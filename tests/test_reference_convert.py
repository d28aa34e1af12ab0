"""Tests for the reference-record converter's parsing helpers."""
from __future__ import annotations

from datetime import date

import pytest

from bot.catalog import reference as ref


@pytest.mark.parametrize(
    ("line", "name", "copy", "count"),
    [
        ("Tờ khai đăng ký khai sinh (1 bản chính)", "Tờ khai đăng ký khai sinh", "ban_chinh", 1),
        ("Bản sao giấy phép lái xe (0 bản chính,1 bản sao)", "Bản sao giấy phép lái xe", "ban_sao", 1),
        ("Đơn đăng ký (1 bản chính, 1 bản sao)", "Đơn đăng ký", "ban_chinh_hoac_ban_sao", 1),
        ("Phiếu tự khai (Bản chính: 1, Bản sao: 0)", "Phiếu tự khai", "ban_chinh", 1),
        ("Bản chụp thẻ (Bản chính: 0, Bản sao: 1)", "Bản chụp thẻ", "ban_sao", 1),
        ("Phiếu yêu cầu (theo mẫu)", "Phiếu yêu cầu (theo mẫu)", None, None),
        ("Tờ khai theo mẫu (nếu nộp trực tiếp); (1 bản chính)", "Tờ khai theo mẫu (nếu nộp trực tiếp)", "ban_chinh", 1),
    ],
)
def test_parse_document(line: str, name: str, copy: str | None, count: int | None) -> None:
    """Copies and counts are split off the document name."""
    doc = ref.parse_document(line)
    assert (doc["name"], doc["copy"], doc["count"]) == (name, copy, count)


def test_parse_document_glued_form_number() -> None:
    """A form number glued to the count by the crawl goes back into the name."""
    doc = ref.parse_document("Đơn đăng ký biến động theo Mẫu số (181 bản chính,1 bản sao)")
    assert doc["name"] == "Đơn đăng ký biến động theo Mẫu số 18"
    assert doc["count"] == 1


def test_parse_document_group_label() -> None:
    """A trailing case label becomes the document note."""
    doc = ref.parse_document("Đơn đề nghị (1 bản chính) [nhóm: (1.7) Nhà ở riêng lẻ]")
    assert doc == {"name": "Đơn đề nghị", "copy": "ban_chinh", "count": 1, "note": "(1.7) Nhà ở riêng lẻ"}


def test_parse_document_presentation() -> None:
    """Documents to show rather than hand in are marked xuat_trinh."""
    assert ref.parse_document("Xuất trình thẻ căn cước (1 bản chính)")["copy"] == "xuat_trinh"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Trực tiếp", ("truc_tiep",)),
        ("Trực tuyến", ("truc_tuyen",)),
        ("Dịch vụ bưu chính", ("buu_chinh",)),
        ("Trực tiếp / Bưu chính", ("truc_tiep", "buu_chinh")),
        ("Fax", ()),
    ],
)
def test_map_channel(label: str, expected: tuple[str, ...]) -> None:
    """Portal channel labels map to the seed enum."""
    assert ref.map_channel(label) == expected


def test_parse_time_keeps_bare_number_without_unit() -> None:
    """A bare number stays as published when nothing states the unit."""
    assert ref.parse_time("1", None) == "1"
    assert ref.parse_time("3", "Nộp trực tiếp tại UBND") == "3"


def test_parse_time_adds_unit_from_description() -> None:
    """The unit is added only when the description gives it for the same number."""
    assert ref.parse_time("5", "Thời hạn: 05 ngày làm việc.") == "5 ngày làm việc"
    assert ref.parse_time("2", "Thời hạn: 05 ngày làm việc.") == "2"


def test_parse_time_placeholders() -> None:
    """Portal placeholders mean unknown."""
    assert ref.parse_time("Không có thông tin", None) is None
    assert ref.parse_time("Xem phần mô tả", "x") is None
    assert ref.parse_time("7 Ngày làm việc", None) == "7 Ngày làm việc"


def test_parse_fee_free_kept_when_nothing_contradicts() -> None:
    """'Miễn phí' without a contradicting note is kept."""
    assert ref.parse_fee("Miễn phí", None, None) == ("Miễn phí", None)


def test_parse_fee_free_dropped_when_note_states_fee() -> None:
    """'Miễn phí' is unreliable when the note states an amount."""
    fee, note = ref.parse_fee("Miễn phí", "Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.", None)
    assert fee is None and "135.000" in (note or "")


def test_parse_fee_free_dropped_when_set_by_province() -> None:
    """'Miễn phí' is unreliable when the fee is set by the provincial council."""
    fee, note = ref.parse_fee("Miễn phí", "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định.", None)
    assert fee is None and note


def test_parse_fee_postage_is_not_free() -> None:
    """Postal return with postage to pay is not 'free'."""
    assert ref.parse_fee("Miễn phí", "Trả phí cho đơn vị cung cấp dịch vụ.", None)[0] is None


def test_parse_fee_implausible_amount() -> None:
    """VND amounts below 1,000 are display errors."""
    fee, note = ref.parse_fee("700 VNĐ", "Phí thẩm định: 700.000 đồng/cơ sở.", None)
    assert fee is None and "700.000" in (note or "")


def test_parse_fee_unit_suffix() -> None:
    """A note that is only a unit is appended to the fee."""
    fee, _ = ref.parse_fee("2,000 Việt Nam Đồng", "/trang", "Tại UBND cấp xã: 2.000 đồng/trang")
    assert fee == "2,000 Việt Nam Đồng/trang"


def test_parse_fee_amount_kept() -> None:
    """A plausible amount is kept with its note."""
    assert ref.parse_fee("20,000 Việt Nam Đồng", "Nộp trực tiếp.", None) == ("20,000 Việt Nam Đồng", "Nộp trực tiếp.")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Cơ quan thực hiện (danh sách TTHC): Ủy ban nhân dân cấp xã", "Ủy ban nhân dân cấp xã"),
        ("Cơ quan thực hiện (danh sách TTHC): Ủy ban nhân dân cấp xã; Ủy ban nhân dân cấp xã",
         "Ủy ban nhân dân cấp xã"),
        ("Cơ quan thực hiện: Công an cấp Xã | Cơ quan có thẩm quyền: Công an cấp Xã", "Công an cấp Xã"),
        ("Cơ quan thực hiện: Cục X, Công an tỉnh | Cơ quan thực hiện (danh sách TTHC): Công an cấp Xã",
         "Công an cấp Xã"),
        ("Bảo hiểm xã hội tỉnh", "Bảo hiểm xã hội tỉnh"),
        (None, None),
    ],
)
def test_parse_agency(raw: str | None, expected: str | None) -> None:
    """Agency prefixes are stripped and duplicates removed."""
    assert ref.parse_agency(raw) == expected


def test_parse_legal_basis() -> None:
    """Legal bases become codes; laws keep a short title; truncated suffixes are fixed."""
    result = ref.parse_legal_basis([
        "123/2015/NĐ-CP — Nghị định số 123/2015/NĐ-CP ngày 15/11/2015",
        "68/2020/QH14 — Luật Cư trú 2020",
        "118/2025/NĐ-C — Thực hiện thủ tục hành chính",
        "123/2015/NĐ-CP — duplicate",
        "24/2021/QĐ-TTg",
    ])
    assert result == ["123/2015/NĐ-CP", "Luật Cư trú 2020 (68/2020/QH14)", "118/2025/NĐ-CP", "24/2021/QĐ-TTg"]


def test_online_level_and_dates() -> None:
    """Online level only when stated; source dates parse to dates."""
    assert ref.parse_online_level("Toàn trình (theo tên thủ tục)") == "toan_trinh"
    assert ref.parse_online_level("Một phần hoặc trực tiếp") == "mot_phan"
    assert ref.parse_online_level(None) is None
    assert ref.parse_source_date("2026-06-10 (ngày commit)") == date(2026, 6, 10)
    assert ref.parse_source_date(None) is None


def test_convert_record_and_grouping() -> None:
    """A whole record converts and groups by field slug."""
    record = {
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch",
        "level_of_authority": "cấp xã",
        "agency": "Cơ quan thực hiện (danh sách TTHC): Ủy ban nhân dân cấp xã",
        "online_level": None,
        "channels": [
            {"channel": "Trực tuyến", "time": "1", "fee": "Miễn phí", "fee_note": None, "description": None},
            {"channel": "Trực tiếp", "time": "1", "fee": "Miễn phí", "fee_note": None, "description": None},
        ],
        "documents": ["Tờ khai (1 bản chính)", "Tờ khai (1 bản chính)"],
        "legal_basis": ["60/2014/QH13 — Luật 60/2014/QH13"],
        "result": "Giấy khai sinh", "official_url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x",
        "source": "crawl", "source_date": "2026-06-10 (commit)", "notes": None,
    }
    [proc] = ref.convert([record])
    assert proc["agency"] == "Ủy ban nhân dân cấp xã"
    assert proc["authority_level"] == "Cấp xã"
    assert [c["channel"] for c in proc["channels"]] == ["truc_tiep", "truc_tuyen"]
    assert len(proc["documents"]) == 1
    assert proc["urls"] == ["https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x"]
    assert proc["verified"] == date(2026, 6, 10)
    assert list(ref.group_by_field([proc])) == ["ho_tich"]
    assert "procedures:" in ref.dump_yaml([proc])


def test_main_writes_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The CLI writes one YAML file per field."""
    src = tmp_path / "in.json"
    src.write_text('[{"code": "1", "name": "A", "field": "Hộ tịch", "channels": [], "documents": []}]',
                   encoding="utf-8")
    assert ref.main(["--input", str(src), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "ho_tich.yml").exists()
