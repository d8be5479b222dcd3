"""Events for API tests, as a source sends them."""

from __future__ import annotations

from typing import Any

PHONE = "+86 138-0013-8001"
PHONE_KEY = "phone:+8613800138001"


def identify(event_id: str, ts: str, *identifiers: tuple[str, str], source: str = "app", **attributes: Any) -> dict:
    return {
        "event_id": event_id,
        "type": "identify",
        "ts": ts,
        "source": source,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "attributes": attributes,
    }


def order(
    event_id: str, ts: str, order_id: str, amount: float, *identifiers: tuple[str, str], source: str = "pos"
) -> dict:
    return {
        "event_id": event_id,
        "type": "order",
        "ts": ts,
        "source": source,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "order": {
            "order_id": order_id,
            "amount": amount,
            "currency": "CNY",
            "items": [{"sku": f"sku-{order_id}", "qty": 1, "price": amount}],
        },
    }


def interaction(
    event_id: str, ts: str, kind: str, *identifiers: tuple[str, str], content_id: str | None = None
) -> dict:
    fact: dict[str, Any] = {"kind": kind, "channel": "miniapp"}
    if content_id:
        fact["content_id"] = content_id
    return {
        "event_id": event_id,
        "type": "interaction",
        "ts": ts,
        "source": "miniapp",
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        "interaction": fact,
    }


def alice() -> list[dict]:
    """One consumer seen through an app sign-in, three orders and two views."""
    return [
        identify("a-1", "2026-01-05T09:00:00Z", ("phone", PHONE), ("email", "Alice@Example.com"), name="Alice"),
        identify("a-2", "2026-02-01T09:00:00Z", ("phone", PHONE), ("member_id", "M-1"), source="crm", name="Alice W"),
        order("a-3", "2026-01-10T12:00:00Z", "o-1", 120.0, ("phone", PHONE)),
        order("a-4", "2026-02-10T12:00:00Z", "o-2", 80.0, ("member_id", "M-1")),
        order("a-5", "2026-03-10T12:00:00Z", "o-3", 45.5, ("phone", PHONE)),
        interaction("a-6", "2026-03-01T08:00:00Z", "view", ("phone", PHONE), content_id="c-1"),
        interaction("a-7", "2026-03-02T08:00:00Z", "click", ("email", "alice@example.com")),
    ]
