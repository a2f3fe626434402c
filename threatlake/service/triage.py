"""Triage: the one path every change of a finding's status or assignee takes, and suppression rules.

The finding page, the lists' bulk change, the suppression rules page, the workflow action
``threatlake:set-triage-status`` and the rules applied to new events all call ``set_triage``. It changes the
settings state (``state.triage``, the source of truth: history, comments) and then mirrors the new records
into the store's ``triage`` table, which DQL reads as ``fetch security.triage``. Changes are serialized in
this process so the mirror ends in the state's order; a mirror that could not be written is logged and
rebuilt from the state by the next change (and by ``sync``, which the service runs when it starts).

Suppression rules (``state.suppressions``) give their status to matching findings. ``apply_rule`` is the
page's "Apply" (every finding the rule matches now); ``suppress_new`` is the new-event hook
(``threatlake.service.ingest.NEW_EVENT_HOOKS``): after every durable write — HTTP ingest, ``threatlake
ingest``, ``backfill`` — the active rules are matched against exactly the newly stored events, and the
untriaged findings among the matches take the rule's status (the oldest rule first; a status someone set
is never overwritten by a rule).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from threatlake.errors import StoreError
from threatlake.model import Event, event_id, parse_timestamp
from threatlake.service.query import QueryRequest, run_query
from threatlake.state import State
from threatlake.state.database import parse_iso
from threatlake.state.suppressions import SuppressionRule
from threatlake.state.triage import MAX_BULK, TriageRecord
from threatlake.store import Store
from threatlake.store.protocol import TriageRow

__all__ = [
    "BulkResult",
    "apply_rule",
    "bulk_set",
    "matching_query",
    "rule_comment",
    "rule_matches",
    "set_triage",
    "suppress_new",
    "suppression_hook",
    "sync",
]

log = logging.getLogger("threatlake.triage")

#: Event ids one matching query names (each is a bound value).
_IDS_PER_QUERY = 1000
_ALL_TIME = timedelta(days=36_500)
_LOCK = threading.Lock()  # one change at a time: the mirror is written in the state's order
_STALE: weakref.WeakSet[Store] = weakref.WeakSet()  # stores whose mirror missed a change


def _row(record: TriageRecord) -> TriageRow:
    def moment(text: str | None) -> datetime | None:
        return parse_iso(text) if text else None

    return TriageRow(
        record.finding_id,
        record.status,
        record.assignee,
        moment(record.expires),
        moment(record.modified),
        record.modified_by,
    )


def sync(state: State, store: Store) -> int:
    """Rebuild the store's mirror from the state; returns how many findings are triaged."""
    with _LOCK:
        return _sync_locked(state, store)


def _sync_locked(state: State, store: Store) -> int:
    records = state.triage.find()
    store.put_triage([_row(record) for record in records], replace=True)
    _STALE.discard(store)
    return len(records)


def set_triage(
    state: State,
    store: Store | None,
    finding_ids: Sequence[str],
    *,
    who: str,
    now: datetime,
    status: str | None = None,
    assignee: str | None = None,
    expires: datetime | None = None,
    comment: str = "",
) -> list[TriageRecord]:
    """Change status and/or assignee (``""`` unassigns) of every finding, with one history entry per
    finding and changed field; returns the new records (``RequestError`` for a bad value). Without a store
    (a command that opened none) only the state changes; the service's ``sync`` at start catches up."""
    with _LOCK:
        records = state.triage.set(
            finding_ids, who=who, now=now, status=status, assignee=assignee, expires=expires, comment=comment
        )
        if store is None:
            return records
        try:
            if store in _STALE:
                _sync_locked(state, store)
            else:
                store.put_triage([_row(record) for record in records])
        except StoreError:
            _STALE.add(store)
            log.exception("the triage mirror missed a change; the next change rebuilds it")
    return records


@dataclass(frozen=True, slots=True)
class BulkResult:
    """A bulk change: findings the query matched, those whose status changed, those that could not be."""

    matched: int
    changed: int
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"matched": self.matched, "changed": self.changed, "failed": self.failed}


def bulk_set(
    state: State,
    store: Store | None,
    finding_ids: Sequence[str],
    *,
    status: str,
    who: str,
    now: datetime,
    comment: str = "",
) -> BulkResult:
    """Give ``status`` to every finding of ``finding_ids`` that does not have it already."""
    unique = list(dict.fromkeys(finding_ids))
    current = state.triage.get_many(unique)
    changed = [item for item in unique if (current.get(item) or TriageRecord(item)).effective(now) != status]
    for start in range(0, len(changed), MAX_BULK):
        chunk = changed[start : start + MAX_BULK]
        set_triage(state, store, chunk, who=who, now=now, status=status, comment=comment)
    return BulkResult(len(unique), len(changed))


# -- suppression rules ------------------------------------------------------------------------------------


def _dql_string(value: str) -> str:
    return orjson.dumps(value).decode()


def matching_query(condition: str, event_ids: Sequence[str] = ()) -> str:
    """The DQL of the findings ``condition`` matches (among ``event_ids`` when given)."""
    lines = ["fetch security.events"]
    if event_ids:
        lines.append(f"| filter in(event.id, {{{', '.join(_dql_string(item) for item in event_ids)}}})")
    lines += [f"| filter {condition}", "| dedup {finding.id}", "| fields finding.id"]
    return "\n".join(lines)


def rule_matches(
    store: Store,
    condition: str,
    *,
    now: datetime,
    event_ids: Sequence[str] = (),
    timeframe: tuple[datetime, datetime] | None = None,
    timeout: float | None = None,
) -> list[str]:
    """The ids of the findings ``condition`` (a DQL filter expression) matches over ``timeframe`` (all time
    by default), among the events ``event_ids`` when given; ``QueryError`` with line and column when the
    condition cannot run."""
    start, end = timeframe or (now - _ALL_TIME, now + timedelta(seconds=1))
    found: dict[str, None] = {}
    chunks = [event_ids[i : i + _IDS_PER_QUERY] for i in range(0, len(event_ids), _IDS_PER_QUERY)] or [()]
    for chunk in chunks:
        request = QueryRequest(matching_query(condition, chunk), now, start, end, max_records=MAX_BULK)
        result = run_query(store, request, timeout=timeout)
        found.update((str(row["finding.id"]), None) for row in result["records"] if row.get("finding.id"))
    return list(found)


def rule_comment(rule: SuppressionRule) -> str:
    return f"suppression rule {rule.name}: {rule.reason}".strip(": ")


def apply_rule(
    state: State,
    store: Store,
    rule: SuppressionRule,
    *,
    who: str,
    now: datetime,
    timeout: float | None = None,
) -> BulkResult:
    """The page's "Apply": every finding the rule matches now takes its status."""
    ids = rule_matches(store, rule.condition, now=now, timeout=timeout)
    return bulk_set(state, store, ids, status=rule.status, who=who, now=now, comment=rule_comment(rule))


def _span(events: Sequence[Event]) -> tuple[datetime, datetime] | None:
    """The timeframe holding every event (None when one has no time)."""
    times = [parse_timestamp(event.get("timestamp")) for event in events]
    if any(moment is None for moment in times):
        return None
    known = [moment for moment in times if moment is not None]
    return min(known), max(known) + timedelta(microseconds=1)


def suppress_new(state: State, store: Store, events: Sequence[Event], now: datetime) -> int:
    """Give the untriaged findings among ``events`` (just stored) the status of the first active rule that
    matches them; returns how many findings were changed."""
    rules = [rule for rule in state.suppressions.list() if rule.active(now)]
    findings = [event for event in events if event.get("finding.id")]
    if not rules or not findings:
        return 0
    event_ids = [str(event.get("event.id") or event_id(event)) for event in findings]
    timeframe = _span(findings)
    triaged = state.triage.get_many([str(event["finding.id"]) for event in findings])
    claimed = {item for item, record in triaged.items() if record.effective(now) != "NEW"}
    changed = 0
    for rule in rules:
        try:
            ids = rule_matches(store, rule.condition, now=now, event_ids=event_ids, timeframe=timeframe)
        except Exception:  # a rule that cannot run any more must not stop the others
            log.exception("suppression rule %s (%s) could not be matched", rule.id, rule.name)
            continue
        fresh = [item for item in ids if item not in claimed]
        claimed.update(fresh)
        who = f"rule:{rule.name}"
        changed += bulk_set(
            state, store, fresh, status=rule.status, who=who, now=now, comment=rule_comment(rule)
        ).changed
    return changed


def suppression_hook(state: State, store: Store) -> Callable[[list[Event]], None]:
    """The maker registered in ``NEW_EVENT_HOOKS``: suppression rules on every newly stored batch."""

    def hook(events: list[Event]) -> None:
        suppress_new(state, store, events, datetime.now(UTC))

    return hook
