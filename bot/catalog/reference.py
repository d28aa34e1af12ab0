"""Convert National Public Service Portal reference records into draft catalogue seed YAML."""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Any

import yaml

# Channel labels as published on the portal -> seed enum values.
CHANNELS: dict[str, tuple[str, ...]] = {
    "trực tiếp": ("truc_tiep",),
    "trực tuyến": ("truc_tuyen",),
    "dịch vụ bưu chính": ("buu_chinh",),
    "bưu chính": ("buu_chinh",),
    "trực tiếp / bưu chính": ("truc_tiep", "buu_chinh"),
}

# Portal placeholders that mean "no value".
_EMPTY_VALUES = {"", "không có thông tin", "xem phần mô tả", "none", "null"}

# Prefixes of the portal's agency column, most specific first.
_AGENCY_LIST_PREFIX = "Cơ quan thực hiện (danh sách TTHC):"
_AGENCY_PREFIX = "Cơ quan thực hiện:"
_AUTHORITY_PREFIX = "Cơ quan có thẩm quyền:"

# "(1 bản chính)", "(1 bản chính,1 bản sao)", "(0 bản chính, 1 bản sao)" at the end of a document.
_COPIES_RE = re.compile(
    r"\(\s*(?:(\d+)\s*bản chính)?\s*,?\s*(?:(\d+)\s*bản sao)?\s*\)\s*$", re.IGNORECASE
)
# "(Bản chính: 1, Bản sao: 0)" variant of some exports.
_COPIES_COLON_RE = re.compile(
    r"\(\s*bản chính\s*:\s*(\d+)\s*,\s*bản sao\s*:\s*(\d+)\s*\)\s*$", re.IGNORECASE
)
# Case label appended by some crawls: "... (1 bản chính) [nhóm: (1.7) Đối với ...]".
_GROUP_RE = re.compile(r"\[\s*nhóm\s*:\s*([^\]]*)\]\s*$", re.IGNORECASE)
_BARE_NUMBER_RE = re.compile(r"^\s*0*(\d+)\s*$")
_UNIT_RE = re.compile(r"\(?0*(\d+)\)?\s*(ngày làm việc|ngày|giờ)", re.IGNORECASE)
_MONEY_RE = re.compile(r"(\d[\d.,]*)\s*(?:vnđ|việt nam đồng|đồng|đ\b)", re.IGNORECASE)
# Codes of legal texts: 123/2015/NĐ-CP, 60/2014/QH13, 66.7/2025/NQ-CP, 05/2015/TTLT-BTP-BCA-BYT.
_LEGAL_CODE_RE = re.compile(
    r"\d+(?:\.\d+)?/\d{4}/(?:QH\d*|[A-ZĐ]+(?:-[A-ZĐa-z]+)+?)(?![a-zà-ỹđ])"
)
# Known truncations in crawled legal bases.
_LEGAL_FIXES = {
    "/NĐ-C ": "/NĐ-CP ",
    "/TT-BC ": "/TT-BCA ",
    "/TT-BT ": "/TT-BTC ",
    "36/2024/QH ": "36/2024/QH15 ",
    "62/2020/QH ": "62/2020/QH14 ",
    "46/2014/QH ": "46/2014/QH13 ",
}
# Below this, a VND amount on the portal is a display error (e.g. "700 VNĐ" for 700,000 đ).
_MIN_PLAUSIBLE_VND = 1000
# Fee notes that say the amount is set elsewhere (provincial council, the fee law, a circular).
_FEE_ELSEWHERE_MARKERS = (
    "hội đồng nhân dân",
    "luật phí và lệ phí",
    "thông tư",
    "đồng/",
    "đồng/lần",
    "trả phí",
)


def is_empty(value: Any) -> bool:
    """True when a portal value is missing or a placeholder."""
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY_VALUES)


def clean(value: Any) -> str | None:
    """Collapse whitespace (incl. NBSP) and turn placeholders into None."""
    if is_empty(value):
        return None
    text = re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()
    return text or None


def slugify(text: str) -> str:
    """ASCII snake_case slug of a Vietnamese label (đ -> d, marks dropped)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_") or "khac"


def _copy_kind(originals: int | None, copies: int | None) -> str | None:
    """Map original/copy counts to the seed enum."""
    has_original = bool(originals)
    has_copy = bool(copies)
    if has_original and has_copy:
        return "ban_chinh_hoac_ban_sao"
    if has_original:
        return "ban_chinh"
    if has_copy:
        return "ban_sao"
    return None


def parse_document(text: str) -> dict[str, Any]:
    """Split a document line "Name (1 bản chính,1 bản sao)" into name, copy and count.

    A count glued to a form number by the crawl ("Mẫu số (181 bản chính" for "Mẫu số 18" and
    "1 bản chính") is split: the last digit is the count, the rest goes back into the name.
    """
    raw = clean(text) or ""
    group = None
    label = _GROUP_RE.search(raw)
    if label:
        group = label.group(1).strip()
        raw = raw[: label.start()].rstrip()
    originals: int | None = None
    copies: int | None = None
    name = raw
    match = _COPIES_COLON_RE.search(raw)
    if match:
        originals, copies = int(match.group(1)), int(match.group(2))
        name = raw[: match.start()]
    else:
        match = _COPIES_RE.search(raw)
        if match and (match.group(1) or match.group(2)):
            orig_txt, copy_txt = match.group(1), match.group(2)
            name = raw[: match.start()]
            if orig_txt is not None and len(orig_txt) > 1 and int(orig_txt) > 9:
                name = f"{name.rstrip()} {orig_txt[:-1]}"
                orig_txt = orig_txt[-1]
            originals = int(orig_txt) if orig_txt is not None else None
            copies = int(copy_txt) if copy_txt is not None else None
    name = re.sub(r"\(\s*$", "", name).strip().rstrip(";").strip()
    name = re.sub(r"\s*\(\s*\)\s*$", "", name)
    copy = _copy_kind(originals, copies)
    if name.lower().startswith("xuất trình"):
        copy = "xuat_trinh"
    counts = [n for n in (originals, copies) if n]
    doc: dict[str, Any] = {"name": name, "copy": copy, "count": max(counts) if counts else None}
    if group:
        doc["note"] = group
    return doc


def map_channel(label: str | None) -> tuple[str, ...]:
    """Seed channel values for a portal channel label (empty tuple if unknown)."""
    return CHANNELS.get((clean(label) or "").lower(), ())


def parse_time(time: str | None, description: str | None) -> str | None:
    """Processing time as published; a bare number gets a unit only if the description states it."""
    text = clean(time)
    if text is None:
        return None
    bare = _BARE_NUMBER_RE.match(text)
    if bare and description:
        for number, unit in _UNIT_RE.findall(description):
            if int(number) == int(bare.group(1)):
                return f"{text} {unit.lower()}"
    return text


def _vnd_amount(fee: str) -> int | None:
    """The VND amount of a fee cell such as "50,000 Việt Nam Đồng" (None if not VND)."""
    match = re.match(r"^\s*([\d.,]+)\s*(vnđ|việt nam đồng)\s*$", fee, re.IGNORECASE)
    if not match:
        return None
    return int(re.sub(r"[.,]", "", match.group(1)))


def parse_fee(fee: str | None, fee_note: str | None, description: str | None) -> tuple[str | None, str | None]:
    """Return (fee, fee_note) obeying the portal caveats.

    - "Miễn phí" is kept only when neither the note nor the description states a fee or says
      the fee is set elsewhere; otherwise the fee is unknown (None) and the note explains.
    - VND amounts below 1,000 are display errors: fee None, note kept.
    - A note that is only a unit suffix ("/trang") is appended to the fee.
    """
    fee_text = clean(fee)
    note = clean(fee_note)
    desc = clean(description)
    if note and note.startswith("(") and note.endswith(")"):
        note = note[1:-1].strip()
    if desc and ("phí" in desc.lower() or "đồng/" in desc.lower() or "usd" in desc.lower()):
        note = f"{note} {desc}".strip() if note and not note.startswith("/") else (desc if not note else note)
    if fee_text and note and note.startswith("/"):
        fee_text = f"{fee_text}{note}"
        note = desc if desc and desc != note else None
    if fee_text is None:
        return None, note
    lowered = fee_text.lower()
    if lowered.startswith("miễn phí"):
        context = f"{note or ''} {desc or ''}".lower()
        if _MONEY_RE.search(context) or any(m in context for m in _FEE_ELSEWHERE_MARKERS):
            return None, note
        return fee_text, note
    amount = _vnd_amount(fee_text)
    if amount is not None and amount < _MIN_PLAUSIBLE_VND:
        return None, note
    if note and "hội đồng nhân dân" in note.lower():
        return None, note
    return fee_text, note


def parse_agency(agency: str | None) -> str | None:
    """The executing agency, without the portal's column prefixes and duplicates."""
    text = clean(agency)
    if text is None:
        return None
    parts = [p.strip() for p in text.split("|")]
    chosen = None
    for prefix in (_AGENCY_LIST_PREFIX, _AGENCY_PREFIX):
        for part in parts:
            if part.startswith(prefix):
                chosen = part[len(prefix):].strip()
                break
        if chosen:
            break
    if chosen is None:
        chosen = next((p for p in parts if not p.startswith(_AUTHORITY_PREFIX)), parts[0])
    names: list[str] = []
    for item in re.split(r"\s*;\s*", chosen):
        item = item.strip().rstrip(".")
        if item and item not in names:
            names.append(item)
    return "; ".join(names) or None


def parse_legal_basis(entries: list[str] | None) -> list[str]:
    """Codes of the legal texts cited ("123/2015/NĐ-CP"), deduplicated, laws with their title."""
    result: list[str] = []
    for entry in entries or []:
        text = (clean(entry) or "") + " "
        for wrong, right in _LEGAL_FIXES.items():
            text = text.replace(wrong, right)
        text = text.strip()
        head, _, title = text.partition(" — ")
        codes = _LEGAL_CODE_RE.findall(head) or ([] if title else _LEGAL_CODE_RE.findall(text))
        if not codes:
            if text and text not in result:
                result.append(text)
            continue
        code = codes[0]
        title = title.strip().rstrip(";,. ").replace(";", "")
        item = code
        if "/QH" in code and title.startswith(("Luật", "Bộ luật")) and code not in title and len(title) < 70:
            item = f"{title} ({code})"
        if item not in result and not any(r.endswith(f"({code})") or r == code for r in result):
            result.append(item)
    return result


def parse_online_level(value: str | None) -> str | None:
    """toan_trinh / mot_phan only when the source says so; otherwise unknown (None)."""
    text = (clean(value) or "").lower()
    if "toàn trình" in text:
        return "toan_trinh"
    if text.startswith("một phần"):
        return "mot_phan"
    return None


def parse_source_date(value: str | None) -> date | None:
    """First ISO date (YYYY-MM-DD) found in a source-date text."""
    match = re.search(r"\d{4}-\d{2}-\d{2}", value or "")
    return date.fromisoformat(match.group(0)) if match else None


def convert_channels(channels: list[dict] | None) -> list[dict[str, Any]]:
    """One seed entry per channel; several portal rows for a channel are merged."""
    merged: "OrderedDict[str, dict[str, Any]]" = OrderedDict()
    for row in channels or []:
        description = row.get("description")
        time = parse_time(row.get("time"), description)
        fee, fee_note = parse_fee(row.get("fee"), row.get("fee_note"), description)
        for channel in map_channel(row.get("channel")):
            entry = merged.setdefault(channel, {"channel": channel, "time": None, "fee": None, "fee_note": None})
            for key, value in (("time", time), ("fee", fee), ("fee_note", fee_note)):
                if value is None:
                    continue
                if entry[key] is None:
                    entry[key] = value
                elif value not in entry[key].split("; "):
                    entry[key] = f"{entry[key]}; {value}"
    order = {"truc_tiep": 0, "truc_tuyen": 1, "buu_chinh": 2}
    return sorted(merged.values(), key=lambda c: order[c["channel"]])


def convert_record(record: dict[str, Any]) -> dict[str, Any]:
    """Convert one reference record into a seed procedure (a draft to curate)."""
    documents = []
    seen: set[str] = set()
    for line in record.get("documents") or []:
        doc = parse_document(line)
        if doc["name"] and doc["name"] not in seen:
            seen.add(doc["name"])
            documents.append(doc)
    source_date = parse_source_date(record.get("source_date"))
    url = clean(record.get("official_url"))
    level = clean(record.get("level_of_authority"))
    return {
        "code": clean(record.get("code")),
        "name": clean(record.get("name")),
        "field": clean(record.get("field")),
        "agency": parse_agency(record.get("agency")),
        "authority_level": level[0].upper() + level[1:] if level else None,
        "online_level": parse_online_level(record.get("online_level")),
        "channels": convert_channels(record.get("channels")),
        "documents": documents,
        "result": clean(record.get("result")),
        "legal_basis": parse_legal_basis(record.get("legal_basis")),
        "urls": [url] if url else [],
        "aliases": [],
        "source": clean(record.get("source")),
        "verified": source_date,
        "notes": clean(record.get("notes")),
    }


def convert(records: list[dict]) -> list[dict]:
    """Convert reference records into seed procedures, in input order."""
    return [convert_record(r) for r in records]


def group_by_field(procedures: list[dict]) -> "OrderedDict[str, list[dict]]":
    """Group procedures by the slug of their field (one YAML file per field)."""
    groups: "OrderedDict[str, list[dict]]" = OrderedDict()
    for proc in procedures:
        groups.setdefault(slugify(proc.get("field") or ""), []).append(proc)
    return groups


class _Dumper(yaml.SafeDumper):
    """YAML dumper that keeps key order and never emits aliases."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: D102
        return True


def dump_yaml(procedures: list[dict]) -> str:
    """Render procedures as a seed YAML document."""
    return yaml.dump({"procedures": procedures}, Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=100, default_flow_style=False)


def main(argv: list[str] | None = None) -> int:
    """CLI: convert a reference JSON file into draft YAML files, one per field."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="/work/shared/data/reference_procedures.json",
                        help="reference records (JSON list)")
    parser.add_argument("--out", required=True, help="directory for the draft YAML files")
    args = parser.parse_args(argv)
    records = json.loads(Path(args.input).read_text(encoding="utf-8"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    groups = group_by_field(convert(records))
    for slug, procs in groups.items():
        (out / f"{slug}.yml").write_text(dump_yaml(procs), encoding="utf-8")
    print(f"wrote {sum(len(p) for p in groups.values())} procedures in {len(groups)} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
