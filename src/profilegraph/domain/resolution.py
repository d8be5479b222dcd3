"""OneID clustering (docs/architecture.md): a deterministic function of evidence, constraints and configuration.

``resolve`` partitions the identifiers of an evidence component; ``plan_one_ids``
maps that partition onto the OneIDs that exist, so ids stay stable: the oldest
anchor survives a join, the part holding the anchor keeps the id after a split.

Resolving any union of whole evidence components gives the same clusters as
resolving everything at once: no rule looks past the links of a component.
That is what makes incremental resolution equal to a full recompute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from profilegraph.domain.identifiers import IdentityConfig, Strength

__all__ = [
    "Evidence",
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
    """Whether evidence may pass through ``node``: shared and blocked identifiers never bridge.

    An evidence walk stops at an identifier that does not bridge, and ``resolve``
    clusters only the ones that do.
    """
    return node.status == "active" and not node.admin_blocked


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
    rule: str  # type_limit | cannot_link
    detail: str


@dataclass(frozen=True)
class Resolution:
    clusters: tuple[frozenset[str], ...]
    shared: frozenset[str]
    blocked: frozenset[str]
    refusals: tuple[Refusal, ...]

    def status_of(self, key: str) -> str:
        """The status the graph stores for ``key`` after this resolution."""
        return "blocked" if key in self.blocked else "shared" if key in self.shared else "active"

    def cluster_of(self) -> dict[str, int]:
        return {key: index for index, cluster in enumerate(self.clusters) for key in cluster}


def _shared(evidence: Evidence, config: IdentityConfig, blocked: frozenset[str]) -> frozenset[str]:
    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in evidence.links:
        if link.a not in blocked and link.b not in blocked:
            neighbours[link.a].add(link.b)
            neighbours[link.b].add(link.a)
    one_per_person = config.one_per_person_types()
    shared: set[str] = set()
    for key, node in evidence.nodes.items():
        if key in blocked or config.strength(node.type) is not Strength.WEAK:
            continue
        if not node.expanded:
            if node.status == "shared":
                shared.add(key)
            continue
        others = [evidence.nodes[n] for n in neighbours[key] if n in evidence.nodes]
        strong = [n for n in others if config.strength(n.type) is Strength.STRONG]
        per_type: dict[str, int] = defaultdict(int)
        for n in others:
            if n.type in one_per_person:
                per_type[n.type] += 1
        if len(strong) > config.shared_strong_threshold or any(c >= 2 for c in per_type.values()):
            shared.add(key)
    return frozenset(shared)


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
        for type_name, count in self.types[small].items():
            limit = config.limit(type_name)
            if limit is not None and count + self.types[large].get(type_name, 0) > limit:
                total = count + self.types[large].get(type_name, 0)
                return "type_limit", f"the OneID would hold {total} {type_name} (limit {limit})"
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
    shared = _shared(evidence, config, blocked)
    active = sorted(k for k in nodes if k not in blocked and k not in shared)
    clusters = _Clusters(active, nodes, evidence.cannot_links)

    for a, b in sorted(evidence.must_links):  # admin decisions first, unconditionally
        if a in clusters.parent and b in clusters.parent and (ra := clusters.find(a)) != (rb := clusters.find(b)):
            clusters.union(ra, rb)

    refused: list[Refusal] = []
    candidates = [link for link in evidence.links if link.a in clusters.parent and link.b in clusters.parent]
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
    return Resolution(clusters.clusters(), shared, blocked, open_refusals)


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
    nodes: Mapping[str, IdentifierNode], config: IdentityConfig
) -> Callable[[str], tuple[bool, str, str]]:
    return lambda key: (config.strength(nodes[key].type) is Strength.WEAK, nodes[key].first_seen, key)


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
    anchor_order = _anchor_order(nodes, config)

    # Each existing OneID claims the cluster holding its anchor, or else the one
    # holding most of its former identifiers.
    claims: dict[int, list[str]] = defaultdict(list)
    former: dict[str, list[str]] = defaultdict(list)
    for key, one_id in membership.items():
        former[one_id].append(key)
    for one_id, person in persons.items():
        if person.anchor_key in cluster_of:
            claims[cluster_of[person.anchor_key]].append(one_id)
            continue
        counts: dict[int, int] = defaultdict(int)
        for key in former.get(one_id, ()):
            if key in cluster_of:
                counts[cluster_of[key]] += 1
        if counts:
            claims[max(counts, key=lambda c: (counts[c], -c))].append(one_id)

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
    redirects.extend(Redirect(one_id, None, "no identifiers left") for one_id in sorted(set(persons) - claimed))
    members: dict[str, set[str]] = defaultdict(set)
    for key, one_id in assignments.items():
        members[one_id].add(key)
    changed = frozenset(
        one_id for one_id in persons if one_id in claimed and set(former.get(one_id, ())) != members[one_id]
    )
    return OneIdPlan(assignments, created, anchors, tuple(redirects), changed)
