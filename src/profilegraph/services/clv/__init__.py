"""CLV use cases: fit the population models, a profile's figures, audiences and the value map."""

from __future__ import annotations

from profilegraph.services.clv.audience import ProfileRow, ValueMap, list_profiles, value_map
from profilegraph.services.clv.fit import fit_population
from profilegraph.services.clv.profile import ProfileValue, profile_value

__all__ = ["ProfileRow", "ProfileValue", "ValueMap", "fit_population", "list_profiles", "profile_value", "value_map"]
