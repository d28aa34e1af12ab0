"""Staff catalogue imports: per-field dry run, one transaction, change log, live answers."""
from __future__ import annotations

import asyncio
import csv

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.admin.imports import import_file
from bot.catalog import tabular
from bot.catalog.db import session_factory
from bot.catalog.loader import all_records
from bot.catalog.models import ChangeLog, Procedure
from bot.catalog.repository import IndexCache
from bot.catalog.schema import CatalogError
from bot.cli import main
from bot.config import ROOT
from tests.conftest import FIXTURE_CATALOG, load_catalog

CODE = "1.001193"


def write_rows(engine, path, change) -> None:
    """Export the catalogue as staff CSV, change rows with `change`, write it to path."""
    with session_factory(engine)() as session:
        rows = [tabular.record_to_row(r) for r in all_records(session)]
    rows = [change(dict(r)) for r in rows]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(tabular.COLUMNS))
        writer.writeheader()
        writer.writerows(r for r in rows if r)


def set_fee(fee: str):
    """A row changer setting the direct-channel fee of the birth registration."""
    def change(row: dict) -> dict:
        if row["code"] == CODE:
            row["truc_tiep_fee"] = fee
        return row
    return change


def test_dry_run_shows_each_field_and_writes_nothing(engine, tmp_path):
    load_catalog(engine, FIXTURE_CATALOG)
    path = tmp_path / "changes.csv"
    write_rows(engine, path, set_fee("15.000 đồng"))
    with session_factory(engine)() as session:
        old = next(c["fee"] for c in session.execute(select(Procedure).where(
            Procedure.code == CODE)).scalar_one().channels if c["channel"] == "truc_tiep")
        preview = import_file(session, path, actor="can-bo-a", dry_run=True)
    assert preview.report.updated == {CODE: ["channels"]}
    assert f"~ {CODE} channels.truc_tiep.fee: {old or '(trống)'} -> 15.000 đồng" in preview.lines()
    with session_factory(engine)() as session:
        assert session.execute(select(ChangeLog).where(ChangeLog.actor == "can-bo-a")).first() is None


def test_apply_logs_who_changed_what(engine, tmp_path):
    load_catalog(engine, FIXTURE_CATALOG)
    path = tmp_path / "changes.csv"
    write_rows(engine, path, set_fee("15.000 đồng"))
    with session_factory(engine)() as session, session.begin():
        import_file(session, path, actor="can-bo-a", dry_run=False)
    with session_factory(engine)() as session:
        log = session.execute(select(ChangeLog).where(ChangeLog.actor == "can-bo-a")).scalar_one()
        proc = session.execute(select(Procedure).where(Procedure.code == CODE)).scalar_one()
    assert (log.key, log.field) == (CODE, "channels") and "15.000 đồng" in log.new
    assert proc.updated_by == "can-bo-a"


def test_a_bad_row_is_named_and_nothing_is_written(sqlite_engine, tmp_path):
    load_catalog(sqlite_engine, FIXTURE_CATALOG)
    path = tmp_path / "changes.csv"

    def change(row: dict) -> dict:
        row["truc_tiep_fee"] = "1 đồng"
        if row["code"] == "1.004222":
            row["verified"] = "hôm qua"
        return row

    write_rows(sqlite_engine, path, change)
    with session_factory(sqlite_engine)() as session, pytest.raises(CatalogError) as err:
        with session.begin():
            import_file(session, path, actor="x", dry_run=False)
    assert any("changes.csv: row" in p and "1.004222" in p and "verified" in p
               for p in err.value.problems)
    with session_factory(sqlite_engine)() as session:
        assert session.execute(select(ChangeLog).where(ChangeLog.actor == "x")).first() is None


def test_cli_import_dry_run_and_apply(sqlite_engine, tmp_path, monkeypatch, capsys):
    load_catalog(sqlite_engine, FIXTURE_CATALOG)
    path = tmp_path / "changes.csv"
    write_rows(sqlite_engine, path, set_fee("20.000 đồng"))
    monkeypatch.setattr("bot.cli._session", lambda: session_factory(sqlite_engine)())
    assert main(["catalog", "import", str(path), "--dry-run", "--actor", "an"]) == 0
    assert "channels.truc_tiep.fee" in capsys.readouterr().out
    assert main(["catalog", "import", str(path), "--actor", "an"]) == 0
    assert "imported: 0 created, 1 updated" in capsys.readouterr().out


def ask_fee(domain: dict, text: str) -> str:
    """Run ActionAnswerProcedure for an ask_fee message; return the answer text."""
    from actions.procedures import ActionAnswerProcedure

    tracker = Tracker("u1", {}, {"text": text, "intent": {"name": "ask_fee", "confidence": 1.0},
                                 "entities": []}, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker, domain))
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_fee_change_is_answered_immediately(sqlite_engine, tmp_path, monkeypatch):
    import actions.procedures as procedures

    load_catalog(sqlite_engine, FIXTURE_CATALOG)
    maker = session_factory(sqlite_engine)
    cache = IndexCache(maker)
    monkeypatch.setattr(procedures, "session_maker", lambda: maker)
    monkeypatch.setattr(procedures, "catalog_index", lambda: cache)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert "12.345 đồng" not in ask_fee(domain, "lệ phí làm giấy khai sinh")
    path = tmp_path / "changes.csv"
    write_rows(sqlite_engine, path, set_fee("12.345 đồng"))
    with maker() as session, session.begin():
        import_file(session, path, actor="can-bo-a", dry_run=False)
    assert "12.345 đồng" in ask_fee(domain, "lệ phí làm giấy khai sinh")
