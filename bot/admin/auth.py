"""Passwords (salted scrypt), server-side sessions with idle and absolute expiry, CSRF tokens."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.admin.models import AdminSession, AdminUser
from bot.catalog.models import ChangeLog, utcnow

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
ABSOLUTE_LIMIT = timedelta(hours=8)
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form scrypt$n$r$p$salt$hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash (constant-time compare)."""
    try:
        kind, n, r, p, salt, expected = stored.split("$")
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return kind == "scrypt" and hmac.compare_digest(digest.hex(), expected)


def add_user(session: Session, username: str, password: str, actor: str = "cli") -> None:
    """Create or reset a staff user; the caller commits (raises ValueError on a weak password)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    user = session.execute(select(AdminUser).where(AdminUser.username == username)
                           ).scalar_one_or_none()
    if user is None:
        session.add(AdminUser(username=username, password_hash=hash_password(password)))
        session.add(ChangeLog(actor=actor, entity="admin_user", key=username, field="*",
                              new="created"))
    else:
        user.password_hash = hash_password(password)
        session.add(ChangeLog(actor=actor, entity="admin_user", key=username, field="password",
                              new="reset"))


# A hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 32


def authenticate(session: Session, username: str, password: str) -> bool:
    """True when the user exists and the password is right."""
    user = session.execute(select(AdminUser).where(AdminUser.username == username)
                           ).scalar_one_or_none()
    ok = check_password(password, user.password_hash if user else _DUMMY_HASH)
    return bool(user) and ok


def _token_hash(token: str) -> str:
    """What the database stores of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def start_session(session: Session, username: str, idle: timedelta,
                  now: datetime | None = None) -> str:
    """Create a session and return the cookie token; the caller commits."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(AdminSession(token_hash=_token_hash(token), username=username,
                             csrf=secrets.token_urlsafe(32), created_at=now,
                             expires_at=now + idle))
    return token


def load_session(session: Session, token: str | None, idle: timedelta,
                 now: datetime | None = None) -> AdminSession | None:
    """The live session of a cookie token, extended by `idle`; None when expired or unknown."""
    if not token:
        return None
    now = now or utcnow()
    found = session.execute(select(AdminSession).where(
        AdminSession.token_hash == _token_hash(token))).scalar_one_or_none()
    if found is None:
        return None
    if _aware(found.expires_at) <= now or now - _aware(found.created_at) >= ABSOLUTE_LIMIT:
        session.delete(found)
        return None
    found.expires_at = min(now + idle, _aware(found.created_at) + ABSOLUTE_LIMIT)
    return found


def end_session(session: Session, token: str | None) -> None:
    """Delete the session of a cookie token (logout); the caller commits."""
    if token:
        session.execute(delete(AdminSession).where(AdminSession.token_hash == _token_hash(token)))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (both must be present)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
