"""The staff web page: a small Sanic app with server-rendered Vietnamese pages."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.admin import auth
from bot.admin.jobs import Job, PublishJobs
from bot.catalog.models import CHANNELS, ChangeLog, Feedback, Procedure
from bot.config import get_settings

HERE = Path(__file__).resolve().parent
COOKIE = "sonla_admin"
LOGIN_COOKIE = "sonla_admin_login"
MAX_UPLOAD = 5 * 1024 * 1024
PUBLIC_PATHS = ("/login", "/static/admin.js", "/health", "/favicon.ico")
EDITABLE_PROCEDURE = tuple(f"{ch}_{part}" for ch in CHANNELS for part in ("time", "fee", "fee_note")
                           ) + ("channels", "documents", "aliases", "verified")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}


@dataclass
class AdminConfig:
    """Settings of the admin page, read from the environment when the app is created."""

    idle: timedelta
    secure_cookie: bool
    upload_dir: Path
    faq_path: Path | None = None
    login_attempts: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "AdminConfig":
        """ADMIN_SESSION_SECONDS (default 1800), ADMIN_COOKIE_SECURE=1 behind HTTPS, FAQ_FILE."""
        return cls(idle=timedelta(seconds=int(os.environ.get("ADMIN_SESSION_SECONDS", "1800"))),
                   secure_cookie=os.environ.get("ADMIN_COOKIE_SECURE", "") == "1",
                   upload_dir=get_settings().var_dir / "admin" / "uploads",
                   faq_path=Path(os.environ["FAQ_FILE"]) if os.environ.get("FAQ_FILE") else None)


@lru_cache(maxsize=1)
def texts() -> dict:
    """Vietnamese texts used by the code (bot/admin/texts.yml), read once."""
    return yaml.safe_load((HERE / "texts.yml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The Jinja environment (auto-escaping on)."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]))
    env.globals["t"] = texts()
    return env


def page(request: Request, name: str, status: int = 200, **values: Any) -> HTTPResponse:
    """Render a template with the user, CSRF token and flash message."""
    body = templates().get_template(name).render(
        user=getattr(request.ctx, "user", None), csrf=getattr(request.ctx, "csrf", ""),
        flash=request.args.get("msg"), **values)
    return response.html(body, status=status)


def back(url: str, message: str | None = None) -> HTTPResponse:
    """Redirect (303) with an optional flash message."""
    from urllib.parse import urlencode

    sep = "&" if "?" in url else "?"
    return response.redirect(url + (f"{sep}{urlencode({'msg': message})}" if message else ""),
                             status=303)


def _set_cookie(resp: HTTPResponse, name: str, value: str, secure: bool, max_age: int) -> None:
    """An HttpOnly, SameSite=Strict cookie on the whole site."""
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age
    if secure:
        cookie["secure"] = True


def _rate_limited(config: AdminConfig, key: str) -> bool:
    """More than 5 failed logins in 5 minutes from one address or for one name."""
    now = time.monotonic()
    recent = [t for t in config.login_attempts.get(key, []) if now - t < 300]
    config.login_attempts[key] = recent
    return len(recent) >= 5


def create_app(session_maker: Callable[[], Session],
               publisher_factory: Callable[[], Any] | None = None,
               config: AdminConfig | None = None, name: str = "sonla_admin") -> Sanic:
    """Build the admin app on a database; the publisher is injectable for tests."""
    from bot.admin import views

    config = config or AdminConfig.from_env()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_UPLOAD + 64 * 1024
    app.ctx.maker = session_maker
    app.ctx.config = config

    def on_done(job: Job) -> None:
        """Log a finished switch in the change log."""
        if job.result and job.result.switched:
            with session_maker() as session, session.begin():
                session.add(ChangeLog(actor=job.actor, entity="publish", key=job.kind,
                                      field="model", new=job.result.model))

    if publisher_factory is None:
        from bot.publish import default_publisher

        publish_config = os.environ.get("ADMIN_PUBLISH_CONFIG", "config.yml")
        publisher_factory = lambda: default_publisher(publish_config)  # noqa: E731
    app.ctx.jobs = PublishJobs(publisher_factory, on_done)

    @app.middleware("request")
    async def require_login(request: Request):  # type: ignore[no-untyped-def]
        """Every page but the login needs a live session; every POST a valid CSRF token."""
        request.ctx.user, request.ctx.csrf = None, ""
        if request.path in PUBLIC_PATHS:
            return None
        with session_maker() as session, session.begin():
            live = auth.load_session(session, request.cookies.get(COOKIE), config.idle)
            if live is not None:
                request.ctx.user, request.ctx.csrf = live.username, live.csrf
        if request.ctx.user is None:
            if request.path.startswith("/publish/status"):
                return response.json({"error": "login required"}, status=401)
            return back("/login", texts()["session_expired"] if request.cookies.get(COOKIE)
                        else None)
        if request.method == "POST":
            given = request.form.get("csrf") if request.form else None
            if not auth.csrf_ok(request.ctx.csrf, given or request.headers.get("x-csrf-token")):
                return response.html(texts()["csrf_failed"], status=403)
        return None

    @app.middleware("response")
    async def security_headers(_request: Request, resp: HTTPResponse) -> None:
        """Headers that keep the page out of frames and caches."""
        for key, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(key, value)

    @app.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        """Liveness probe."""
        return response.json({"status": "ok"})

    @app.get("/static/admin.js")
    async def script(_request: Request) -> HTTPResponse:
        """The page's little JavaScript."""
        return response.text((HERE / "static" / "admin.js").read_text(encoding="utf-8"),
                             content_type="application/javascript; charset=utf-8")

    @app.get("/favicon.ico")
    async def favicon(_request: Request) -> HTTPResponse:
        """No icon (browsers ask for one on every page)."""
        return response.empty(status=204)

    @app.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        """The login form, with a double-submit CSRF cookie."""
        # Reuse the token of this browser: a second tab or a favicon fetch must not void the form.
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        resp = page(request, "login.html", login_csrf=token)
        _set_cookie(resp, LOGIN_COOKIE, token, config.secure_cookie, 600)
        return resp

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        """Check the password and start a session."""
        form = request.form or {}
        if not auth.csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return back("/login", texts()["csrf_failed"])
        username = (form.get("username") or "").strip()
        keys = (f"ip:{request.remote_addr or request.ip}", f"user:{username}")
        if any(_rate_limited(config, key) for key in keys):
            return back("/login", texts()["login_rate_limited"])
        with session_maker() as session, session.begin():
            ok = auth.authenticate(session, username, form.get("password") or "")
            token = auth.start_session(session, username, config.idle) if ok else ""
        if not ok:
            for key in keys:
                config.login_attempts.setdefault(key, []).append(time.monotonic())
            resp = page(request, "login.html", status=401, error=texts()["login_failed"],
                        login_csrf=request.cookies.get(LOGIN_COOKIE))
            return resp
        resp = back("/")
        _set_cookie(resp, COOKIE, token, config.secure_cookie, int(auth.ABSOLUTE_LIMIT.total_seconds()))
        del resp.cookies[LOGIN_COOKIE]
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        """End the session."""
        with session_maker() as session, session.begin():
            auth.end_session(session, request.cookies.get(COOKIE))
        resp = back("/login")
        del resp.cookies[COOKIE]
        return resp

    views.register(app)
    return app


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the admin page on ADMIN_HOST:ADMIN_PORT (default 127.0.0.1:5010)."""
    import bot.admin.models  # noqa: F401 - registers the admin tables
    from bot.catalog.db import create_schema, get_engine, session_factory

    engine = get_engine()
    create_schema(engine)
    app = create_app(session_factory(engine))
    app.run(host=host or os.environ.get("ADMIN_HOST", "127.0.0.1"),
            port=port or int(os.environ.get("ADMIN_PORT", "5010")),
            access_log=False, workers=1)


def feedback_counts(session: Session, column: Any) -> dict[str, tuple[int, int]]:
    """(helpful, not helpful) counts per value of a Feedback column."""
    counts: dict[str, list[int]] = {}
    for key, helpful, number in session.execute(
            select(column, Feedback.helpful, func.count(Feedback.id))
            .where(column.is_not(None)).group_by(column, Feedback.helpful)).all():
        counts.setdefault(key, [0, 0])[0 if helpful else 1] += number
    return {k: (v[0], v[1]) for k, v in counts.items()}


def procedure_names(session: Session, codes: list[str]) -> dict[str, str]:
    """Names of procedures by code."""
    return dict(session.execute(select(Procedure.code, Procedure.name)
                                .where(Procedure.code.in_(codes))).all())
