"""The CDNOW benchmark data set: its purchases, and the same as orders of ``member_id`` identifiers."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from profilegraph.errors import InvalidInputError

__all__ = ["CdnowPurchase", "cdnow_events", "cdnow_purchases", "read_cdnow"]


@dataclass(frozen=True)
class CdnowPurchase:
    customer: str
    day: date
    amount: float


def read_cdnow(lines: Iterable[str]) -> Iterator[CdnowPurchase]:
    """Purchases from CDNOW master (id, date, cds, dollars) or sample (id, sample id, date, cds, dollars) lines.

    The first line may be a header; any other line that is not a purchase is an error
    naming it, so a file in another format is refused instead of loading nothing.
    """
    header_allowed = True
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if not fields[0].isdigit():
            if header_allowed:
                header_allowed = False
                continue
            raise InvalidInputError(
                f"line {number}: {line.strip()[:60]!r} is not a CDNOW purchase (customer id, [sample id,] "
                "YYYYMMDD date, CDs, dollars)",
                field="line",
            )
        header_allowed = False
        if len(fields) == 4:
            customer, day, _cds, dollars = fields
        elif len(fields) == 5:
            customer, _sample_id, day, _cds, dollars = fields
        else:
            raise InvalidInputError(
                f"line {number}: expected 4 (master) or 5 (sample) columns, got {len(fields)}", field="line"
            )
        try:
            yield CdnowPurchase(customer, date(int(day[:4]), int(day[4:6]), int(day[6:8])), float(dollars))
        except ValueError:
            raise InvalidInputError(f"line {number}: {day!r} is not a YYYYMMDD date", field="line") from None


def cdnow_purchases(lines: Iterable[str]) -> dict[str, list[tuple[date, float]]]:
    """Each customer's (day, amount) purchases, as the CLV models take them."""
    purchases: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for purchase in read_cdnow(lines):
        purchases[purchase.customer].append((purchase.day, purchase.amount))
    return dict(purchases)


def cdnow_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One order event per purchase; purchases of one customer on one day get a sequence number."""
    per_day: Counter[tuple[str, date]] = Counter()
    for purchase in read_cdnow(lines):
        per_day[(purchase.customer, purchase.day)] += 1
        order_id = f"cdnow-{purchase.customer}-{purchase.day:%Y%m%d}-{per_day[(purchase.customer, purchase.day)]}"
        yield {
            "event_id": order_id,
            "type": "order",
            "ts": f"{purchase.day.isoformat()}T00:00:00Z",
            "source": "cdnow",
            "identifiers": [{"type": "member_id", "value": purchase.customer}],
            "order": {"order_id": order_id, "amount": purchase.amount, "currency": "USD", "channel": "cdnow"},
        }
