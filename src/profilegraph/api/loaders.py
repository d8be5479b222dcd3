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

from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig
from profilegraph.domain.valuation import ClvFigures, ClvModel
from profilegraph.services import profiles
from profilegraph.services.clv._common import today
from profilegraph.services.profiles import (
    AttributeValue,
    FactPage,
    IdentifierView,
    InteractionView,
    OrderView,
    PersonView,
)
from profilegraph.services.runtime import GraphRuntime
from profilegraph.settings import Settings

__all__ = ["Loaders"]

K = TypeVar("K")
V = TypeVar("V")


def _loader(load: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    async def batch(keys: list[K]) -> list[V]:
        return list(await load(keys))

    return DataLoader(load_fn=batch)


class Loaders:
    def __init__(self, runtime: GraphRuntime, settings: Settings, lifecycle_config: LifecycleConfig) -> None:
        store = runtime.store
        self._store = store
        self._settings = settings
        self._lifecycle = lifecycle_config
        self.as_of: date = today()
        self.person: DataLoader[str, PersonView | None] = _loader(lambda ids: profiles.persons(store, ids))
        self.by_identifier: DataLoader[str, str | None] = _loader(
            lambda keys: profiles.one_ids_by_identifier(store, keys)
        )
        self.by_order: DataLoader[str, str | None] = _loader(lambda ids: profiles.one_ids_by_order(store, ids))
        self.identifiers: DataLoader[str, list[IdentifierView]] = _loader(lambda ids: profiles.identifiers(store, ids))
        self.attributes: DataLoader[str, list[AttributeValue]] = _loader(lambda ids: profiles.attributes(store, ids))
        self.order_total: DataLoader[str, int] = _loader(lambda ids: profiles.order_totals(store, ids))
        self.interaction_total: DataLoader[str, int] = _loader(lambda ids: profiles.interaction_totals(store, ids))
        self._orders: dict[FactPage, DataLoader[str, list[OrderView]]] = {}
        self._interactions: dict[FactPage, DataLoader[str, list[InteractionView]]] = {}
        self._values: dict[int, DataLoader[str, tuple[ClvFigures, Lifecycle]]] = {}
        self._model: DataLoader[str, ClvModel | None] = _loader(self._latest_fit)

    async def _latest_fit(self, keys: list[str]) -> list[ClvModel | None]:
        model = await profiles.latest_model(self._store)
        return [model for _ in keys]

    def orders(self, page: FactPage) -> DataLoader[str, list[OrderView]]:
        if page not in self._orders:
            self._orders[page] = _loader(lambda ids: profiles.orders(self._store, ids, page))
        return self._orders[page]

    def interactions(self, page: FactPage) -> DataLoader[str, list[InteractionView]]:
        if page not in self._interactions:
            self._interactions[page] = _loader(lambda ids: profiles.interactions(self._store, ids, page))
        return self._interactions[page]

    def values(self, horizon_days: int) -> DataLoader[str, tuple[ClvFigures, Lifecycle]]:
        """CLV figures and lifecycle over ``horizon_days``, from the newest fit."""
        if horizon_days not in self._values:

            async def load(ids: list[str]) -> list[tuple[ClvFigures, Lifecycle]]:
                model = await self._model.load("latest")
                return await profiles.values(
                    self._store,
                    model,
                    ids,
                    as_of=self.as_of,
                    horizon_days=horizon_days,
                    lifecycle_config=self._lifecycle,
                )

            self._values[horizon_days] = _loader(load)
        return self._values[horizon_days]

    @property
    def default_horizon(self) -> int:
        return self._settings.clv_horizon_days
