"""What every command shares: settings, running async work on the graph, JSON output."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import Any, BinaryIO, TypeVar

import click

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import InvalidInputError, ProfileGraphError
from profilegraph.services.config import identity_config
from profilegraph.services.runtime import GraphRuntime, open_graph
from profilegraph.settings import Settings, load_settings

__all__ = [
    "echo_json",
    "identifier_key",
    "load_cli_settings",
    "open_output",
    "parse_date",
    "run_async",
    "with_graph",
]

T = TypeVar("T")


def load_cli_settings() -> Settings:
    """The settings, or one line naming each bad variable and a non-zero exit."""
    try:
        return load_settings()
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def run_async(coroutine: Coroutine[Any, Any, T], *, on_interrupt: str | None = None) -> T:
    """Run a command's coroutine; a ProfileGraphError ends the command with its code and message.

    Ctrl-C cancels the work at once (an open transaction rolls back, a graph server
    started for the command stops) and says what stays; ``on_interrupt`` adds how to go on.
    """
    try:
        return asyncio.run(coroutine)
    except ProfileGraphError as exc:
        click.echo(f"error [{exc.code}]: {exc.message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(
            "\ninterrupted: whatever was committed before stays, and the transaction under way was rolled back"
            + (f"; {on_interrupt}" if on_interrupt else ""),
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)


def _identity_config(settings: Settings) -> IdentityConfig:
    """The identity rules, read once per command however many arguments and steps need them."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return identity_config(settings)
    root = ctx.find_root()
    if "identity_config" not in root.meta:
        root.meta["identity_config"] = identity_config(settings)
    config: IdentityConfig = root.meta["identity_config"]
    return config


def with_graph(
    action: Callable[[GraphRuntime, IdentityConfig], Awaitable[T]],
    *,
    migrate: bool = True,
    on_interrupt: str | None = None,
) -> T:
    """Open the configured graph (or the data directory's embedded server) and run ``action`` on it."""
    settings = load_cli_settings()

    config = _identity_config(settings)

    async def run() -> T:
        async with open_graph(settings, migrate=migrate) as runtime:
            return await action(runtime, config)

    return run_async(run(), on_interrupt=on_interrupt)


def identifier_key(ctx: click.Context, param: click.Parameter, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """A click callback: identifier keys (``type:value``) normalised as ingestion does, so a
    mistyped one is refused at once, before any graph server is started."""
    try:
        config = _identity_config(load_cli_settings())
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc
    try:
        if isinstance(value, tuple):
            return tuple(config.normalise_key(item) for item in value)
        return config.normalise_key(value)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.message, ctx=ctx, param=param) from None


def open_output(path: str) -> BinaryIO:
    """Open a file the command will write, before it does any work: a path it cannot
    write is one clear error now, not a traceback after an hour's import."""
    try:
        return open(path, "wb")
    except OSError as exc:
        raise click.FileError(path, hint=exc.strerror or str(exc)) from None


def _plain(value: object) -> object:
    """What JSON cannot hold, as a person reads it: sets as sorted lists, dates as ISO text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_plain))


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
