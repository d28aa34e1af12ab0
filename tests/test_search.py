"""Catalogue search on the real catalogue: accents, typos, abbreviations, old place names.
These are development cases; the held-out set in tests/heldout/ is only scored by `make bench`."""
from __future__ import annotations

import pytest

from bot.catalog.db import session_factory
from bot.catalog.repository import IndexCache, build_index
from bot.catalog.search import CatalogIndex, entry_from_record


@pytest.fixture(scope="module")
def index(real_db) -> CatalogIndex:
    with session_factory(real_db)() as session:
        return build_index(session)


CASES = [
    # accented
    ("làm giấy khai sinh cần gì", "1.001193"),
    ("đăng ký kết hôn ở đâu", "1.000894"),
    ("cấp giấy xác nhận tình trạng hôn nhân", "1.004873"),
    ("đăng ký tạm trú cho sinh viên thuê trọ", "1.004194"),
    ("khai báo tạm vắng", "1.003677"),
    ("làm hộ chiếu phổ thông", "1.001456"),
    ("cấp lại thẻ căn cước bị mất", "1.014064"),
    ("xin giấy phép xây dựng nhà ở", "1.013225"),
    ("chứng thực chữ ký", "2.000884"),
    ("đăng ký thành lập hộ kinh doanh", "1.001612"),
    ("phiếu lý lịch tư pháp", "3.000333"),
    ("chế độ thai sản", "2.000693"),
    ("đăng ký nghĩa vụ quân sự lần đầu", "1.013133"),
    # unaccented
    ("lam giay khai sinh can gi", "1.001193"),
    ("dang ky khai tu cho ong", "1.000656"),
    ("dang ky thuong tru", "1.004222"),
    ("doi bang lai xe het han", "3.000347"),
    ("tro cap that nghiep", "SL-007"),
    ("chuyen truong cho con", "SL-013"),
    ("giam ho cho chau", "1.004837"),
    # typos
    ("dang ki ket hon", "1.000894"),
    ("lam giay khia sinh", "1.001193"),
    ("dăng ký tạm chú", "1.004194"),
    ("chung thuc ban xao", "2.000815"),
    # abbreviations and common names
    ("làm lại CCCD bị mất", "1.014064"),
    ("cap lai GPLX bi mat", "3.000348"),
    ("cấp lại thẻ BHYT bị mất", "1.002759"),
    ("làm sổ đỏ lần đầu", "1.013978"),
    ("nhập hộ khẩu cho vợ", "1.004222"),
    ("tai khoan dinh danh dien tu muc 2", "3.000228"),
    ("xác nhận độc thân", "1.004873"),
    ("sang tên sổ đỏ", "1.013831"),
    # old place names (no district level since 1 July 2025)
    ("ở Mai Sơn làm giấy khai sinh ở đâu", "1.001193"),
    ("nha o Moc Chau muon lam so do lan dau", "1.013978"),
    ("huyện Thuận Châu đăng ký kết hôn ở xã nào", "1.000894"),
]


# More development cases: everyday phrasings about every field of the catalogue.
EVERYDAY = [("bố em mất hôm qua, làm giấy báo tử ở đâu","1.000656"),
("muốn lấy vợ thì ra xã làm giấy gì","1.000894"),("xin giấy độc thân để đi làm hồ sơ vay vốn","1.004873"),
("sửa sai năm sinh trong giấy khai sinh","1.004859"),("xin bản sao giấy khai sinh của tôi","2.000635"),
("bo dang ky nhan con ngoai gia thu","1.001022"),("ông nội làm giám hộ cho cháu mồ côi","1.004837"),
("chuyen khau ve nha vo","1.004222"),("di lam cong nhan o Bac Ninh khai bao tam vang","1.003677"),
("thue tro o thanh pho son la dang ky tam tru","1.004194"),("the can cuoc het han doi o dau","1.014063"),
("danh roi the can cuoc lam lai","1.014064"),("kich hoat tai khoan vneid","3.000228"),
("lam ho chieu di han quoc","1.001456"),("bằng lái xe máy hết hạn","3.000347"),("rớt mất bằng lái ô tô","3.000348"),
("mua xe máy mới đăng ký biển số","1.013067"),("mua lai xe cu sang ten","1.013076"),("đất ông bà để lại chưa có sổ đỏ","1.013978"),
("bo me cho dat con muon sang ten","1.013831"),("so do bi chay mat","1.012786"),("xây nhà 3 tầng có phải xin phép không","1.013225"),
("trich luc ban do thua dat","1.012789"),("photo cong chung giay to","2.000815"),("chứng thực chữ ký giấy ủy quyền","2.000884"),
("chứng thực hợp đồng mua bán đất tại xã","2.001035"),("mở cửa hàng tạp hóa cần đăng ký gì","1.001612"),
("đổi địa chỉ hộ kinh doanh","2.000720"),("thanh lap cong ty tnhh 1 thanh vien","2.001583"),("giấy an toàn thực phẩm cho cơ sở làm chè","2.001827"),
("xin giay phep ban ruou","SL-005"),("ban thuoc la can giay phep","SL-006"),("nghỉ việc hưởng bảo hiểm thất nghiệp","SL-007"),
("vo sinh con huong che do thai san","2.000693"),("mat the bao hiem y te","1.002759"),("xét hộ nghèo cuối năm","1.011606"),
("trợ cấp cho người khuyết tật hằng tháng","SL-008"),("ông 80 tuổi không có lương hưu được trợ cấp không","SL-009"),
("giám định mức độ khuyết tật","SL-010"),("lợn chết vì dịch tả được hỗ trợ không","1.013997"),("lũ quét cuốn mất ruộng ngô hỗ trợ","SL-011"),
("xin lý lịch tư pháp đi xuất khẩu lao động nhật","3.000333"),("chuyen truong cho con len thanh pho","SL-013"),("mất bằng tốt nghiệp cấp 3 xin bản sao","SL-014"),
("đủ 17 tuổi đăng ký nghĩa vụ","1.013133"),("tach so do chia dat cho con","SL-015"),("rut bhxh mot lan","SL-016"),("xoa ho khau cho nguoi da mat","SL-002")]


@pytest.mark.parametrize("query,code", CASES + EVERYDAY)
def test_top_result(index, query, code):
    results = index.search(query, limit=3)
    assert results and results[0].code == code, [(m.code, m.score) for m in results]


@pytest.mark.parametrize("query", ["thời tiết hôm nay", "lệ phí bao nhiêu", "ở đâu", ""])
def test_no_confident_match_for_questions_without_a_procedure(index, query):
    results = index.search(query)
    assert not results or results[0].score < 0.55


def test_accents_do_not_change_the_ranking(index):
    accented = index.search("cấp đổi thẻ căn cước", 3)
    plain = index.search("cap doi the can cuoc", 3)
    assert [m.code for m in accented] == [m.code for m in plain]


def test_aliases_are_indexed():
    index = CatalogIndex([entry_from_record("X.1", "Thủ tục A", ["bìa đỏ"]),
                          entry_from_record("X.2", "Thủ tục B", ["bằng lái"])])
    assert index.search("bia do")[0].code == "X.1"
    assert index.search("bang lai")[0].code == "X.2"


def test_index_cache_rebuilds_after_a_catalogue_change(fixture_db):
    from bot.catalog.models import Procedure
    from sqlalchemy import select

    maker = session_factory(fixture_db)
    cache = IndexCache(maker, check_every_s=0)
    assert cache.search("giấy phép karaoke") == [] or cache.search("giấy phép karaoke")[0].score < 0.55
    with maker() as session, session.begin():
        proc = session.execute(select(Procedure).where(Procedure.code == "1.000894")).scalar_one()
        proc.aliases = proc.aliases + ["giấy phép karaoke"]
        from bot.catalog.models import utcnow
        proc.updated_at = utcnow()
    assert cache.search("giấy phép karaoke")[0].code == "1.000894"


@pytest.mark.parametrize("query,code", [
    ("làm căn cước cho con 10 tuổi", "1.014062"),
    ("lam cccd cho be 3 tuoi", "1.116410"),
    ("con toi 15 tuoi lam can cuoc", "1.014061"),
])
def test_age_decides_between_id_card_procedures(index, query, code):
    assert index.search(query, 3)[0].code == code


@pytest.mark.parametrize("query,code", [
    # a stated upper bound is an age below it, not the bound itself
    ("tre duoi 14 tuoi lam can cuoc", "1.014062"),
    ("căn cước cho trẻ dưới 6 tuổi", "1.116410"),
    # the narrowest age range that fits wins over wording that suits a wider one
    ("làm căn cước cho con 4 tuổi", "1.116410"),
])
def test_stated_age_bounds_pick_the_narrowest_fitting_card(index, query, code):
    assert index.search(query, 3)[0].code == code


@pytest.mark.parametrize("query,code", [
    # the generic "căn cước" alias is fully covered, but the sibling explains "lại" and "mất" too
    ("bị trộm mất ví, căn cước trong đó luôn, làm lại ở đâu", "1.014064"),
    ("bi mat vi ca can cuoc, lam lai", "1.014064"),
    ("so do bi mat lam lai", "1.012786"),
])
def test_a_more_specific_sibling_outranks_a_generic_alias(index, query, code):
    assert index.search(query, 3)[0].code == code


def test_short_real_words_are_not_corrected_into_other_words(index):
    # "trộm" (steal) is one letter from "trở" but is not a typo of it
    assert "trom" in index.query_tokens("bi trom mat vi")
    assert index.query_tokens("khai sonh")[-1] == "sinh"  # a changed letter is corrected


def test_query_age_parsing():
    from bot.catalog.search import query_age
    assert query_age("con 10 tuoi") == 10
    assert query_age("tre duoi 14 tuoi") == 13
    assert query_age("lam can cuoc") is None


def test_age_range_parsing():
    from bot.catalog.search import age_range
    assert age_range("Cấp thẻ căn cước cho người dưới 06 tuổi") == (None, 6)
    assert age_range("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên") == (14, None)
    assert age_range("Đăng ký khai sinh") == (None, None)


def test_dev_set_top1(index):
    """The development set (tests/dev/, tuning allowed) keeps its top-1 (0.926 when written)."""
    import yaml
    from bot.config import ROOT

    queries = yaml.safe_load((ROOT / "tests" / "dev" / "procedure_queries.yml")
                             .read_text(encoding="utf-8"))["queries"]
    right = sum(1 for q in queries if (found := index.search(q["text"], 3))
                and found[0].code in {str(q["code"]), *map(str, q.get("alt", []))})
    assert len(queries) >= 250
    assert right / len(queries) >= 0.90, f"dev top-1 {right / len(queries):.3f}"
