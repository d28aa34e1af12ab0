"""Database tables of the admin page: staff users and their sessions."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from bot.catalog.models import Base, utcnow


class AdminUser(Base):
    """A staff member allowed to log in (password stored as a salted scrypt hash)."""

    __tablename__ = "admin_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(100), unique=True, nullable=False, index=True)
    password_hash = Column(String(300), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AdminSession(Base):
    """A server-side login session; the cookie holds a random token, the table its hash."""

    __tablename__ = "admin_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), unique=True, nullable=False, index=True)
    username = Column(String(100), nullable=False)
    csrf = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
