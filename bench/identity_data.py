"""Synthetic identity events with ground truth, shaped like a Chinese consumer brand's data.

Each person has a phone (sometimes two), often an e-mail, WeChat union and open ids,
platform accounts, a membership card and one to three devices. Families share a
tablet, stores run kiosks that hundreds of members tap, and a few per cent of
events carry junk values (13800138000, test@test.com, all-zero device ids).
Phones and e-mails arrive in several spellings. ``truth`` maps the key of every
identifier that belongs to exactly one person to that person.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from profilegraph.domain.identifiers import IdentityConfig

__all__ = ["Person", "generate"]

JUNK = [
    {"type": "phone", "value": "13800138000"},
    {"type": "email", "value": "test@test.com"},
    {"type": "device_id", "value": "00000000-0000-0000-0000-000000000000"},
]
SOURCES = ["wechat_miniapp", "app", "tmall", "douyin", "pos", "web"]


@dataclass
class Person:
    index: int
    identifiers: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def _phone_spelling(rnd: random.Random, digits: str) -> str:
    return rnd.choice(
        [
            digits,
            f"+86{digits}",
            f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}",
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
            f"0086{digits}",
        ]
    )


def _person(rnd: random.Random, index: int) -> Person:
    person = Person(index)
    ids = person.identifiers
    phones = [f"{rnd.choice(['139', '135', '186'])}{index:08d}"]
    if rnd.random() < 0.15:
        phones.append(f"{rnd.choice(['150', '188'])}{index:08d}")
    ids["phone"] = [{"type": "phone", "value": p} for p in phones]
    if rnd.random() < 0.7:
        ids["email"] = [{"type": "email", "value": f"user{index}@example{index % 7}.com"}]
    if rnd.random() < 0.6:
        ids["wechat_unionid"] = [{"type": "wechat_unionid", "value": f"un{index}"}]
        ids["wechat_openid"] = [
            {"type": "wechat_openid", "value": f"op{index}-{app}"} for app in range(rnd.randint(1, 2))
        ]
    if rnd.random() < 0.4:
        ids["alipay_uid"] = [{"type": "alipay_uid", "value": f"ali{index}"}]
    if rnd.random() < 0.5:
        ids["taobao_id"] = [{"type": "taobao_id", "value": f"tb{index}"}]
    if rnd.random() < 0.3:
        ids["douyin_openid"] = [{"type": "douyin_openid", "value": f"dy{index}"}]
    if rnd.random() < 0.5:
        ids["member_id"] = [{"type": "member_id", "value": f"M{index:09d}"}]
    ids["device_id"] = [{"type": "device_id", "value": f"dev-{index}-{d}"} for d in range(rnd.randint(1, 3))]
    return person


def _spell(rnd: random.Random, identifier: dict[str, str]) -> dict[str, str]:
    if identifier["type"] == "phone":
        return {"type": "phone", "value": _phone_spelling(rnd, identifier["value"])}
    if identifier["type"] == "email" and rnd.random() < 0.3:
        return {"type": "email", "value": f"  {identifier['value'].upper()} "}
    return identifier


def generate(events: int, seed: int = 1) -> tuple[list[str], dict[str, int]]:
    """``events`` NDJSON lines and the truth: identifier key -> person index."""
    rnd = random.Random(seed)
    config = IdentityConfig()
    people = [_person(rnd, i) for i in range(max(events // 8, 2))]
    families = [people[i : i + rnd.randint(2, 4)] for i in range(0, len(people), 40)]
    tablets = {
        id(member): {"type": "device_id", "value": f"tablet-{n}"}
        for n, family in enumerate(families)
        for member in family
    }
    kiosks = [{"type": "device_id", "value": f"kiosk-{k}"} for k in range(max(len(people) // 300, 1))]
    owners: dict[str, set[int]] = {}
    lines: list[str] = []
    for n in range(events):
        person = rnd.choice(people)
        pool = [i for group in person.identifiers.values() for i in group]
        carried = rnd.sample(pool, k=min(len(pool), rnd.choice([1, 2, 2, 2, 3])))
        roll = rnd.random()
        if roll < 0.03:
            carried.append(rnd.choice(JUNK))
        elif roll < 0.06 and id(person) in tablets:
            carried.append(tablets[id(person)])
        elif roll < 0.09 and "member_id" in person.identifiers:
            carried = [person.identifiers["member_id"][0], rnd.choice(kiosks)]
        for identifier in carried:
            key = config.normalise(identifier["type"], identifier["value"]).key
            owners.setdefault(key, set()).add(person.index)
        event = {
            "event_id": f"b-{seed}-{n}",
            "type": "identify",
            "ts": f"2026-{1 + n * 12 // events:02d}-{1 + rnd.randint(0, 27):02d}T{rnd.randint(0, 23):02d}:00:00Z",
            "source": rnd.choice(SOURCES),
            "identifiers": [_spell(rnd, i) for i in carried],
        }
        lines.append(json.dumps(event))
    truth = {key: next(iter(who)) for key, who in owners.items() if len(who) == 1 and not config.is_blocked(key)}
    return lines, truth
