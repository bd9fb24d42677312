"""Tag names in a file (Coffer's own export, "holiday; Work") to the household's tags.

A name matches the tag of that name, ignoring case, as tags are unique in a household
(their key is the name casefolded). Names that match nothing are reported with their
row counts (`unmatched`), never created, as category names are (category_names.py):

- the preview lists them before anything is written, so a person moving data between
  households adds the tags they want (one field on the tags page) and then commits;
  the commit reads the household's tags afresh and uses them. Creating them could
  only be undone by hand, and a second import of the same file adds nothing, so a
  tag made from a typo or a case variant ("Holiday" beside "holiday") would stay.
- tags are the household's vocabulary: rules set them, saved filters and reports
  select by them. A file should not add to it unasked, any more than to categories.
- one behaviour for both kinds of name is one thing to learn: the import says what in
  the file it could not place, in the same place, for categories and tags alike.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.ledger.models import Tag

MAX_UNMATCHED = 200


class TagNames:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        rows = session.execute(select(Tag.id, Tag.name).where(Tag.tenant_id == tenant_id)).all()
        self.ids = {tag_id for tag_id, _ in rows}
        self._by_key = {name.strip().casefold(): tag_id for tag_id, name in rows}
        self.unmatched: Counter[str] = Counter()

    def resolve(self, names: Iterable[str]) -> tuple[uuid.UUID, ...]:
        """The tags these names are, in order; the rest are counted in `unmatched`."""
        found: list[uuid.UUID] = []
        for name in names:
            tag_id = self._by_key.get(name.strip().casefold())
            if tag_id is not None:
                if tag_id not in found:
                    found.append(tag_id)
            elif name in self.unmatched or len(self.unmatched) < MAX_UNMATCHED:
                self.unmatched[name] += 1
        return tuple(found)
