"""What a person typed into one search box, read as every identifier it could be.

Customer service types a phone in any spelling, an e-mail, a member id, an order
number or a OneID, without saying which. Each configured identifier type whose
normaliser accepts the text gives one candidate key, so ``138 0013 8001`` is looked up
as a phone and as a member id alike; ``type:value`` names one type outright.
"""

from __future__ import annotations

from dataclasses import dataclass

from profilegraph.domain.identifiers import IdentifierKey, IdentityConfig, split_key
from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = ["MAX_SEARCH_LENGTH", "SearchCandidates", "search_candidates"]

MAX_SEARCH_LENGTH = 256


@dataclass(frozen=True)
class SearchCandidates:
    text: str  # as typed, trimmed: also tried as a OneID and as an order id
    keys: tuple[IdentifierKey, ...]  # normalised identifier keys, in the configured types' order


def search_candidates(config: IdentityConfig, typed: str) -> SearchCandidates:
    """The identifier keys ``typed`` can stand for; InvalidInputError for an empty or overlong text."""
    text = typed.strip()
    if not text:
        raise InvalidInputError("type a phone, an e-mail, an order number or an account id", field="query")
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInputError(
            f"the search text is longer than {MAX_SEARCH_LENGTH} characters",
            field="query",
            code=ErrorCode.VALUE_TOO_LONG,
        )
    written = text.partition(":")[0]
    if written in config.types:
        return SearchCandidates(text, (config.normalise(written, split_key(text).value).key,))
    keys: list[IdentifierKey] = []
    for type_name in sorted(config.types):
        try:
            key = config.normalise(type_name, text).key
        except InvalidInputError:
            continue  # not a value of this type
        if key not in keys:
            keys.append(key)
    return SearchCandidates(text, tuple(keys))
