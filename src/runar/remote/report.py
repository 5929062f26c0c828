"""What a push or pull did: the folder sync's report plus what only remotes have."""

from __future__ import annotations

from dataclasses import dataclass, field

from runar.journal.sync import SyncReport

MAX_REFUSED_SHOWN = 50


@dataclass
class RemoteReport(SyncReport):
    """A push or pull: files moved, already there, set aside, refused, deleted, failed."""

    objects_deleted: int = 0
    live_skipped: int = 0
    failed: list[str] = field(default_factory=list)

    def refuse(self, what: str) -> None:
        """Note a key or file that does not travel (capped, so a junk bucket stays readable)."""
        if len(self.refused) < MAX_REFUSED_SHOWN:
            self.refused.append(what)
        elif len(self.refused) == MAX_REFUSED_SHOWN:
            self.refused.append("… more refused keys not shown")
