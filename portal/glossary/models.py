"""A glossary entry pairs a Thai term with an English one; entries are retired and restored, never deleted."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db

TERM_LENGTH = 100
ACTIVE = "retired_at IS NULL"


class GlossaryEntry(db.Model):
    """One Thai / English pair, as staff typed it (term_*) and as searches look it up (key_*: the form
    `portal.search.normalise` gives, which is also the form of a query's terms)."""

    __tablename__ = "glossary_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_th: Mapped[str] = mapped_column(String(TERM_LENGTH))
    term_en: Mapped[str] = mapped_column(String(TERM_LENGTH))
    # Case-folding can lengthen a word (ß -> ss), so the keys have room to spare.
    key_th: Mapped[str] = mapped_column(String(2 * TERM_LENGTH), index=True)
    key_en: Mapped[str] = mapped_column(String(2 * TERM_LENGTH), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: loaded from the CSV
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        # One active entry per pair; a retired one may be added again (and then not restored).
        Index("uq_glossary_entries_active_pair", "key_th", "key_en", unique=True,
              sqlite_where=db.text(ACTIVE), postgresql_where=db.text(ACTIVE)),
    )

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    def __repr__(self):
        return f"<GlossaryEntry {self.id} {self.key_th}/{self.key_en}>"
