"""The audit log: which operator viewed or changed which case, and when (never message text)."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.base import StoreBase
from bot.storage.models import AuditEntry


class AuditMixin(StoreBase):
    """Append to and read the audit log."""

    def audit(
        self, operator: str, action: str, case_id: int | None = None, detail: str = ""
    ) -> None:
        """Append one audit entry (never message text)."""
        with self.session() as s:
            s.add(
                AuditEntry(
                    at=self.clock(),
                    operator=operator,
                    action=action[:32],
                    escalation_id=case_id,
                    detail=detail[:200],
                )
            )

    def audit_entries(self, *, case_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """The latest audit entries, newest first (optionally of one case)."""
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if case_id is not None:
            query = query.where(AuditEntry.escalation_id == case_id)
        with self.session() as s:
            return list(s.execute(query).scalars())
