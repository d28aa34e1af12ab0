"""SQLAlchemy models of the catalogue and of what residents and staff leave behind."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()

ONLINE_LEVELS = ("toan_trinh", "mot_phan", "khong")
CHANNELS = ("truc_tiep", "truc_tuyen", "buu_chinh")
COPY_KINDS = ("ban_chinh", "ban_sao", "ban_chinh_hoac_ban_sao", "xuat_trinh")


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(timezone.utc)


class Procedure(Base):
    """One administrative procedure as residents need it."""

    __tablename__ = "procedures"

    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False, index=True)
    name = Column(Text, nullable=False)
    field = Column(String(200), nullable=False)
    agency = Column(Text, nullable=False)
    authority_level = Column(String(100))
    online_level = Column(String(16))
    online_how = Column(Text)
    channels = Column(JSON, nullable=False, default=list)
    documents = Column(JSON, nullable=False, default=list)
    steps = Column(JSON, nullable=False, default=list)
    result = Column(Text)
    legal_basis = Column(JSON, nullable=False, default=list)
    urls = Column(JSON, nullable=False, default=list)
    aliases = Column(JSON, nullable=False, default=list)
    source = Column(Text, nullable=False)
    verified = Column(Date, nullable=False)
    notes = Column(Text)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_by = Column(String(100), nullable=False, default="seed")

    def to_dict(self) -> dict:
        """Plain dict in the seed format (open-data export)."""
        return {
            "code": self.code, "name": self.name, "field": self.field, "agency": self.agency,
            "authority_level": self.authority_level, "online_level": self.online_level,
            "online_how": self.online_how, "channels": list(self.channels or []),
            "documents": list(self.documents or []), "steps": list(self.steps or []),
            "result": self.result, "legal_basis": list(self.legal_basis or []),
            "urls": list(self.urls or []), "aliases": list(self.aliases or []),
            "source": self.source,
            "verified": self.verified.isoformat() if isinstance(self.verified, date) else None,
            "notes": self.notes,
        }


class ChangeLog(Base):
    """Who changed what and when (catalogue imports, FAQ edits, publishes)."""

    __tablename__ = "change_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor = Column(String(100), nullable=False)
    entity = Column(String(32), nullable=False)
    key = Column(String(100), nullable=False)
    field = Column(String(64))
    old = Column(Text)
    new = Column(Text)


class Unanswered(Base):
    """A resident message the assistant could not answer (secrets already masked)."""

    __tablename__ = "unanswered"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    channel = Column(String(32), nullable=False, default="unknown")
    text = Column(Text, nullable=False)
    intent = Column(String(100))
    confidence = Column(Float)
    handled = Column(Boolean, nullable=False, default=False)


class Feedback(Base):
    """Whether an answer helped, per procedure or FAQ."""

    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    channel = Column(String(32), nullable=False, default="unknown")
    procedure_code = Column(String(32), index=True)
    faq_id = Column(String(100), index=True)
    helpful = Column(Boolean, nullable=False)
