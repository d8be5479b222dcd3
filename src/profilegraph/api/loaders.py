"""Per-request DataLoaders: every access path of the profile, batched.

Resolvers ask a loader for one key; the loader answers every key asked for in the same
tick with one call to the profile service, so a page of 50 profiles costs the round
trips of one. Loaders live for one request, so nothing is served from another caller's cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar

from strawberry.dataloader import DataLoader

from profilegraph.domain.affinity import Affinity
from profilegraph.domain.diagnosis.segments import Segmentation
from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig
from profilegraph.domain.resolution import Household
from profilegraph.domain.tags import ObjectType, TagValue
from profilegraph.domain.valuation import ClvFigures
from profilegraph.services import profiles
from profilegraph.services.affinities import affinities_of
from profilegraph.services.catalog import CatalogObject, catalog_objects
from profilegraph.services.clv._common import today
from profilegraph.services.diagnosis.models import latest_segmentation
from profilegraph.services.households import households_of_many
from profilegraph.services.profiles import (
    FactPage,
    InteractionView,
    OrderView,
    PersonView,
    TouchView,
    ValueInputs,
)
from profilegraph.services.runtime import GraphRuntime
from profilegraph.services.tags import catalog_tags, user_tags
from profilegraph.settings import Settings

__all__ = ["Loaders"]

K = TypeVar("K")
V = TypeVar("V")


def _loader(load: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    async def batch(keys: list[K]) -> list[V]:
        return list(await load(keys))

    return DataLoader(load_fn=batch)


async def _same_for_every_key(keys: list[K], found: Awaitable[V]) -> list[V]:
    value = await found
    return [value for _ in keys]


class Loaders:
    def __init__(self, runtime: GraphRuntime, settings: Settings, lifecycle_config: LifecycleConfig) -> None:
        store = runtime.store
        self._store = store
        self._settings = settings
        self._lifecycle = lifecycle_config
        self.as_of: date = today()
        self.person: DataLoader[str, PersonView | None] = _loader(lambda ids: profiles.persons(store, ids))
        self.by_identifier: DataLoader[str, PersonView | None] = _loader(self._persons_by_identifier)
        self.by_order: DataLoader[str, str | None] = _loader(lambda ids: profiles.one_ids_by_order(store, ids))
        self.order_total: DataLoader[str, int] = _loader(lambda ids: profiles.order_totals(store, ids))
        self.interaction_total: DataLoader[str, int] = _loader(lambda ids: profiles.interaction_totals(store, ids))
        self.shared_order_total: DataLoader[str, int] = _loader(
            lambda ids: profiles.order_totals(store, ids, shared=True)
        )
        self.shared_interaction_total: DataLoader[str, int] = _loader(
            lambda ids: profiles.interaction_totals(store, ids, shared=True)
        )
        self.touch_total: DataLoader[str, int] = _loader(lambda ids: profiles.touch_totals(store, ids))
        self._touches: dict[FactPage, DataLoader[str, list[TouchView]]] = {}
        self._orders: dict[FactPage, DataLoader[str, list[OrderView]]] = {}
        self._interactions: dict[FactPage, DataLoader[str, list[InteractionView]]] = {}
        self.value_inputs: DataLoader[str, ValueInputs] = _loader(lambda ids: profiles.value_inputs(store, ids))
        self._figures: dict[int, DataLoader[str, ClvFigures]] = {}
        self.lifecycle: DataLoader[str, Lifecycle] = _loader(self._lifecycles)
        self.households: DataLoader[str, list[Household]] = _loader(lambda ids: households_of_many(store, ids))
        self.user_tags: DataLoader[str, dict[str, TagValue]] = _loader(lambda ids: user_tags(store, ids))
        self.affinities: DataLoader[str, list[Affinity]] = _loader(
            lambda ids: affinities_of(store, ids, as_of=self.as_of, half_life_days=settings.affinity_half_life_days)
        )
        # one key: the segmentation in force, read once per request
        self.segmentation: DataLoader[str, Segmentation | None] = _loader(
            lambda keys: _same_for_every_key(keys, latest_segmentation(store))
        )
        self._catalog: dict[ObjectType, DataLoader[str, CatalogObject | None]] = {}
        self._catalog_tags: dict[ObjectType, DataLoader[str, dict[str, TagValue]]] = {}

    async def _persons_by_identifier(self, keys: list[str]) -> list[PersonView | None]:
        found = await profiles.persons_by_identifier(self._store, keys)
        for person in found:
            if person is not None:  # the profile's own fields need no second read
                self.person.prime(person.one_id, person)
        return found

    def orders(self, page: FactPage) -> DataLoader[str, list[OrderView]]:
        if page not in self._orders:
            self._orders[page] = _loader(lambda ids: profiles.orders(self._store, ids, page))
        return self._orders[page]

    def interactions(self, page: FactPage) -> DataLoader[str, list[InteractionView]]:
        if page not in self._interactions:
            self._interactions[page] = _loader(lambda ids: profiles.interactions(self._store, ids, page))
        return self._interactions[page]

    def touches(self, page: FactPage) -> DataLoader[str, list[TouchView]]:
        if page not in self._touches:
            self._touches[page] = _loader(lambda ids: profiles.touches(self._store, ids, page))
        return self._touches[page]

    def catalog(self, kind: ObjectType) -> DataLoader[str, CatalogObject | None]:
        if kind not in self._catalog:
            self._catalog[kind] = _loader(lambda keys: catalog_objects(self._store, kind, keys))
        return self._catalog[kind]

    def catalog_tags(self, kind: ObjectType) -> DataLoader[str, dict[str, TagValue]]:
        if kind not in self._catalog_tags:
            self._catalog_tags[kind] = _loader(lambda keys: catalog_tags(self._store, kind, keys))
        return self._catalog_tags[kind]

    def figures(self, horizon_days: int) -> DataLoader[str, ClvFigures]:
        """CLV figures over ``horizon_days``, from the newest fit."""
        if horizon_days not in self._figures:

            async def load(ids: list[str]) -> list[ClvFigures]:
                inputs = await self.value_inputs.load_many(ids)
                return [i.figures(as_of=self.as_of, horizon_days=horizon_days) for i in inputs]

            self._figures[horizon_days] = _loader(load)
        return self._figures[horizon_days]

    async def _lifecycles(self, ids: list[str]) -> list[Lifecycle]:
        inputs = await self.value_inputs.load_many(ids)
        figures = await self.figures(self.default_horizon).load_many(ids)
        return [
            i.lifecycle(clv, as_of=self.as_of, lifecycle_config=self._lifecycle)
            for i, clv in zip(inputs, figures, strict=True)
        ]

    @property
    def default_horizon(self) -> int:
        return self._settings.clv_horizon_days
