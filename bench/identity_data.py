"""Synthetic identity events with ground truth, shaped like a Chinese consumer brand's data.

Each person has a phone, often an e-mail, WeChat union and open ids, platform
accounts, a membership card and one to three devices; phones and e-mails arrive in
several spellings. Scenarios, each a switch, add what real data throws at a resolver:

- ``households``: families of 2-4 who each sign in on one family tablet with one of
  their own accounts, each of a different kind (a phone, a member card, an Alipay
  account), while each also uses devices of their own; half the families also share a
  smart TV;
- ``two_phones``: people with a second phone number;
- ``kiosks``: store kiosks and POS terminals that hundreds of members tap;
- ``invalid_phones``: clerk-typed phones (unallocated prefixes, wrong lengths) beside
  valid identifiers, which must cost only themselves;
- ``junk``: placeholder values that are not on the default block list (an all-eights
  phone, "noemail@qq.com", an Android default device id), typed for many people;
- ``recycled_phones``: numbers a carrier gave to a second person after the first gave
  them up (for a new number of their own), a year or more apart.

Two shapes of population (``shape``): ``even``, where everyone has a phone and leaves about
the same number of events, and ``skewed``, closer to a brand's real audience: activity is
heavy-tailed (most people leave a few events, a few leave many), one in seven gives no
phone, a third of the events are sign-ins (a device and one account), and families are
more common, larger (2-5) and sign in on their tablet with whichever account they like,
two of the same kind at times.

``truth`` maps the key of every valid identifier that belongs to exactly one person to
that person; shared devices, junk and recycled numbers have no owner.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from itertools import accumulate

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import InvalidInputError

__all__ = ["SCENARIOS", "SHAPES", "Person", "generate"]

SHAPES = ("even", "skewed")
SCENARIOS = ("households", "two_phones", "kiosks", "invalid_phones", "junk", "recycled_phones")
BLOCKED_JUNK = [
    {"type": "phone", "value": "13800138000"},
    {"type": "email", "value": "test@test.com"},
    {"type": "device_id", "value": "00000000-0000-0000-0000-000000000000"},
]
UNLISTED_JUNK = [
    {"type": "phone", "value": "13888888888"},
    {"type": "email", "value": "noemail@qq.com"},
    {"type": "device_id", "value": "9774d56d682e549c"},  # Android's well-known default id
]
SOURCES = ["wechat_miniapp", "app", "tmall", "douyin", "pos", "web"]
STRONG_KINDS = ("phone", "member_id", "alipay_uid", "taobao_id", "email", "wechat_unionid", "douyin_openid")


@dataclass
class Person:
    index: int
    identifiers: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    since: int = 2020  # the year the person's events start


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


def _person(rnd: random.Random, index: int, two_phones: bool, skewed: bool) -> Person:
    person = Person(index)
    ids = person.identifiers
    phones = [f"{rnd.choice(['139', '135', '186'])}{index:08d}"]
    if two_phones and rnd.random() < 0.25:
        phones.append(f"{rnd.choice(['150', '188'])}{index:08d}")
    given = [{"type": "phone", "value": p} for p in phones]
    if not skewed or rnd.random() < 0.85:
        ids["phone"] = given
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
    if not any(kind in ids for kind in STRONG_KINDS):  # someone the brand can reach at all
        ids["phone"] = given
    ids["device_id"] = [{"type": "device_id", "value": f"dev-{index}-{d}"} for d in range(rnd.randint(1, 3))]
    return person


def _spell(rnd: random.Random, identifier: dict[str, str]) -> dict[str, str]:
    if identifier["type"] == "phone":
        return {"type": "phone", "value": _phone_spelling(rnd, identifier["value"])}
    if identifier["type"] == "email" and rnd.random() < 0.3:
        return {"type": "email", "value": f"  {identifier['value'].upper()} "}
    return identifier


def _clerk_typed_phone(rnd: random.Random) -> dict[str, str]:
    """A phone no carrier allocated: a 179/194 prefix, or a digit short."""
    digits = f"{rnd.randint(0, 99_999_999):08d}"
    return {"type": "phone", "value": rnd.choice([f"179{digits}", f"194{digits}", f"139{digits[:7]}"])}


def _households(
    rnd: random.Random, people: list[Person], skewed: bool
) -> dict[int, list[tuple[dict[str, str], dict[str, str]]]]:
    """Person index -> the family devices that person signs in on, each with the account used there.

    Every family shares a tablet; half of them also a smart TV, on which each member signs
    in with the tablet's account or another of their own.
    """
    signed_in: dict[int, list[tuple[dict[str, str], dict[str, str]]]] = {}
    start, number = 0, 0
    while start + 4 <= len(people):
        family = people[start : start + rnd.randint(2, 5 if skewed else 4)]
        start += len(family) + rnd.randint(0, 2 if skewed else 6)  # not everyone lives in a household
        tablet = {"type": "device_id", "value": f"family-tablet-{number}"}
        tv = {"type": "device_id", "value": f"family-tv-{number}"} if rnd.random() < 0.5 else None
        number += 1
        kinds = list(STRONG_KINDS)
        rnd.shuffle(kinds)
        for member in family:
            own = [kind for kind in kinds if kind in member.identifiers]
            kind = rnd.choice(own) if skewed else own[0]
            kinds.remove(kind)  # each member signs in with a different kind of account (when even)
            kinds.append(kind)
            signed_in[member.index] = [(tablet, member.identifiers[kind][0])]
            if tv is not None:
                account = member.identifiers[rnd.choice(own)][0]
                signed_in[member.index].append((tv, account))
    return signed_in


@dataclass
class _Recycled:
    """Numbers given up and reissued: who took each, and who gave one up when for what."""

    taken: dict[int, dict[str, str]] = field(default_factory=dict)  # new holder -> the number
    given_up: dict[int, tuple[int, dict[str, str]]] = field(default_factory=dict)  # -> (until, new number)

    def pool(self, person: Person, year: int) -> list[dict[str, str]]:
        """The identifiers ``person`` may use in ``year``."""
        pool = [i for group in person.identifiers.values() for i in group]
        if person.index in self.taken:
            pool.append(self.taken[person.index])
        if person.index in self.given_up and year > self.given_up[person.index][0]:
            old = person.identifiers["phone"][0]
            pool = [self.given_up[person.index][1] if i is old else i for i in pool]
        return pool


def _recycled_numbers(rnd: random.Random, people: list[Person]) -> _Recycled:
    """Person a gives up their number in year ``until`` for a new one; the carrier gives it
    to person b, who first uses it a year or more later."""
    recycled = _Recycled()
    for a in range(0, len(people) - 1, 50):
        first, b = people[a], people[a + 1]
        if "phone" not in first.identifiers:
            continue
        until = first.since + rnd.randint(1, 4)
        b.since = max(b.since, until + rnd.randint(1, 3))
        recycled.taken[b.index] = first.identifiers["phone"][0]
        recycled.given_up[a] = (until, {"type": "phone", "value": f"137{a:08d}"})
    return recycled


def generate(
    events: int, seed: int = 1, scenarios: frozenset[str] | set[str] = frozenset(SCENARIOS), shape: str = "even"
) -> tuple[list[str], dict[str, int]]:
    """``events`` NDJSON lines and the truth: identifier key -> person index."""
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
    skewed = shape == "skewed"
    rnd = random.Random(seed)
    config = IdentityConfig()
    people = [_person(rnd, i, "two_phones" in scenarios, skewed) for i in range(max(events // 8, 8))]
    for person in people:
        person.since = rnd.randint(2016, 2024)
    # how active each person is: alike, or log-normal (most a little, a few a lot)
    activity = list(accumulate(rnd.lognormvariate(0, 1) for _ in people)) if skewed else None
    tablets = _households(rnd, people, skewed) if "households" in scenarios else {}
    kiosks = [{"type": "device_id", "value": f"kiosk-{k}"} for k in range(max(len(people) // 300, 1))]
    recycled = _recycled_numbers(rnd, people) if "recycled_phones" in scenarios else _Recycled()
    owners: dict[str, set[int]] = {}
    lines: list[str] = []
    for n in range(events):
        person = rnd.choice(people) if activity is None else rnd.choices(people, cum_weights=activity)[0]
        year = min(person.since + n * 6 // events, 2026)
        pool = recycled.pool(person, year)
        carried = rnd.sample(pool, k=min(len(pool), rnd.choice([1, 2, 2, 2, 3])))
        roll = rnd.random()
        if roll < 0.03 and "junk" in scenarios:
            carried.append(rnd.choice(BLOCKED_JUNK + UNLISTED_JUNK))
        elif roll < 0.09 and person.index in tablets:
            device, account = rnd.choice(tablets[person.index])
            carried = [device, account]
        elif roll < 0.12 and "kiosks" in scenarios and "member_id" in person.identifiers:
            carried = [person.identifiers["member_id"][0], rnd.choice(kiosks)]
        elif roll < 0.16 and "invalid_phones" in scenarios:
            carried.append(_clerk_typed_phone(rnd))
        elif roll > 0.66 and skewed:  # a sign-in: a device and one account
            accounts = [i for i in pool if i["type"] != "device_id"]
            carried = [rnd.choice(person.identifiers["device_id"]), rnd.choice(accounts)]
        valid = []
        for identifier in carried:
            try:
                key = config.normalise(identifier["type"], identifier["value"]).key
            except InvalidInputError:
                continue  # the importer leaves it out of the event
            valid.append(key)
            owners.setdefault(key, set()).add(person.index)
        event = {
            "event_id": f"b-{seed}-{n}",
            "type": "identify",
            "ts": f"{year}-{1 + rnd.randint(0, 11):02d}-{1 + rnd.randint(0, 27):02d}T{rnd.randint(0, 23):02d}:00:00Z",
            "source": rnd.choice(SOURCES),
            "identifiers": [_spell(rnd, i) for i in carried],
        }
        lines.append(json.dumps(event))
    truth = {key: next(iter(who)) for key, who in owners.items() if len(who) == 1 and not config.is_blocked(key)}
    return lines, truth
