"""A profile's identity graph for admins: nodes named by position, values masked as for any read."""

from __future__ import annotations

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.types.admin import Explanation, explanation
from profilegraph.api.types.common import shown_key
from profilegraph.domain.identity_graph import IdentityGraph as GraphRecord
from profilegraph.domain.identity_graph import LinkStatus
from profilegraph.errors import InvalidInputError
from profilegraph.services.identity_graph import explain_nodes

__all__ = ["IdentityGraph", "identity_graph_of"]

IdentityLinkStatus = strawberry.enum(
    LinkStatus,
    name="IdentityLinkStatus",
    description="What resolution made of a link: `ACCEPTED` evidence and `MERGED` (an admin merge) join; "
    "`REFUSED` (a rule), `NOT_BRIDGING` (a shared, household or blocked end) and `KEPT_APART` "
    "(an admin split) do not.",
)


@strawberry.type(description="An identifier in a profile's identity graph.")
class IdentityGraphNode:
    id: strawberry.ID = strawberry.field(description="Its position in `nodes`; what `explain` takes.")
    type: str
    value: str = strawberry.field(description="Masked without `pii:read`.")
    status: str = strawberry.field(description="`active`, `shared`, `household` or `blocked`.")
    one_id: str | None = strawberry.field(description="The OneID it belongs to now.")
    in_profile: bool = strawberry.field(description="One of the profile's own identifiers (else a neighbour).")


@strawberry.type(description="A link between two identifiers of the graph.")
class IdentityGraphEdge:
    source: strawberry.ID
    target: strawberry.ID
    status: IdentityLinkStatus  # type: ignore[valid-type]
    rule: str | None = strawberry.field(description="The rule behind a link that does not join.")
    count: int = strawberry.field(description="Events that carried both identifiers.")
    first_seen: str | None
    last_seen: str | None
    sources: list[str]


@strawberry.type(description="The profile's identifiers, the identifiers linked to them, and every link among them.")
class IdentityGraph:
    nodes: list[IdentityGraphNode]
    edges: list[IdentityGraphEdge]
    truncated: bool = strawberry.field(description="Neighbours were left out to keep the graph readable.")
    profile_keys: strawberry.Private[tuple[str, ...]]

    @strawberry.field(
        description="Why two nodes (by id) are one person, or what keeps them apart: `explainLink` by position, "
        "so masked values can be explained too."
    )
    async def explain(self, info: Info, a: strawberry.ID, b: strawberry.ID) -> Explanation | None:
        positions: list[int] = []
        for name, node_id in (("a", a), ("b", b)):
            if not str(node_id).isdigit():
                raise InvalidInputError(f"{name} must be the id of a node of this graph", field=name)
            positions.append(int(node_id))
        context = info.context
        record = await explain_nodes(
            context.runtime.store, context.config.identity, self.profile_keys, positions[0], positions[1]
        )
        return explanation(info, record) if record is not None else None


def identity_graph_of(info: Info, record: GraphRecord, one_id: str, profile_keys: tuple[str, ...]) -> IdentityGraph:
    position = {node.key: str(index) for index, node in enumerate(record.nodes)}
    nodes = []
    for node in record.nodes:
        shown = shown_key(info, node.key, node.one_id or one_id)
        kind, _, value = shown.partition(":")
        nodes.append(
            IdentityGraphNode(
                id=strawberry.ID(position[node.key]),
                type=kind,
                value=value,
                status=node.status,
                one_id=node.one_id,
                in_profile=node.in_profile,
            )
        )
    edges = [
        IdentityGraphEdge(
            source=strawberry.ID(position[edge.a]),
            target=strawberry.ID(position[edge.b]),
            status=edge.status,
            rule=edge.rule,
            count=edge.count,
            first_seen=edge.first_seen,
            last_seen=edge.last_seen,
            sources=list(edge.sources),
        )
        for edge in record.edges
    ]
    return IdentityGraph(nodes=nodes, edges=edges, truncated=record.truncated, profile_keys=profile_keys)
