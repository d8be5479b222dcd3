"""docs/events.md, docs/events.schema.json and the importer say the same thing.

Every example line of the document must pass the schema and be accepted by the
importer; every line the document shows as rejected must fail both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from profilegraph.domain.events import Event, Rejection, parse_line
from profilegraph.domain.identifiers import IdentityConfig

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA = Draft202012Validator(json.loads((DOCS / "events.schema.json").read_text(encoding="utf-8")))
BLOCK = re.compile(r"^```json( rejected)?\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples(rejected: bool) -> list[str]:
    text = (DOCS / "events.md").read_text(encoding="utf-8")
    return [
        line
        for match in BLOCK.finditer(text)
        if bool(match.group(1)) == rejected
        for line in match.group(2).splitlines()
        if line.strip()
    ]


def _schema_errors(event: Any) -> list[str]:
    return [error.message for error in SCHEMA.iter_errors(event)]


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA.schema)


def test_the_document_has_examples_of_every_event_type_and_of_rejections() -> None:
    types = {json.loads(line)["type"] for line in _examples(rejected=False)}
    assert types == {"identify", "order", "interaction", "touch", "product", "content", "channel", "campaign"}
    assert len(_examples(rejected=True)) >= 8


@pytest.mark.parametrize("line", _examples(rejected=False))
def test_every_documented_event_passes_the_schema_and_goes_in(line: str) -> None:
    assert _schema_errors(json.loads(line)) == []
    assert isinstance(parse_line(line, 1, IdentityConfig()), Event)


@pytest.mark.parametrize("line", _examples(rejected=True))
def test_every_documented_rejection_fails_the_schema_and_the_importer(line: str) -> None:
    assert _schema_errors(json.loads(line)) != []
    assert isinstance(parse_line(line, 1, IdentityConfig()), Rejection)
