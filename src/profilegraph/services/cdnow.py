"""Loading the CDNOW benchmark data set as orders of ``member_id`` identifiers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from profilegraph.errors import InvalidInputError

__all__ = ["cdnow_events"]


def cdnow_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Order events from CDNOW master (id, date, cds, dollars) or sample (id, sample id, date, cds, dollars) lines."""
    per_day: Counter[tuple[str, str]] = Counter()
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or not fields[0].isdigit():
            continue  # the header line
        if len(fields) == 4:
            customer, day, _cds, dollars = fields
        elif len(fields) == 5:
            customer, _sample_id, day, _cds, dollars = fields
        else:
            raise InvalidInputError(
                f"line {number}: expected 4 (master) or 5 (sample) columns, got {len(fields)}", field="line"
            )
        per_day[(customer, day)] += 1
        sequence = per_day[(customer, day)]
        order_id = f"cdnow-{customer}-{day}-{sequence}"
        yield {
            "event_id": order_id,
            "type": "order",
            "ts": f"{day[:4]}-{day[4:6]}-{day[6:]}T00:00:00Z",
            "source": "cdnow",
            "identifiers": [{"type": "member_id", "value": customer}],
            "order": {"order_id": order_id, "amount": float(dollars), "currency": "USD", "channel": "cdnow"},
        }
