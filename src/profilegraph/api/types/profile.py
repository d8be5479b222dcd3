"""The unified profile of one OneID, as the API serves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from profilegraph.api.context import Info
from profilegraph.api.permissions import CanAdminister
from profilegraph.api.types.common import (
    JSON,
    Connection,
    connection,
    decode_cursor,
    page_size,
    shown_key,
    shown_text,
)
from profilegraph.api.types.diagnosis import (
    Churn,
    HighValueTypeEnum,
    Intent,
    SegmentMembership,
    churn_of,
    high_value_type_of,
    intent_of,
    segment_of,
)
from profilegraph.api.types.identity_graph import IdentityGraph, identity_graph_of
from profilegraph.api.types.tags import Affinity, AffinityDimension, Tag, TagObjectType, affinity, tags
from profilegraph.domain.affinity import OBJECT_OF
from profilegraph.domain.diagnosis import shipped
from profilegraph.domain.lifecycle import Stage, Tier
from profilegraph.domain.rfm import RfmScore
from profilegraph.domain.survivorship import surviving
from profilegraph.domain.valuation import ClvFigures
from profilegraph.errors import InvalidInputError
from profilegraph.services.identity_graph import profile_graph
from profilegraph.services.profiles import (
    FactPage,
    IdentifierView,
    InteractionView,
    OrderView,
    PersonView,
    TouchView,
    shown_value,
)

__all__ = ["MAX_HORIZON_DAYS", "LifecycleStage", "Profile", "ValueTier", "profile_of"]

MAX_HORIZON_DAYS = 3650

V = TypeVar("V")  # a fact as the profile service reads it
N = TypeVar("N")  # the fact as the API serves it

LifecycleStage = strawberry.enum(Stage, name="LifecycleStage")
ValueTier = strawberry.enum(Tier, name="ValueTier")


@strawberry.type(description="One identifier of the profile; its value is masked without `pii:read`.")
class Identifier:
    type: str
    value: str
    first_seen: str
    last_seen: str
    sources: list[str]
    status: str = strawberry.field(
        description="`active`, `shared` (used by several people: stays on each profile that used it, never links "
        "them), `household` (a family device: likewise) or `blocked`."
    )


@strawberry.type(description="One attribute value and where it came from.")
class Attribute:
    name: str
    value: Any = strawberry.field(graphql_type=JSON)
    source: str
    observed_at: str
    rule: str | None = strawberry.field(
        default=None,
        description="Why this value survives: `most_recent`, or `source_priority:` and the sources, best first "
        "(absent from the history list).",
    )


@strawberry.type(description="A product as an order holds it; `product(sku)` serves its tags and audience.")
class OrderedProduct:
    sku: str
    properties: Any = strawberry.field(graphql_type=JSON, description="The catalog record's properties.")


@strawberry.type
class OrderItem:
    sku: str
    quantity: float
    price: float
    product: OrderedProduct


@strawberry.type
class Order:
    order_id: str
    at: str
    amount: float
    currency: str | None
    channel: str | None
    source: str | None
    items: list[OrderItem]


@strawberry.type
class Interaction:
    event_id: str
    at: str
    kind: str
    source: str | None
    content_id: str | None
    content: Any = strawberry.field(graphql_type=JSON | None)
    channel: str | None


@strawberry.type(description="One campaign touch: a message sent, delivered, opened, clicked or converted.")
class Touch:
    event_id: str
    at: str
    action: str = strawberry.field(description="`sent`, `delivered`, `opened`, `clicked` or `converted`.")
    campaign_id: str
    campaign: Any = strawberry.field(graphql_type=JSON | None, description="The campaign record's properties.")
    channel: str | None
    source: str | None


@strawberry.type
class Rfm:
    recency: int = strawberry.field(description="Days since the last purchase.")
    frequency: int = strawberry.field(description="Purchase days.")
    monetary: float = strawberry.field(description="Average spend per purchase day.")
    r_score: int
    f_score: int
    m_score: int
    segment: str


@strawberry.type(description="Customer value from the newest CLV fit and the profile's own orders.")
class Clv:
    one_id: strawberry.Private[str]
    fitted_at: str | None
    historic: float = strawberry.field(description="What the customer has spent so far.")
    p_alive: float | None = strawberry.field(description="Probability the customer is still active (BG/NBD).")
    rfm: Rfm | None

    @strawberry.field(description="Discounted CLV over the horizon (default PROFILEGRAPH_CLV_HORIZON_DAYS).")
    async def predicted(self, info: Info, horizon_days: int | None = None) -> float | None:
        return (await _figures(info, self.one_id, horizon_days)).predicted

    @strawberry.field(description="Expected purchases over the horizon.")
    async def expected_purchases(self, info: Info, horizon_days: int | None = None) -> float | None:
        return (await _figures(info, self.one_id, horizon_days)).expected_purchases


@strawberry.type
class Lifecycle:
    stage: LifecycleStage  # type: ignore[valid-type]
    since: date
    tier: ValueTier  # type: ignore[valid-type]


@strawberry.type(description="People who share a family device: each keeps a OneID of their own.")
class Household:
    household_id: str
    members: list[str] = strawberry.field(description="The members' OneIDs.")
    devices: list[str] = strawberry.field(description="The shared devices that reveal the household.")


@strawberry.type
class MergedFrom:
    one_id: str
    at: str
    reason: str


async def _figures(info: Info, one_id: str, horizon_days: int | None) -> ClvFigures:
    loaders = info.context.loaders
    horizon = loaders.default_horizon if horizon_days is None else horizon_days
    if not 1 <= horizon <= MAX_HORIZON_DAYS:
        raise InvalidInputError(f"horizonDays is between 1 and {MAX_HORIZON_DAYS}", field="horizonDays")
    return await loaders.figures(horizon).load(one_id)


SHARED_FACTS = (
    "Instead of this consumer's own, those recorded only on the shared and household identifiers "
    "they used (a family tablet with nobody signed in): they belong to no one profile, so CLV and "
    "the value figures leave them out."
)


def _fact_page(info: Info, first: int, after: str | None, shared: bool) -> FactPage:
    size = page_size(info, first)
    before_ts, before_id = decode_cursor(after, 2) or (None, None)
    # one more than asked tells whether another page follows
    return FactPage(size + 1, before_ts, before_id, shared)


async def _facts(
    info: Info,
    first: int,
    after: str | None,
    one_id: str,
    page_loader: Callable[[FactPage], DataLoader[str, list[V]]],
    total_loader: DataLoader[str, int],
    cursor_of: Callable[[V], tuple[str, str]],
    node_of: Callable[[V], N],
    *,
    shared: bool = False,
) -> Connection[N]:
    """A page of one profile's facts (orders, interactions, touches), newest first, with its total."""
    page = _fact_page(info, first, after, shared)
    views = await page_loader(page).load(one_id)
    return connection(views, page.limit - 1, cursor_of, node_of, lambda: total_loader.load(one_id))


def _order_cursor(view: OrderView) -> tuple[str, str]:
    return (view.ts, view.order_id)


def _event_cursor(view: InteractionView | TouchView) -> tuple[str, str]:
    return (view.ts, view.event_id)


def _rfm(score: RfmScore | None) -> Rfm | None:
    if score is None:
        return None
    return Rfm(
        recency=score.recency_days,
        frequency=score.frequency,
        monetary=score.monetary,
        r_score=score.r,
        f_score=score.f,
        m_score=score.m,
        segment=score.segment,
    )


@strawberry.type(description="The unified profile of one OneID.")
class Profile:
    person: strawberry.Private[PersonView]
    redirected_from: str | None = strawberry.field(
        description="The retired OneID the caller asked for, when it now answers as this one."
    )

    @strawberry.field
    def one_id(self) -> strawberry.ID:
        return strawberry.ID(self.person.one_id)

    @strawberry.field
    def created_at(self) -> str | None:
        return self.person.created_at

    @strawberry.field
    def updated_at(self) -> str | None:
        return self.person.updated_at

    @strawberry.field(description="The OneIDs merged into this one, oldest first.")
    def merged_from(self) -> list[MergedFrom]:
        return [MergedFrom(one_id=o, at=at, reason=reason) for o, at, reason in self.person.merged_from]

    @strawberry.field
    def identifiers(self, info: Info) -> list[Identifier]:
        return [self._identifier(info, view) for view in self.person.identifiers]

    def _identifier(self, info: Info, view: IdentifierView) -> Identifier:
        shown = shown_key(info, view.key, self.person.one_id)
        status = "blocked" if view.admin_blocked else view.status
        return Identifier(
            type=view.type,
            value=shown.partition(":")[2],
            first_seen=view.first_seen,
            last_seen=view.last_seen,
            sources=list(view.sources),
            status=status,
        )

    @strawberry.field(
        description="The surviving value of each attribute (by its survivorship rule: the most recent unless "
        "PROFILEGRAPH_ATTRIBUTE_SOURCE_PRIORITY ranks its sources), or with `history` every value observed, "
        "newest first."
    )
    def attributes(self, info: Info, names: list[str] | None = None, history: bool = False) -> list[Attribute]:
        wanted = set(names) if names is not None else None
        values = [v for v in self.person.attributes if wanted is None or v.name in wanted]  # newest first
        rules = info.context.config.survivorship
        if not history:
            values = sorted(surviving(values, rules).values(), key=lambda v: v.name)
        return [
            Attribute(
                name=value.name,
                value=shown_text(info, shown_value(value.value), self.person.one_id, f"attributes.{value.name}"),
                source=value.source,
                observed_at=value.observed_at,
                rule=None if history else rules.rule_of(value.name),
            )
            for value in values
        ]

    @strawberry.field(description="Live tag values: the consumer's own, set by OneID or on any of their identifiers.")
    async def tags(self, info: Info, names: list[str] | None = None) -> list[Tag]:
        return tags(await info.context.loaders.user_tags.load(self.person.one_id), names)

    @strawberry.field(
        description="Affinities to product categories, brands and tags, content topics and tags, and channels, "
        "from what the consumer bought, viewed and used, weighted by recency (PROFILEGRAPH_AFFINITY_HALF_LIFE_DAYS); "
        "strongest first, of one object type or one dimension if asked."
    )
    async def affinities(
        self,
        info: Info,
        object_type: TagObjectType | None = None,  # type: ignore[valid-type]
        dimension: AffinityDimension | None = None,  # type: ignore[valid-type]
        first: int = 10,
    ) -> list[Affinity]:
        size = page_size(info, first)
        found = await info.context.loaders.affinities.load(self.person.one_id)
        chosen = [
            a
            for a in found
            if (dimension is None or a.dimension == dimension)
            and (object_type is None or OBJECT_OF[a.dimension] == object_type)
        ]
        chosen.sort(key=lambda a: (-a.score, -a.weight, a.dimension, a.value))
        return [affinity(a) for a in chosen[:size]]

    @strawberry.field(description="Orders, newest first.")
    async def orders(
        self,
        info: Info,
        first: int = 10,
        after: str | None = None,
        shared: Annotated[bool, strawberry.argument(description=SHARED_FACTS)] = False,
    ) -> Connection[Order]:
        loaders = info.context.loaders
        return await _facts(
            info,
            first,
            after,
            self.person.one_id,
            loaders.orders,
            loaders.shared_order_total if shared else loaders.order_total,
            _order_cursor,
            _order,
            shared=shared,
        )

    @strawberry.field(description="Interactions (views, clicks, visits), newest first.")
    async def interactions(
        self,
        info: Info,
        first: int = 10,
        after: str | None = None,
        shared: Annotated[bool, strawberry.argument(description=SHARED_FACTS)] = False,
    ) -> Connection[Interaction]:
        loaders = info.context.loaders
        return await _facts(
            info,
            first,
            after,
            self.person.one_id,
            loaders.interactions,
            loaders.shared_interaction_total if shared else loaders.interaction_total,
            _event_cursor,
            _interaction,
            shared=shared,
        )

    @strawberry.field(description="Campaign touches (sent, delivered, opened, clicked, converted), newest first.")
    async def touches(self, info: Info, first: int = 10, after: str | None = None) -> Connection[Touch]:
        loaders = info.context.loaders
        return await _facts(
            info,
            first,
            after,
            self.person.one_id,
            loaders.touches,
            loaders.touch_total,
            _event_cursor,
            _touch,
        )

    @strawberry.field(
        permission_classes=[CanAdminister],
        description="Admins: the profile's identifiers, their neighbours and every link, each marked with what "
        "resolution made of it.",
    )
    async def identity_graph(self, info: Info) -> IdentityGraph:
        keys = tuple(view.key for view in self.person.identifiers if view.member)
        context = info.context
        record = await profile_graph(context.runtime.store, context.config.identity, keys)
        return identity_graph_of(info, record, self.person.one_id, keys)

    @strawberry.field(description="The households this consumer belongs to (a shared family device).")
    async def households(self, info: Info) -> list[Household]:
        found = await info.context.loaders.households.load(self.person.one_id)
        return [
            Household(
                household_id=h.household_id,
                members=list(h.members),
                devices=[shown_key(info, key, self.person.one_id) for key in h.devices],
            )
            for h in found
        ]

    @strawberry.field
    async def clv(self, info: Info) -> Clv:
        figures = await _figures(info, self.person.one_id, None)
        return Clv(
            one_id=self.person.one_id,
            fitted_at=figures.fitted_at,
            historic=figures.historic,
            p_alive=figures.p_alive,
            rfm=_rfm(figures.rfm),
        )

    @strawberry.field(description="Churn risk from the churn model, and the churn signals that hold now.")
    async def churn(self, info: Info) -> Churn:
        return churn_of(await info.context.loaders.user_tags.load(self.person.one_id))

    @strawberry.field(description="Among high-value customers: the sub-type by order frequency and ticket.")
    async def high_value_type(self, info: Info) -> HighValueTypeEnum | None:  # type: ignore[valid-type]
        return high_value_type_of(await info.context.loaders.user_tags.load(self.person.one_id))

    @strawberry.field(description="For a potential customer (no order yet): how much they want to buy.")
    async def intent(self, info: Info) -> Intent | None:
        return intent_of(await info.context.loaders.user_tags.load(self.person.one_id))

    @strawberry.field(description="The discovered segment the profile was last scored into.")
    async def segment(self, info: Info) -> SegmentMembership | None:
        loaders = info.context.loaders
        held = await loaders.user_tags.load(self.person.one_id)
        return segment_of(held, await loaders.segmentation.load("") if shipped.SEGMENT in held else None)

    @strawberry.field
    async def lifecycle(self, info: Info) -> Lifecycle:
        stage = await info.context.loaders.lifecycle.load(self.person.one_id)
        return Lifecycle(stage=stage.stage, since=stage.since, tier=stage.tier)


def _interaction(view: InteractionView) -> Interaction:
    return Interaction(
        event_id=view.event_id,
        at=view.ts,
        kind=view.kind,
        source=view.source,
        content_id=view.content_id,
        content=view.content,
        channel=view.channel_code,
    )


def _touch(view: TouchView) -> Touch:
    return Touch(
        event_id=view.event_id,
        at=view.ts,
        action=view.action,
        campaign_id=view.campaign_id,
        campaign=view.campaign,
        channel=view.channel,
        source=view.source,
    )


def _order(view: OrderView) -> Order:
    return Order(
        order_id=view.order_id,
        at=view.ts,
        amount=view.amount,
        currency=view.currency,
        channel=view.channel,
        source=view.source,
        items=[
            OrderItem(sku=i.sku, quantity=i.qty, price=i.price, product=OrderedProduct(sku=i.sku, properties=i.product))
            for i in view.items
        ],
    )


def profile_of(person: PersonView, asked: str | None = None) -> Profile:
    """The profile for an active Person; ``asked`` is the retired OneID the caller named, if any."""
    return Profile(person=person, redirected_from=asked if asked and asked != person.one_id else None)
