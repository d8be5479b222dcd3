"""The ``profilegraph`` command line: the group, and the commands of each module added to it."""

from __future__ import annotations

import logging

import click

from profilegraph import __version__
from profilegraph.cli import access, identity, server
from profilegraph.cli.clv import clv
from profilegraph.cli.diagnosis import models, segments
from profilegraph.cli.tags import tags

__all__ = ["main"]


@click.group()
@click.version_option(__version__, prog_name="profilegraph")
@click.option("-v", "--verbose", is_flag=True, help="Log what the command does.")
def main(verbose: bool) -> None:
    """profilegraph: OneID identity resolution and unified customer profiles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for command in (
    server.serve,
    server.migrate,
    access.token,
    access.console_link,
    access.apikey,
    identity.import_command,
    identity.resolve_command,
    identity.export_command,
    identity.merge_command,
    identity.split_command,
    identity.block_command,
    identity.unblock_command,
    identity.explain_command,
    identity.history_command,
    identity.household_command,
    identity.conflicts_command,
    clv,
    tags,
    models,
    segments,
):
    main.add_command(command)
