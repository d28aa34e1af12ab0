"""Validation of catalogue records, with errors that name the file, the row and the field."""
from __future__ import annotations

from datetime import date
from typing import Any, List, Optional

from pydantic import BaseModel, Extra, Field, ValidationError, validator

from bot.catalog.models import CHANNELS, COPY_KINDS, ONLINE_LEVELS


class CatalogError(Exception):
    """One or more records are invalid; nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _blank_to_none(value: Any) -> Any:
    """Treat empty strings as missing values."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


class ChannelIn(BaseModel, extra=Extra.forbid):
    """Processing time and fee for one submission channel."""

    channel: str
    time: Optional[str] = None
    fee: Optional[str] = None
    fee_note: Optional[str] = None

    _blank = validator("time", "fee", "fee_note", pre=True, allow_reuse=True)(_blank_to_none)

    @validator("channel")
    def _known_channel(cls, value: str) -> str:  # noqa: N805
        """Only the three channels of the national portal exist."""
        if value not in CHANNELS:
            raise ValueError(f"must be one of {', '.join(CHANNELS)}")
        return value


class DocumentIn(BaseModel, extra=Extra.forbid, allow_population_by_field_name=True):
    """One required document."""

    name: str
    copy_kind: Optional[str] = Field(None, alias="copy")
    count: Optional[int] = None
    form: Optional[str] = None
    note: Optional[str] = None

    _blank = validator("copy_kind", "form", "note", "count", pre=True, allow_reuse=True)(_blank_to_none)

    @validator("name")
    def _non_empty(cls, value: str) -> str:  # noqa: N805
        """A document needs a name."""
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @validator("copy_kind")
    def _known_copy(cls, value: Optional[str]) -> Optional[str]:  # noqa: N805
        """Original, copy, either, or shown only."""
        if value is not None and value not in COPY_KINDS:
            raise ValueError(f"must be one of {', '.join(COPY_KINDS)}")
        return value


class ProcedureIn(BaseModel, extra=Extra.forbid):
    """A procedure record as written in the seed files or a staff spreadsheet."""

    code: str
    name: str
    field: str
    agency: str
    authority_level: Optional[str] = None
    online_level: Optional[str] = None
    online_how: Optional[str] = None
    channels: List[ChannelIn] = []
    documents: List[DocumentIn] = []
    steps: List[str] = []
    result: Optional[str] = None
    legal_basis: List[str] = []
    urls: List[str] = []
    aliases: List[str] = []
    source: str
    verified: date
    notes: Optional[str] = None

    _blank = validator("authority_level", "online_level", "online_how", "result", "notes",
                       pre=True, allow_reuse=True)(_blank_to_none)

    @validator("code", "name", "field", "agency", "source", pre=True)
    def _required_text(cls, value: Any) -> str:  # noqa: N805
        """Required text fields must not be blank."""
        if value is None or not str(value).strip():
            raise ValueError("is required")
        return str(value).strip()

    @validator("online_level")
    def _known_level(cls, value: Optional[str]) -> Optional[str]:  # noqa: N805
        """Online levels of Decree 42/2022."""
        if value is not None and value not in ONLINE_LEVELS:
            raise ValueError(f"must be one of {', '.join(ONLINE_LEVELS)} or empty")
        return value

    @validator("urls", each_item=True)
    def _https_url(cls, value: str) -> str:  # noqa: N805
        """Official links are absolute http(s) URLs."""
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https://")
        return value

    @validator("steps", "legal_basis", "aliases", each_item=True, pre=True)
    def _text_items(cls, value: Any) -> str:  # noqa: N805
        """List items are non-empty text."""
        if value is None or not str(value).strip():
            raise ValueError("must not contain empty items")
        return str(value).strip()

    def to_record(self) -> dict:
        """Plain dict ready for the database."""
        data = self.dict()
        data["channels"] = [c.dict() for c in self.channels]
        data["documents"] = [d.dict(by_alias=True) for d in self.documents]
        return data


def validate_records(rows: list[tuple[str, int, dict]]) -> list[ProcedureIn]:
    """Validate (source, row, data) triples; raise CatalogError listing every problem."""
    problems: list[str] = []
    valid: list[ProcedureIn] = []
    seen: dict[str, str] = {}
    for source, row, data in rows:
        code = str(data.get("code", "?")) if isinstance(data, dict) else "?"
        try:
            record = ProcedureIn.parse_obj(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(part) for part in err["loc"])
                problems.append(f"{source}: row {row} (code {code}): field '{where}': {err['msg']}")
            continue
        if record.code in seen:
            problems.append(f"{source}: row {row} (code {code}): field 'code': "
                            f"duplicate of {seen[record.code]}")
            continue
        seen[record.code] = f"{source} row {row}"
        valid.append(record)
    if problems:
        raise CatalogError(problems)
    return valid
