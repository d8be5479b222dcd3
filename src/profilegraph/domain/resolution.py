"""OneID clustering (docs/architecture.md): a deterministic function of evidence, constraints and configuration.

``resolve`` partitions the identifiers of an evidence component; ``plan_one_ids``
maps that partition onto the OneIDs that exist, so ids stay stable: the oldest
anchor survives a join, the part holding the anchor keeps the id after a split.

Resolving any union of whole evidence components gives the same clusters as
resolving everything at once: no rule looks past the links of a component.
That is what makes incremental resolution equal to a full recompute.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

import networkx as nx

from profilegraph.domain.components import reachable
from profilegraph.domain.identifiers import DeviceJoins, IdentityConfig, Strength
from profilegraph.domain.reassignment import Reassignment, reassignments

__all__ = [
    "Evidence",
    "Household",
    "IdentifierNode",
    "LinkEvidence",
    "OneIdPlan",
    "PersonState",
    "Redirect",
    "Refusal",
    "Resolution",
    "bridges",
    "merge_bindings",
    "pair",
    "plan_households",
    "plan_one_ids",
    "resolve",
    "stays_shared",
]

Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    """The unordered pair in its canonical orientation."""
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class IdentifierNode:
    key: str
    type: str
    first_seen: str
    status: str = "active"  # as stored: active | shared | blocked
    admin_blocked: bool = False
    # False for a node reached but not expanded (its links were not loaded): it
    # keeps its stored shared status, which more evidence can never undo.
    expanded: bool = True

    @classmethod
    def stored(
        cls,
        key: str,
        status: str | None,
        first_seen: str = "",
        admin_blocked: bool | None = None,
        *,
        expanded: bool = False,
    ) -> IdentifierNode:
        """An identifier as read from the graph. For a neighbour read through a link the
        block flag is not loaded: its stored status says blocked exactly when a block applies."""
        status = status or "active"
        blocked = status == "blocked" if admin_blocked is None else admin_blocked
        return cls(key, key.partition(":")[0], first_seen, status, blocked, expanded=expanded)


def stays_shared(status: str | None) -> bool:
    """Whether an identifier stored with ``status`` is shared whatever new evidence comes.

    Evidence only ever adds people next to a shared identifier, so an evidence walk
    that starts at one need not expand it; only an admin block or unblock, which can
    take away what made it shared, rechecks it.
    """
    return status == "shared"


# Each side of an admin merge binds it with at most this many identifiers.
MERGE_BINDING_MEMBERS = 25


def merge_bindings(members_a: Iterable[str], members_b: Iterable[str], config: IdentityConfig) -> list[Pair]:
    """The MustLinks that make an admin merge of two OneIDs hold.

    One MustLink between one identifier of each side would lapse as soon as either
    becomes shared or blocked. Binding every strong identifier of one side to every
    strong identifier of the other (the weak ones too, for a side with fewer than two
    strong ones) keeps the merge while any of them still stands on each side.
    """

    def binding(members: Iterable[str]) -> list[str]:
        ordered = sorted(members, key=lambda key: (config.strength(key.partition(":")[0]) is Strength.WEAK, key))
        strong = [key for key in ordered if config.strength(key.partition(":")[0]) is not Strength.WEAK]
        return (strong if len(strong) >= 2 else ordered)[:MERGE_BINDING_MEMBERS]

    return sorted({pair(a, b) for a in binding(members_a) for b in binding(members_b) if a != b})


def bridges(node: IdentifierNode) -> bool:
    """Whether an evidence walk passes through ``node``; shared and blocked identifiers stop it.

    A household device is walked through although it never joins the people it
    serves: whether it is one depends on the people on each side of it, which more
    evidence can join, so every resolution near it must see them all.
    """
    return node.status in ("active", "household") and not node.admin_blocked


@dataclass(frozen=True)
class LinkEvidence:
    a: str
    b: str
    first_seen: str
    last_seen: str = ""
    count: int = 1
    sources: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    nodes: Mapping[str, IdentifierNode]
    links: tuple[LinkEvidence, ...] = ()
    must_links: frozenset[Pair] = frozenset()
    cannot_links: frozenset[Pair] = frozenset()


@dataclass(frozen=True)
class Refusal:
    a: str
    b: str
    rule: str  # type_limit | cannot_link | reassigned
    detail: str


@dataclass(frozen=True)
class Resolution:
    clusters: tuple[frozenset[str], ...]
    shared: frozenset[str]  # never bridges: shared by many, or a household device
    blocked: frozenset[str]
    refusals: tuple[Refusal, ...]
    # household device -> one identifier of each person it serves
    households: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # shared identifier -> the identifiers it was seen with (what a profile known only through it redirects to)
    seen_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # values reissued to someone else (a recycled phone number): kept by their latest holder
    reassigned: frozenset[str] = frozenset()

    def status_of(self, key: str) -> str:
        """The status the graph stores for ``key`` after this resolution."""
        if key in self.blocked:
            return "blocked"
        if key in self.households:
            return "household"
        return "shared" if key in self.shared else "active"

    def cluster_of(self) -> dict[str, int]:
        return {key: index for index, cluster in enumerate(self.clusters) for key in cluster}


def _adjacency(evidence: Evidence, excluded: frozenset[str]) -> dict[str, set[str]]:
    """Each identifier's neighbours through evidence links, leaving out ``excluded`` ones."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in evidence.links:
        if link.a in excluded or link.b in excluded or link.a not in evidence.nodes or link.b not in evidence.nodes:
            continue
        neighbours[link.a].add(link.b)
        neighbours[link.b].add(link.a)
    return neighbours


def _shared(evidence: Evidence, config: IdentityConfig, blocked: frozenset[str]) -> frozenset[str]:
    """Identifiers seen with more than one person: they stay out of every join.

    Two values of a one-per-person type near an identifier mean two people, whatever
    the identifier: a junk or recycled phone, a member card a family shares. A device
    is also shared once more strong identifiers come near it than one person holds.
    More evidence only adds neighbours, so an identifier shared here stays shared.
    """
    neighbours = _adjacency(evidence, blocked)
    one_per_person = config.one_per_person_types()
    shared: set[str] = set()
    for key, node in evidence.nodes.items():
        if key in blocked:
            continue
        if not node.expanded:  # not loaded: it stays as it was stored
            if node.status in ("shared", "household"):
                shared.add(key)
            continue
        others = [evidence.nodes[n] for n in neighbours[key] if n in evidence.nodes]
        per_type: dict[str, int] = defaultdict(int)
        for other in others:
            if other.type in one_per_person:
                per_type[other.type] += 1
        weak = config.strength(node.type) is Strength.WEAK
        strong_neighbours = sum(1 for other in others if config.strength(other.type) is Strength.STRONG)
        if any(count >= 2 for count in per_type.values()) or (
            weak and strong_neighbours > config.shared_strong_threshold
        ):
            shared.add(key)
    return frozenset(shared)


def _household_devices(
    evidence: Evidence, config: IdentityConfig, excluded: frozenset[str]
) -> dict[str, tuple[str, ...]]:
    """Weak identifiers that would join people who are otherwise apart: household devices.

    The people are the groups that strong evidence alone forms (strong-strong links and
    admin MustLinks). A device touching two or more of them joins them only when it can
    be one person's: it becomes a household device instead when it alone (or with the
    other devices that touch two or more of them) holds together at least two parts that
    are each a whole person (a family tablet beside each member's own phone and
    accounts), or when the people's identifiers together break a type limit (two member
    cards can never be one person). A part with a single account or no device of its own
    (a second account signed in on one's own phone) still joins, as the evidence says,
    unless the deployment lets no device join people (``DeviceJoins.NEVER``): then every
    device touching two or more of them is taken for a household one.
    """
    nodes = evidence.nodes

    def strong(key: str) -> bool:
        return config.strength(nodes[key].type) is not Strength.WEAK

    usable = [key for key, node in nodes.items() if key not in excluded and node.expanded]
    people = _Clusters([k for k in usable if strong(k)], nodes, ())
    neighbours = _adjacency(evidence, excluded)
    strong_pairs = [(link.a, link.b) for link in evidence.links] + list(evidence.must_links)
    for a, b in strong_pairs:
        if a in people.parent and b in people.parent and (ra := people.find(a)) != (rb := people.find(b)):
            people.union(ra, rb)

    touches = {
        key: {people.find(n) for n in neighbours[key] if n in people.parent} for key in usable if not strong(key)
    }
    if config.device_joins is DeviceJoins.NEVER:
        return _every_bridge(touches, neighbours, people)
    bridging = {key for key, served in touches.items() if len(served) >= 2}
    if not bridging:  # no device joins two groups: nothing to weigh (most components)
        return {}
    # Only the components of the bridging devices can hold a household; the rest of the
    # chunk is left out of the block-cut analysis.
    around = reachable(neighbours, bridging)
    graph = nx.Graph()
    graph.add_nodes_from(key for key in usable if key in around)
    graph.add_edges_from((a, b) for a in around for b in neighbours[a] if a < b)
    whole_people = _whole_people_apart(graph, strong)
    whole_beside_bridges = _whole_people_beside(graph, bridging, strong)

    households: dict[str, tuple[str, ...]] = {}
    for key, served in touches.items():
        if len(served) < 2:
            continue
        apart = max(whole_people.get(key, 0), whole_beside_bridges.get(key, 0))
        if apart >= 2 or _breaks_a_limit(people, served, config):
            households[key] = _served(people, served)
    return households


def _every_bridge(
    touches: Mapping[str, set[str]], neighbours: Mapping[str, set[str]], people: _Clusters
) -> dict[str, tuple[str, ...]]:
    """Where no device may join people: every weak identifier that touches two or more groups,
    itself or through the weak identifiers it was seen with (a tablet seen in one event with
    a TV box), serves them all and joins none of them."""
    chains = nx.Graph()
    chains.add_nodes_from(touches)
    chains.add_edges_from((key, other) for key in touches for other in neighbours[key] if other in touches)
    households: dict[str, tuple[str, ...]] = {}
    for chain in nx.connected_components(chains):
        served = set().union(*(touches[key] for key in chain))
        if len(served) >= 2:
            households.update(dict.fromkeys(chain, _served(people, served)))
    return households


def _served(people: _Clusters, roots: Iterable[str]) -> tuple[str, ...]:
    """One identifier of each person a household device serves: the least key of each."""
    return tuple(sorted(min(people.members[person]) for person in roots))


def _whole_people_beside(graph: nx.Graph, bridging: set[str], strong: Callable[[str], bool]) -> dict[str, int]:
    """For each device in ``bridging``, how many whole people it touches once every such
    device is set aside.

    A family often shares more than one device (a tablet and a smart TV, each signed in
    on by the same people). Then no single one of them alone holds the family together,
    yet together they do: the parts left without all of them are the people.
    """
    if len(bridging) < 2:
        return {}
    rest = graph.subgraph(key for key in graph if key not in bridging)
    part_of: dict[str, int] = {}
    parts: list[_Part] = []
    for number, piece in enumerate(nx.connected_components(rest)):
        parts.append(_Part.of(piece, strong))
        part_of.update(dict.fromkeys(piece, number))
    return {
        key: _whole_people([parts[n] for n in {part_of[other] for other in graph[key] if other in part_of}])
        for key in sorted(bridging)
    }


@dataclass(frozen=True)
class _Part:
    """What one side of a device holds: its accounts by type, and how many devices."""

    accounts: Counter[str]
    devices: int

    @classmethod
    def of(cls, keys: Iterable[str], strong: Callable[[str], bool]) -> _Part:
        accounts: Counter[str] = Counter()
        devices = 0
        for key in keys:
            if strong(key):
                accounts[key.partition(":")[0]] += 1
            else:
                devices += 1
        return cls(accounts, devices)

    def __add__(self, other: _Part) -> _Part:
        return _Part(self.accounts + other.accounts, self.devices + other.devices)

    def __sub__(self, other: _Part) -> _Part:
        return _Part(self.accounts - other.accounts, self.devices - other.devices)

    @property
    def whole(self) -> bool:
        """Someone with a life of their own: two accounts and a device of their own."""
        return self.accounts.total() >= 2 and self.devices >= 1


def _whole_people(parts: Iterable[_Part]) -> int:
    """How many of ``parts`` are whole people that another of them shows to be someone else.

    Two whole parts that each hold an account of the same kind (a phone each, an e-mail
    each) are two people; two whole parts whose kinds complement each other may be one
    person whose accounts were never seen together, and are not counted.
    """
    whole = [part for part in parts if part.whole]
    return sum(
        1
        for number, part in enumerate(whole)
        if any(part.accounts.keys() & other.accounts.keys() for n, other in enumerate(whole) if n != number)
    )


def _whole_people_apart(graph: nx.Graph, strong: Callable[[str], bool]) -> dict[str, int]:
    """For each identifier that alone holds parts of the graph together, how many of those
    parts are whole people (``_whole_people``).

    A whole person shows at least two accounts of their own and a device of their own:
    someone who signs in on a family tablet and has a life beside it. A part with one
    account, or no device of its own, may well be the owner's own second account.
    The parts come from the block-cut tree, in one pass over the graph.
    """
    cuts: set[str] = set(nx.articulation_points(graph))
    if not cuts:
        return {}
    blocks = cast("list[set[str]]", list(nx.biconnected_components(graph)))  # the stubs type it wrongly
    tree = nx.Graph()
    size: dict[object, _Part] = {}  # tree node -> what it holds itself
    for number, block in enumerate(blocks):
        size[("block", number)] = _Part.of((key for key in block if key not in cuts), strong)
        tree.add_edges_from((("block", number), ("cut", key)) for key in block if key in cuts)
    for key in cuts:
        size[("cut", key)] = _Part.of([key], strong)

    whole: dict[str, int] = {}
    for component in nx.connected_components(tree):
        root = min(component, key=str)
        parent = dict(nx.bfs_predecessors(tree, root))
        below: dict[object, _Part] = {}
        for node in reversed(list(nx.bfs_tree(tree, root))):  # leaves first
            held = size[node]
            for child in tree[node]:
                if parent.get(child) == node:
                    held = held + below[child]
            below[node] = held
        total = below[root]
        for node in component:
            if node[0] != "cut":
                continue
            parts = [below[child] for child in tree[node] if parent.get(child) == node]
            if node != root:
                parts.append(total - below[node])
            whole[node[1]] = _whole_people(parts)
    return whole


def _breaks_a_limit(people: _Clusters, roots: Iterable[str], config: IdentityConfig) -> bool:
    totals: dict[str, int] = defaultdict(int)
    for root in roots:
        for type_name, count in people.types[root].items():
            totals[type_name] += count
    return any((limit := config.limit(t)) is not None and n > limit for t, n in totals.items())


def _released_links(
    evidence: Evidence, config: IdentityConfig, active: Iterable[str]
) -> tuple[dict[Pair, Refusal], frozenset[str]]:
    """The links of reassigned values (a recycled phone number) that their older holders
    lose, and the reassigned values."""
    nodes = evidence.nodes
    usable = {key for key in active if nodes[key].expanded}
    found: dict[Pair, Refusal] = {}
    values = reassignments(
        usable,
        evidence.links,
        lambda key: config.reissued_after_days(nodes[key].type),
        lambda key: config.strength(nodes[key].type) is not Strength.WEAK,
    )
    for reassigned in values:
        for other, last_seen in reassigned.released:
            found[pair(reassigned.key, other)] = Refusal(
                *pair(reassigned.key, other), "reassigned", _reassigned_detail(reassigned, other, last_seen)
            )
    return found, frozenset(reassigned.key for reassigned in values)


def _reassigned_detail(reassigned: Reassignment, other: str, last_seen: str) -> str:
    return (
        f"{reassigned.key} was reissued to someone else: last used with {other} on {last_seen[:10]}, "
        f"by its new holder from {reassigned.kept_from[:10]}"
    )


def _link_order(
    config: IdentityConfig, nodes: Mapping[str, IdentifierNode]
) -> Callable[[LinkEvidence], tuple[int, str, str, str]]:
    weak_types = {t for t in {node.type for node in nodes.values()} if config.strength(t) is Strength.WEAK}
    weak = {key for key, node in nodes.items() if node.type in weak_types}

    def rank(link: LinkEvidence) -> tuple[int, str, str, str]:
        return ((link.a in weak) + (link.b in weak), link.first_seen, link.a, link.b)

    return rank


class _Clusters:
    """Union-find that keeps, per root, its members, type counts and forbidden partners."""

    def __init__(self, keys: Iterable[str], nodes: Mapping[str, IdentifierNode], cannot: Iterable[Pair]) -> None:
        self.parent = {k: k for k in keys}
        self.members: dict[str, set[str]] = {k: {k} for k in self.parent}
        self.types: dict[str, dict[str, int]] = {k: {nodes[k].type: 1} for k in self.parent}
        self.forbidden: dict[str, set[str]] = {k: set() for k in self.parent}
        for a, b in cannot:
            if a in self.parent and b in self.parent:
                self.forbidden[a].add(b)
                self.forbidden[b].add(a)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def refusal(self, ra: str, rb: str, config: IdentityConfig) -> tuple[str, str] | None:
        # Both checks are symmetric; walking the smaller cluster's side is just cheaper.
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        if self.forbidden[small] & self.members[large]:
            return "cannot_link", "an admin split keeps these identifiers apart"
        # Only a type both sides hold can go over its limit by this union; one side alone may
        # already hold more than the limit, but only by an admin merge, which stands.
        for type_name, count in self.types[small].items():
            limit = config.limit(type_name)
            theirs = self.types[large].get(type_name, 0)
            if limit is not None and theirs and count + theirs > limit:
                return "type_limit", f"the OneID would hold {count + theirs} {type_name} (limit {limit})"
        return None

    def union(self, ra: str, rb: str) -> None:
        small, large = (ra, rb) if (len(self.members[ra]), ra) < (len(self.members[rb]), rb) else (rb, ra)
        self.parent[small] = large
        self.members[large] |= self.members.pop(small)
        for type_name, count in self.types.pop(small).items():
            self.types[large][type_name] = self.types[large].get(type_name, 0) + count
        self.forbidden[large] |= self.forbidden.pop(small)

    def clusters(self) -> tuple[frozenset[str], ...]:
        return tuple(sorted((frozenset(m) for m in self.members.values()), key=min))


def resolve(evidence: Evidence, config: IdentityConfig) -> Resolution:
    """Partition the identifiers of ``evidence`` by the rules of docs/architecture.md, in canonical order."""
    nodes = evidence.nodes
    blocked = frozenset(k for k, n in nodes.items() if n.admin_blocked or config.is_blocked(k))
    crowded = _shared(evidence, config, blocked)
    found = _household_devices(evidence, config, blocked | crowded)
    # a device that keeps more people apart than a household holds is a shared one (a kiosk)
    households = {key: people for key, people in found.items() if len(people) <= config.household_max_people}
    shared = crowded | frozenset(found)
    active = sorted(k for k in nodes if k not in blocked and k not in shared)
    clusters = _Clusters(active, nodes, evidence.cannot_links)
    released, reassigned = _released_links(evidence, config, active)

    for a, b in sorted(evidence.must_links):  # admin decisions first, unconditionally
        if a in clusters.parent and b in clusters.parent and (ra := clusters.find(a)) != (rb := clusters.find(b)):
            clusters.union(ra, rb)

    refused: list[Refusal] = list(released.values())
    candidates = [
        link
        for link in evidence.links
        if link.a in clusters.parent and link.b in clusters.parent and (link.a, link.b) not in released
    ]
    for link in sorted(candidates, key=_link_order(config, nodes)):
        ra, rb = clusters.find(link.a), clusters.find(link.b)
        if ra == rb:
            continue
        reason = clusters.refusal(ra, rb, config)
        if reason is None:
            clusters.union(ra, rb)
        else:
            refused.append(Refusal(link.a, link.b, *reason))

    # A refused link whose ends were joined by other evidence is no conflict.
    open_refusals = tuple(r for r in refused if clusters.find(r.a) != clusters.find(r.b))
    seen_with: dict[str, list[str]] = defaultdict(list)
    for link in evidence.links:
        if link.a in shared and link.b in clusters.parent:
            seen_with[link.a].append(link.b)
        if link.b in shared and link.a in clusters.parent:
            seen_with[link.b].append(link.a)
    return Resolution(
        clusters.clusters(),
        shared,
        blocked,
        open_refusals,
        households,
        {key: tuple(sorted(others)) for key, others in seen_with.items()},
        reassigned,
    )


@dataclass(frozen=True)
class Household:
    household_id: str
    devices: tuple[str, ...]
    members: tuple[str, ...]  # OneIDs


def plan_households(resolution: Resolution, assignments: Mapping[str, str]) -> tuple[Household, ...]:
    """The households of a resolved component: household devices grouped by the OneIDs they serve.

    Devices that serve a OneID in common are one household. Its id derives from its
    first device key, so it stays the same while that device does.
    """
    served = {
        device: sorted({assignments[key] for key in people if key in assignments})
        for device, people in resolution.households.items()
    }
    groups = _Clusters(sorted(served), {d: IdentifierNode(d, "device", "") for d in served}, ())
    by_one_id: dict[str, str] = {}
    for device, one_ids in sorted(served.items()):
        for one_id in one_ids:
            if one_id in by_one_id and (a := groups.find(device)) != (b := groups.find(by_one_id[one_id])):
                groups.union(a, b)
            by_one_id.setdefault(one_id, device)
    households = []
    for devices in groups.clusters():
        members = sorted({one_id for device in devices for one_id in served[device]})
        if len(members) >= 2:
            first = min(devices)
            household_id = "hh_" + hashlib.sha256(first.encode()).hexdigest()[:20]
            households.append(Household(household_id, tuple(sorted(devices)), tuple(members)))
    return tuple(households)


@dataclass(frozen=True)
class PersonState:
    one_id: str
    created_at: str
    anchor_key: str


@dataclass(frozen=True)
class Redirect:
    retired: str
    survivor: str | None  # None: every identifier of the OneID is now blocked or shared
    reason: str


@dataclass(frozen=True)
class OneIdPlan:
    assignments: Mapping[str, str]  # identifier key -> OneID, for every clustered identifier
    created: Mapping[str, str]  # new OneID -> its anchor key
    anchors: Mapping[str, str]  # surviving OneID -> anchor key, where the anchor changed
    redirects: tuple[Redirect, ...]
    changed: frozenset[str]  # surviving OneIDs whose membership changed


def _anchor_order(
    nodes: Mapping[str, IdentifierNode], config: IdentityConfig, reassigned: frozenset[str]
) -> Callable[[str], tuple[bool, bool, str, str]]:
    # A reissued value anchors nobody: its next holder would take the OneID with it.
    return lambda key: (
        key in reassigned,
        config.strength(nodes[key].type) is Strength.WEAK,
        nodes[key].first_seen,
        key,
    )


def _orphan_redirect(
    one_id: str,
    former: Iterable[str],
    resolution: Resolution,
    assignments: Mapping[str, str],
    claimed: set[str],
    age: Callable[[str], tuple[str, str, str]],
) -> Redirect:
    """A OneID known only through identifiers now shared (or blocked) and where it goes.

    It redirects to the oldest profile of the people its identifiers were seen with,
    rather than vanish; only one whose identifiers are all blocked has no survivor.
    """
    near = {assignments[other] for key in former for other in resolution.seen_with.get(key, ()) if other in assignments}
    existing = sorted((other for other in near if other in claimed), key=age)
    target = existing[0] if existing else min(near, default=None)
    return Redirect(one_id, target, "its identifiers are shared" if target else "no identifiers left")


def _claims(
    persons: Mapping[str, PersonState],
    former: Mapping[str, list[str]],
    cluster_of: Mapping[str, int],
    reassigned: frozenset[str],
) -> dict[int, list[str]]:
    """Each existing OneID claims the cluster holding its anchor, or else the one holding
    most of its former identifiers (also when its anchor was reissued to someone else)."""
    claims: dict[int, list[str]] = defaultdict(list)
    for one_id, person in persons.items():
        if person.anchor_key in cluster_of and person.anchor_key not in reassigned:
            claims[cluster_of[person.anchor_key]].append(one_id)
            continue
        counts: dict[int, int] = defaultdict(int)
        for key in former.get(one_id, ()):
            if key in cluster_of:
                counts[cluster_of[key]] += 1
        if counts:
            claims[max(counts, key=lambda c: (counts[c], -c))].append(one_id)
    return claims


def plan_one_ids(
    resolution: Resolution,
    nodes: Mapping[str, IdentifierNode],
    membership: Mapping[str, str],
    persons: Mapping[str, PersonState],
    config: IdentityConfig,
    new_id: Callable[[], str],
) -> OneIdPlan:
    """Assign each cluster a OneID, keeping existing ids wherever the rules say they survive."""
    cluster_of = resolution.cluster_of()
    anchor_order = _anchor_order(nodes, config, resolution.reassigned)

    former: dict[str, list[str]] = defaultdict(list)
    for key, one_id in membership.items():
        former[one_id].append(key)
    claims = _claims(persons, former, cluster_of, resolution.reassigned)

    def age(one_id: str) -> tuple[str, str, str]:
        person = persons[one_id]
        anchor = nodes.get(person.anchor_key)
        return (anchor.first_seen if anchor else person.created_at, person.created_at, one_id)

    assignments: dict[str, str] = {}
    created: dict[str, str] = {}
    anchors: dict[str, str] = {}
    redirects: list[Redirect] = []
    for index, cluster in enumerate(resolution.clusters):
        claimants = sorted(claims.get(index, []), key=age)
        if claimants:
            one_id = claimants[0]
            redirects.extend(Redirect(other, one_id, "merge") for other in claimants[1:])
            if persons[one_id].anchor_key not in cluster:
                anchors[one_id] = min(cluster, key=anchor_order)
        else:
            one_id = new_id()
            created[one_id] = min(cluster, key=anchor_order)
        for key in cluster:
            assignments[key] = one_id

    claimed = {one_id for ids in claims.values() for one_id in ids}
    for one_id in sorted(set(persons) - claimed):
        redirects.append(_orphan_redirect(one_id, former.get(one_id, ()), resolution, assignments, claimed, age))
    members: dict[str, set[str]] = defaultdict(set)
    for key, one_id in assignments.items():
        members[one_id].add(key)
    changed = frozenset(
        one_id for one_id in persons if one_id in claimed and set(former.get(one_id, ())) != members[one_id]
    )
    return OneIdPlan(assignments, created, anchors, tuple(redirects), changed)
