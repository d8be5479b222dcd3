"""Redeemed console sign-in tickets: a ticket id is written once, so a link signs in once."""

from __future__ import annotations

from typing import LiteralString

from profilegraph.store.bolt import Transaction, run
from profilegraph.store.ports import GraphAccess

__all__ = ["redeem_ticket"]

# The first redemption stamps its own nonce; any later one finds another nonce there.
REDEEM_TICKET: LiteralString = """
MERGE (t:SignInTicket {ticket_id: $ticket_id})
ON CREATE SET t.redeemed_by = $nonce, t.redeemed_at = $now, t.expires_at = $expires_at
RETURN t.redeemed_by = $nonce AS fresh
"""

# A ticket past its expiry can never be redeemed again, so its record is no longer needed.
FORGET_EXPIRED: LiteralString = """
MATCH (t:SignInTicket)
WHERE t.expires_at < $now
DELETE t
"""


async def redeem_ticket(store: GraphAccess, ticket_id: str, *, nonce: str, now: str, expires_at: str) -> bool:
    """True the first time ``ticket_id`` is redeemed, False ever after (until it has expired)."""

    async def work(tx: Transaction) -> bool:
        await run(tx, FORGET_EXPIRED, now=now)
        rows = await run(tx, REDEEM_TICKET, ticket_id=ticket_id, nonce=nonce, now=now, expires_at=expires_at)
        return bool(rows[0]["fresh"])

    return await store.write(work, retry_conflicts=True)
