"""``profilegraph token`` and ``profilegraph apikey``: credentials for the API."""

from __future__ import annotations

import click

from profilegraph.cli._common import echo_json, load_cli_settings, with_graph
from profilegraph.domain.access import SCOPES, Role
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import ProfileGraphError
from profilegraph.services.runtime import GraphRuntime

__all__ = ["apikey", "console_link", "token"]

_ROLES = click.Choice([role.value for role in Role])
_SCOPES = click.Choice(sorted(SCOPES))


@click.command()
@click.option("--role", required=True, type=_ROLES, help="What the token may do.")
@click.option("--scope", "scopes", multiple=True, type=_SCOPES, help="Extra permission, such as pii:read.")
@click.option(
    "--subject",
    default=None,
    help="Who the token names: an identifier key (phone:+86...) for an app token, a person's name otherwise "
    "[default: dev-ROLE].",
)
@click.option("--hours", default=12.0, type=click.FloatRange(min=0.01), show_default=True)
def token(role: str, scopes: tuple[str, ...], subject: str | None, hours: float) -> None:
    """Print a bearer token signed with the configured secret, or the development secret.

    Send it as `Authorization: Bearer TOKEN`. With no keys configured, the secret is the
    random one the data directory keeps (created on first use); production configures its own.
    """
    from profilegraph.services import credentials  # PyJWT and its crypto load only for these commands

    settings = load_cli_settings()
    try:
        signed = credentials.issue_token(
            settings, Role(role), subject=subject or f"dev-{role}", scopes=scopes, hours=hours
        )
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(signed)


@click.command("console-link")
@click.option("--role", required=True, type=_ROLES, help="What the console may do: service, admin, ...")
@click.option("--scope", "scopes", multiple=True, type=_SCOPES, help="Extra permission, such as pii:read.")
@click.option("--subject", default=None, help="Who signs in, as audit entries name them [default: dev-ROLE].")
@click.option("--minutes", default=10.0, type=click.FloatRange(min=0.1), show_default=True, help="Link lifetime.")
@click.option("--hours", default=8.0, type=click.FloatRange(min=0.01), show_default=True, help="Session length.")
@click.option("--url", default=None, help="The service's address [default: http://HOST:PORT from the settings].")
def console_link(
    role: str, scopes: tuple[str, ...], subject: str | None, minutes: float, hours: float, url: str | None
) -> None:
    """Print a one-time link that signs a browser into the console at /console.

    The link works once and for a few minutes; the browser then holds an ordinary token of
    the role and scopes for the session. It is signed like `profilegraph token`, so it needs
    the development secret or PROFILEGRAPH_JWT_SECRET.
    """
    from profilegraph.services.sign_in import issue_sign_in_ticket

    settings = load_cli_settings()
    try:
        ticket = issue_sign_in_ticket(
            settings, Role(role), subject=subject or f"dev-{role}", scopes=scopes, minutes=minutes, session_hours=hours
        )
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    click.echo(f"{base}/console/#sign-in={ticket}")


@click.group()
def apikey() -> None:
    """Create, list and revoke API keys for pipelines (only a hash of each is kept)."""


@apikey.command("create")
@click.option("--role", required=True, type=_ROLES, help="What the key may do (pipelines use ingest).")
@click.option("--name", required=True, help="Who or what uses the key; audit entries name it.")
@click.option("--scope", "scopes", multiple=True, type=_SCOPES)
def create_command(role: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it once: it cannot be shown again."""
    from profilegraph.services import credentials

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> credentials.CreatedApiKey:
        return await credentials.create_api_key(runtime.store, role=Role(role), name=name, scopes=scopes)

    created = with_graph(action)
    click.echo(created.key)
    click.echo(
        f"API key {created.stored.key_id} ({created.stored.name}, role {created.stored.role}) created; "
        "this is the only time it is shown. Send it as X-API-Key or Authorization: Bearer.",
        err=True,
    )


@apikey.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """List the keys: id, name, role, scopes, created and revoked (never the keys themselves)."""
    from profilegraph.services import credentials

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[dict[str, object]]:
        return [
            {
                "key_id": key.key_id,
                "name": key.name,
                "role": key.role,
                "scopes": list(key.scopes),
                "created_at": key.created_at,
                "revoked_at": key.revoked_at,
            }
            for key in await credentials.list_api_keys(runtime.store)
        ]

    keys = with_graph(action)
    if as_json:
        echo_json(keys)
        return
    if not keys:
        click.echo("no API keys")
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        scopes = ",".join(key["scopes"]) or "-"  # type: ignore[arg-type]
        click.echo(f"{key['key_id']}  {key['name']}  {key['role']}  {scopes}  created {key['created_at']}  {state}")


@apikey.command("revoke")
@click.argument("key")
def revoke_command(key: str) -> None:
    """Revoke a key by its id or name; services stop accepting it within PROFILEGRAPH_API_KEY_CACHE_SECONDS."""
    from profilegraph.services import credentials

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[str]:
        return await credentials.revoke_api_key(runtime.store, key)

    for key_id in with_graph(action):
        click.echo(f"revoked {key_id}")
