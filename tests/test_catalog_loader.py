"""Loading, validating, upserting and exporting the catalogue, on SQLite and PostgreSQL."""
import csv
import io
import json
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from bot.catalog.db import session_factory
from bot.catalog.loader import (export_text, plan_upsert, read_seed_files, read_table_file,
                                upsert)
from bot.catalog.models import ChangeLog, Procedure
from bot.catalog.schema import CatalogError
from bot.catalog import tabular
from tests.conftest import FIXTURE_CATALOG, REAL_CATALOG, load_catalog


def count(engine, model=Procedure) -> int:
    with session_factory(engine)() as session:
        return session.execute(select(func.count(model.id))).scalar_one()


def test_load_is_idempotent(engine):
    load_catalog(engine, FIXTURE_CATALOG)
    load_catalog(engine, FIXTURE_CATALOG)
    assert count(engine) == 3
    with session_factory(engine)() as session:
        report = plan_upsert(session, read_seed_files(FIXTURE_CATALOG))
    assert report.created == [] and report.updated == {} and len(report.unchanged) == 3


def test_update_logs_changed_fields(engine, tmp_path):
    load_catalog(engine, FIXTURE_CATALOG)
    data = yaml.safe_load((FIXTURE_CATALOG / "sample.yml").read_text(encoding="utf-8"))
    data["procedures"][0]["channels"][0]["fee"] = "8.000 đồng"
    (tmp_path / "sample.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with session_factory(engine)() as session, session.begin():
        report = upsert(session, read_seed_files(tmp_path), actor="can-bo-a")
    assert report.updated == {"1.001193": ["channels"]}
    with session_factory(engine)() as session:
        proc = session.execute(select(Procedure).where(Procedure.code == "1.001193")).scalar_one()
        assert proc.channels[0]["fee"] == "8.000 đồng" and proc.updated_by == "can-bo-a"
        log = session.execute(select(ChangeLog).where(ChangeLog.field == "channels")).scalar_one()
        assert log.actor == "can-bo-a" and "8.000" in log.new


@pytest.mark.parametrize("mutate,field", [
    (lambda p: p.pop("name"), "name"),
    (lambda p: p.update(online_level="muc_do_4"), "online_level"),
    (lambda p: p.update(verified="hôm qua"), "verified"),
    (lambda p: p["channels"].append({"channel": "fax"}), "channels.2.channel"),
    (lambda p: p["documents"].append({"name": "x", "copy": "photo"}), "documents.2.copy"),
    (lambda p: p.update(urls=["dichvucong.gov.vn"]), "urls.0"),
])
def test_bad_row_names_file_row_and_field_and_loads_nothing(sqlite_engine, tmp_path, mutate, field):
    data = yaml.safe_load((FIXTURE_CATALOG / "sample.yml").read_text(encoding="utf-8"))
    mutate(data["procedures"][0])
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(sqlite_engine, tmp_path)
    assert f"broken.yml: row 1 (code 1.001193): field '{field}'" in str(err.value)
    assert count(sqlite_engine) == 0


def test_duplicate_code_across_files_is_rejected(tmp_path):
    shutil.copy(FIXTURE_CATALOG / "sample.yml", tmp_path / "a.yml")
    shutil.copy(FIXTURE_CATALOG / "sample.yml", tmp_path / "b.yml")
    with pytest.raises(CatalogError, match="duplicate of a.yml row 1"):
        read_seed_files(tmp_path)


def test_export_json_and_csv_round_trip(engine, tmp_path):
    load_catalog(engine, FIXTURE_CATALOG)
    with session_factory(engine)() as session:
        records = json.loads(export_text(session, "json"))
        csv_text = export_text(session, "csv")
    assert [r["code"] for r in records] == ["1.000894", "1.001193", "1.004222"]
    assert records[1]["documents"][0] == {"name": "Tờ khai đăng ký khai sinh", "copy": "ban_chinh",
                                          "count": 1, "form": None, "note": None}
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 3 and rows[1]["truc_tiep_fee"] == "Miễn lệ phí"
    (tmp_path / "export.csv").write_text(csv_text, encoding="utf-8")
    again = [r.to_record() for r in read_table_file(tmp_path / "export.csv")]
    assert [{**r, "verified": r["verified"].isoformat()} for r in again] == records


def test_xlsx_round_trip(fixture_db, tmp_path):
    with session_factory(fixture_db)() as session:
        records = json.loads(export_text(session, "json"))
    tabular.write_xlsx(records, tmp_path / "c.xlsx")
    again = [r.to_record() for r in read_table_file(tmp_path / "c.xlsx")]
    assert [r["code"] for r in again] == [r["code"] for r in records]
    assert again[0]["documents"] == records[0]["documents"]


def test_real_catalogue_is_valid_and_large_enough():
    records = read_seed_files(REAL_CATALOG)
    assert len(records) >= 60
    assert all(r.urls for r in records), "every procedure links to an official page"
    assert all(r.aliases for r in records), "every procedure has the words residents use"
