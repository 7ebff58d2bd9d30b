"""Choosing the event time: the one timestamp field whose value becomes ``p_event_time``.

Candidates are timestamp fields outside arrays (array elements never set the event time) whose
format has a year (a syslog time without one parses to 1900). The best name wins (``eventTime``
over ``timestamp`` over ``created``), then a field present on every line, then schema order.
"""

from __future__ import annotations

from .model import Draft, FieldDraft
from .values import NO_YEAR, words

_EXACT = frozenset({"timestamp", "time", "ts", "datetime", "date", "eventtime", "event_time", "@timestamp"})
_TIME_WORDS = frozenset({"time", "timestamp", "ts", "date", "datetime"})


def _score(name: str) -> tuple[int, str]:
    key = words(name)
    if "event" in key and _TIME_WORDS.intersection(key):
        return 4, "its name says it is the event's time"
    if name.lower() in _EXACT:
        return 3, f"its name, {name!r}, is the usual name of the event time"
    if (key and key[0] in ("start", "begin", "received")) or "start" in key:
        return 2, "its name says when the event started"
    if _TIME_WORDS.intersection(key):
        return 1, "its name says it is a time"
    return 0, "it is the first timestamp"


def choose_event_time(draft: Draft) -> None:
    """Mark the event-time field of ``draft`` and say why, or note why there is none."""
    candidates: list[tuple[tuple[int, int, int, int], str, FieldDraft]] = []
    skipped: list[str] = []
    for order, (path, field) in enumerate(draft.walk()):
        if field.type != "timestamp" or "[]" in path:
            continue
        if any(fmt in NO_YEAR for fmt in field.time_formats):
            skipped.append(path)
            continue
        score, because = _score(field.name)
        rank = (-score, 0 if field.required else 1, path.count("."), order)
        candidates.append((rank, because, field))
    if not candidates:
        if skipped:
            draft.notes.append(
                f"no event time: {', '.join(skipped)} has no year (it parses to 1900), so p_event_time is "
                "the parse time"
            )
        else:
            draft.notes.append(
                "no event time: no timestamp field was found, so p_event_time is the parse time"
            )
        return
    candidates.sort(key=lambda c: c[0])
    _, because, chosen = candidates[0]
    chosen.is_event_time = True
    others = len(candidates) - 1
    also = f" (over {others} other timestamp field{'s' if others != 1 else ''})" if others else ""
    present = ", present on every line" if chosen.required else ""
    chosen.why.append(f"isEventTime: {because}{present}{also}")
