"""Suppression rules: automatic triage of the findings a condition matches, stored as records.

``SuppressionRepository`` on SQLite and in memory. A rule has an id, a name, a condition (a DQL filter
expression, such as ``aws.account.id == "123456789012" and finding.type == "Recon:EC2/PortProbeUnprotected"``
— stored as text, and the query layer compiles it where it is applied), the status it gives
(``SUPPRESSED``, ``FALSE_POSITIVE`` or ``RISK_ACCEPTED``), a reason, who made it, when, and an optional
expiry. Disabled rules are kept for their history.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from threatlake.errors import NotFoundError, RequestError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "RULE_STATUSES",
    "MemorySuppressions",
    "SqliteSuppressions",
    "SuppressionRepository",
    "SuppressionRule",
]

RULE_STATUSES: tuple[str, ...] = ("SUPPRESSED", "FALSE_POSITIVE", "RISK_ACCEPTED")
_MAX_CONDITION = 10_000


@dataclass(frozen=True, slots=True)
class SuppressionRule:
    id: str
    name: str
    condition: str
    status: str
    reason: str
    created_by: str
    created: str
    expires: str | None = None
    enabled: bool = True

    def active(self, now: datetime) -> bool:
        return self.enabled and (self.expires is None or iso(now) < self.expires)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "condition": self.condition,
            "status": self.status,
            "reason": self.reason,
            "createdBy": self.created_by,
            "created": self.created,
            "expires": self.expires,
            "enabled": self.enabled,
        }


class SuppressionRepository(Protocol):
    def create(
        self,
        name: str,
        condition: str,
        *,
        who: str,
        now: datetime,
        status: str = "SUPPRESSED",
        reason: str = "",
        expires: datetime | None = None,
    ) -> SuppressionRule: ...

    def get(self, rule_id: str) -> SuppressionRule: ...

    def list(self) -> list[SuppressionRule]: ...

    def set_enabled(self, rule_id: str, enabled: bool) -> SuppressionRule: ...

    def delete(self, rule_id: str) -> None: ...


def _new(
    name: str, condition: str, *, who: str, now: datetime, status: str, reason: str, expires: datetime | None
) -> SuppressionRule:
    if not name.strip() or len(name) > 200:
        raise RequestError("a rule name has 1 to 200 characters", {"field": "name"})
    if not condition.strip() or len(condition) > _MAX_CONDITION:
        raise RequestError(f"a rule condition has 1 to {_MAX_CONDITION} characters", {"field": "condition"})
    if status not in RULE_STATUSES:
        raise RequestError(f"a rule sets one of {', '.join(RULE_STATUSES)}", {"field": "status"})
    if len(reason) > 2000:
        raise RequestError("a reason has at most 2000 characters", {"field": "reason"})
    return SuppressionRule(secrets.token_hex(8), name, condition, status, reason, who, iso(now),
                           iso(expires) if expires else None)  # fmt: skip


def _not_found(rule_id: str) -> NotFoundError:
    return NotFoundError(f"no suppression rule with id {rule_id!r}", {"id": rule_id})


_SCHEMA = """
create table if not exists suppression_rules (
    id text primary key, name text not null, condition text not null, status text not null,
    reason text not null, created_by text not null, created text not null, expires text,
    enabled integer not null);
"""
_COLUMNS = "id, name, condition, status, reason, created_by, created, expires, enabled"


class SqliteSuppressions:
    """``SuppressionRepository`` in the ``suppression_rules`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def create(
        self,
        name: str,
        condition: str,
        *,
        who: str,
        now: datetime,
        status: str = "SUPPRESSED",
        reason: str = "",
        expires: datetime | None = None,
    ) -> SuppressionRule:
        rule = _new(name, condition, who=who, now=now, status=status, reason=reason, expires=expires)
        self._db.execute(
            f"insert into suppression_rules ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rule.id, rule.name, rule.condition, rule.status, rule.reason, rule.created_by, rule.created,
             rule.expires, 1),
        )  # fmt: skip
        return rule

    def get(self, rule_id: str) -> SuppressionRule:
        row = self._db.one(f"select {_COLUMNS} from suppression_rules where id = ?", (rule_id,))
        if row is None:
            raise _not_found(rule_id)
        return _rule(row)

    def list(self) -> list[SuppressionRule]:
        return [
            _rule(row)
            for row in self._db.execute(f"select {_COLUMNS} from suppression_rules order by created, id")
        ]

    def set_enabled(self, rule_id: str, enabled: bool) -> SuppressionRule:
        self.get(rule_id)
        self._db.execute("update suppression_rules set enabled = ? where id = ?", (int(enabled), rule_id))
        return self.get(rule_id)

    def delete(self, rule_id: str) -> None:
        self.get(rule_id)
        self._db.execute("delete from suppression_rules where id = ?", (rule_id,))


def _rule(row: Row) -> SuppressionRule:
    rule_id, name, condition, status, reason, created_by, created, expires, enabled = row
    return SuppressionRule(
        rule_id, name, condition, status, reason, created_by, created, expires, bool(enabled)
    )


class MemorySuppressions:
    """``SuppressionRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, SuppressionRule] = {}
        self._lock = threading.Lock()

    def create(
        self,
        name: str,
        condition: str,
        *,
        who: str,
        now: datetime,
        status: str = "SUPPRESSED",
        reason: str = "",
        expires: datetime | None = None,
    ) -> SuppressionRule:
        rule = _new(name, condition, who=who, now=now, status=status, reason=reason, expires=expires)
        with self._lock:
            self._items[rule.id] = rule
        return rule

    def get(self, rule_id: str) -> SuppressionRule:
        found = self._items.get(rule_id)
        if found is None:
            raise _not_found(rule_id)
        return found

    def list(self) -> list[SuppressionRule]:
        return sorted(self._items.values(), key=lambda rule: (rule.created, rule.id))

    def set_enabled(self, rule_id: str, enabled: bool) -> SuppressionRule:
        with self._lock:
            self._items[rule_id] = replace(self.get(rule_id), enabled=enabled)
            return self._items[rule_id]

    def delete(self, rule_id: str) -> None:
        with self._lock:
            self.get(rule_id)
            del self._items[rule_id]
