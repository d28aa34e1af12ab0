"""Pages of the admin app: FAQ, procedures, uploads, unanswered queue, publish, feedback."""
from __future__ import annotations

import secrets
from pathlib import Path

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse
from sqlalchemy import or_, select

from bot.admin.app import (EDITABLE_PROCEDURE, back, feedback_counts, page, procedure_names,
                           texts)
from bot.admin.imports import import_file, preview_records
from bot.catalog import tabular
from bot.catalog.loader import read_table_file, upsert
from bot.catalog.models import CHANNELS, ChangeLog, Feedback, Procedure
from bot.catalog.repository import get_procedure
from bot.catalog.schema import CatalogError, validate_records
from bot.faq.edit import add_unanswered_example, import_entries, update_entry
from bot.faq.source import FAQ_PATH, FaqEntry, missing_columns, read_faq
from bot.faq.unanswered import day_range, export_csv, group_similar, list_unanswered
from bot.faq.validate import FaqError
from bot.publish import PublishState

PAGE_SIZE = 50


def _faq_path(app: Sanic) -> Path:
    """The FAQ source the app edits."""
    return app.ctx.config.faq_path or FAQ_PATH


def register(app: Sanic) -> None:
    """Add every page to the app."""
    maker = app.ctx.maker

    @app.get("/")
    async def home(request: Request) -> HTTPResponse:
        """Dashboard with counts and the last changes."""
        with maker() as session:
            changes = list(session.execute(select(ChangeLog).order_by(ChangeLog.id.desc())
                                           .limit(15)).scalars())
            queued = len(list_unanswered(session))
        state = PublishState.load(_state_path())
        return page(request, "home.html", changes=changes, queued=queued,
                    faq_count=len(read_faq(_faq_path(app))), state=state)

    # ---- FAQ ---------------------------------------------------------------------------
    @app.get("/faq")
    async def faq_list(request: Request) -> HTTPResponse:
        """All FAQ entries."""
        return page(request, "faq_list.html", entries=read_faq(_faq_path(app)))

    @app.get("/faq/<faq_id>")
    async def faq_form(request: Request, faq_id: str) -> HTTPResponse:
        """Edit form of one entry (or a new one with id 'new')."""
        entry = next((e for e in read_faq(_faq_path(app)) if e.id == faq_id), None)
        if entry is None and faq_id != "new":
            return page(request, "message.html", status=404, message=texts()["not_found"])
        return page(request, "faq_edit.html", entry=entry, problems=[])

    @app.post("/faq/<faq_id>")
    async def faq_save(request: Request, faq_id: str) -> HTTPResponse:
        """Validate and save one entry (logged per field)."""
        form = request.form
        entry = FaqEntry(id=(form.get("id") or faq_id).strip(),
                         questions=tuple(q.strip() for q in (form.get("questions") or "")
                                         .splitlines() if q.strip()),
                         answer=(form.get("answer") or "").replace("\r\n", "\n").strip(),
                         topic=(form.get("topic") or "").strip(),
                         owner=(form.get("owner") or "").strip(),
                         last_verified=(form.get("last_verified") or "").strip())
        try:
            with maker() as session, session.begin():
                changes = update_entry(session, entry, request.ctx.user, _faq_path(app))
        except FaqError as exc:
            return page(request, "faq_edit.html", status=422, entry=entry, problems=exc.problems)
        message = texts()["saved"] if changes.created or changes.updated else texts()["no_changes"]
        return back("/faq", message)

    # ---- Procedures --------------------------------------------------------------------
    @app.get("/procedures")
    async def procedures(request: Request) -> HTTPResponse:
        """Browse and search the catalogue."""
        query = (request.args.get("q") or "").strip()
        statement = select(Procedure).order_by(Procedure.code).limit(PAGE_SIZE)
        if query:
            like = f"%{query}%"
            statement = statement.where(or_(Procedure.code.like(like), Procedure.name.like(like)))
        with maker() as session:
            rows = list(session.execute(statement).scalars())
        return page(request, "procedures.html", rows=rows, q=query)

    @app.get("/procedures/<code>")
    async def procedure_form(request: Request, code: str) -> HTTPResponse:
        """Edit form of the fields staff change most."""
        with maker() as session:
            proc = get_procedure(session, code)
            if proc is None:
                return page(request, "message.html", status=404, message=texts()["not_found"])
            row = tabular.record_to_row(proc.to_dict())
        return page(request, "procedure_edit.html", code=code, title=row["name"], row=row,
                    channels=CHANNELS,
                    problems=[])

    @app.post("/procedures/<code>")
    async def procedure_save(request: Request, code: str) -> HTTPResponse:
        """Validate and save; the action server answers with it at once (no retraining)."""
        with maker() as session, session.begin():
            proc = get_procedure(session, code)
            if proc is None:
                return page(request, "message.html", status=404, message=texts()["not_found"])
            row = tabular.record_to_row(proc.to_dict())
            for key in EDITABLE_PROCEDURE:
                if key in request.form:
                    row[key] = (request.form.get(key) or "").replace("\r\n", "\n")
            try:
                records = validate_records([("form", 1, tabular.row_to_record(row))])
            except CatalogError as exc:
                return page(request, "procedure_edit.html", status=422, code=code,
                            title=row["name"], row=row, channels=CHANNELS,
                            problems=exc.problems)
            report = upsert(session, records, actor=request.ctx.user)
        return back(f"/procedures/{code}", texts()["procedure_saved"] if report.updated
                    else texts()["no_changes"])

    # ---- Upload ------------------------------------------------------------------------
    @app.get("/upload")
    async def upload_form(request: Request) -> HTTPResponse:
        """Upload form for a catalogue or FAQ spreadsheet."""
        return page(request, "upload.html")

    @app.post("/upload")
    async def upload(request: Request) -> HTTPResponse:
        """Store the file and show a dry-run preview."""
        kind = request.form.get("kind") if request.form.get("kind") in ("catalog", "faq") else "faq"
        file = request.files.get("file")
        suffix = Path(file.name or "").suffix.lower() if file else ""
        if not file or suffix not in (".csv", ".xlsx") or len(file.body) > 5 * 1024 * 1024:
            return page(request, "upload.html", status=400, error=texts()["upload_bad_type"])
        upload_dir = app.ctx.config.upload_dir
        upload_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(12)
        path = upload_dir / f"{token}{suffix}"
        path.write_bytes(file.body)
        return _preview(request, kind, path, token, file.name)

    def _preview(request: Request, kind: str, path: Path, token: str, name: str) -> HTTPResponse:
        """The dry-run page of an uploaded file."""
        try:
            with maker() as session:
                if kind == "catalog":
                    preview = preview_records(session, read_table_file(path))
                    lines, summary = preview.lines(), preview.report.summary()
                else:
                    missing = missing_columns(path)
                    if missing:
                        raise FaqError([texts()["missing_columns"].format(columns=", ".join(missing))])
                    changes = import_entries(session, read_faq(path), request.ctx.user,
                                             _faq_path(app), dry_run=True)
                    lines = [f"+ {i}" for i in changes.created] + [
                        f"~ {i}: {', '.join(f)}" for i, f in changes.updated.items()]
                    summary = changes.summary()
        except (CatalogError, FaqError) as exc:
            path.unlink(missing_ok=True)
            return page(request, "upload.html", status=422, problems=exc.problems, filename=name)
        return page(request, "upload_preview.html", kind=kind, token=token, lines=lines,
                    summary=summary, filename=name, suffix=path.suffix)

    @app.post("/upload/apply")
    async def upload_apply(request: Request) -> HTTPResponse:
        """Apply a previewed file in one transaction."""
        kind, token = request.form.get("kind"), request.form.get("token") or ""
        suffix = request.form.get("suffix") if request.form.get("suffix") in (".csv", ".xlsx") else ""
        path = app.ctx.config.upload_dir / f"{token}{suffix}"
        if not token.replace("-", "").replace("_", "").isalnum() or not path.exists():
            return back("/upload", texts()["upload_expired"])
        try:
            with maker() as session, session.begin():
                if kind == "catalog":
                    summary = import_file(session, path, request.ctx.user, False).report.summary()
                else:
                    summary = import_entries(session, read_faq(path), request.ctx.user,
                                             _faq_path(app)).summary()
        except (CatalogError, FaqError) as exc:
            return page(request, "upload.html", status=422, problems=exc.problems)
        finally:
            path.unlink(missing_ok=True)
        return back("/", texts()["upload_applied"].format(summary=summary))

    # ---- Unanswered --------------------------------------------------------------------
    def _groups(request: Request):  # type: ignore[no-untyped-def]
        """Groups for the day asked in the query string (all days by default)."""
        day = request.args.get("day") or ""
        since, until = day_range(day) if day else (None, None)
        with maker() as session:
            return day, group_similar(list_unanswered(session, since, until))

    @app.get("/unanswered")
    async def unanswered(request: Request) -> HTTPResponse:
        """The queue, grouped by similarity."""
        try:
            day, groups = _groups(request)
        except ValueError:
            return back("/unanswered")
        return page(request, "unanswered.html", groups=groups, day=day,
                    faqs=read_faq(_faq_path(app)))

    @app.get("/unanswered.csv")
    async def unanswered_csv(request: Request) -> HTTPResponse:
        """The queue as CSV."""
        day, groups = _groups(request)
        return response.text(export_csv(groups), content_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="unanswered-{day or "all"}.csv"'})

    @app.post("/unanswered/add")
    async def unanswered_add(request: Request) -> HTTPResponse:
        """Add a queued question as an example of an FAQ entry."""
        faq_id = request.form.get("faq_id") or ""
        try:
            item_id = int(request.form.get("id") or "0")
            with maker() as session, session.begin():
                add_unanswered_example(session, faq_id, item_id, request.ctx.user, _faq_path(app))
        except (FaqError, KeyError, ValueError) as exc:
            detail = "; ".join(exc.problems) if isinstance(exc, FaqError) else texts()["not_found"]
            return back("/unanswered", detail)
        return back("/unanswered", texts()["added_example"].format(faq_id=faq_id))

    # ---- Publish -----------------------------------------------------------------------
    @app.get("/publish")
    async def publish_page(request: Request) -> HTTPResponse:
        """Start a publish, or follow the one given by ?job=."""
        return page(request, "publish.html", job=request.args.get("job"),
                    state=PublishState.load(_state_path()))

    @app.post("/publish")
    async def publish_start(request: Request) -> HTTPResponse:
        """Start the publish (or rollback) in the background."""
        kind = "rollback" if request.form.get("kind") == "rollback" else "publish"
        job = app.ctx.jobs.start(kind, request.ctx.user)
        if job is None:
            return back("/publish", texts()["publish_busy"])
        return back(f"/publish?job={job.id}")

    @app.get("/publish/status")
    async def publish_status(request: Request) -> HTTPResponse:
        """Progress of a job as JSON (polled by admin.js)."""
        job = app.ctx.jobs.get(request.args.get("job") or "")
        if job is None:
            return response.json({"error": "unknown job"}, status=404)
        steps, statuses = texts()["steps"], texts()["statuses"]
        lines = [{"step": s, "label": steps.get(s, s), "status": st,
                  "status_label": statuses.get(st, st), "detail": d} for s, st, d in job.lines]
        result = job.result
        return response.json({"done": result is not None, "ok": bool(result and result.ok),
                              "message": result.message if result else "", "lines": lines})

    # ---- Feedback and change log -------------------------------------------------------
    @app.get("/feedback")
    async def feedback(request: Request) -> HTTPResponse:
        """Helpful / not helpful per procedure and per FAQ, as bars."""
        with maker() as session:
            per_procedure = feedback_counts(session, Feedback.procedure_code)
            per_faq = feedback_counts(session, Feedback.faq_id)
            names = procedure_names(session, list(per_procedure))
        questions = {e.id: (e.questions[0] if e.questions else e.id)
                     for e in read_faq(_faq_path(app))}
        rows_p = _bars(per_procedure, names)
        rows_f = _bars(per_faq, questions)
        return page(request, "feedback.html", procedures=rows_p, faqs=rows_f)

    @app.get("/changes")
    async def changes(request: Request) -> HTTPResponse:
        """The change log, newest first."""
        with maker() as session:
            rows = list(session.execute(select(ChangeLog).order_by(ChangeLog.id.desc())
                                        .limit(200)).scalars())
        return page(request, "changes.html", rows=rows)


def _bars(counts: dict[str, tuple[int, int]], labels: dict[str, str]) -> list[dict]:
    """Rows for the chart: key, label, counts and percentage of helpful votes."""
    rows = []
    for key, (up, down) in counts.items():
        total = up + down
        rows.append({"key": key, "label": labels.get(key, key), "up": up, "down": down,
                     "total": total, "pct": round(100 * up / total) if total else 0})
    return sorted(rows, key=lambda r: (-r["total"], r["key"]))


def _state_path() -> Path:
    """Where the publish state lives."""
    from bot.config import get_settings

    return get_settings().var_dir / "publish" / "state.json"
