"""Schema migrations: the numbered Cypher files of ``graph_schema/``, applied in order once.

A file ``0003_what_it_does.cypher`` holds statements separated by ``;`` at the end
of a line; ``//`` comment lines are dropped. Each applied file is recorded as a
``(:SchemaMigration {version, name, applied_at})`` node, so a migration runs once
per database however often ``migrate`` or the service's startup runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import LiteralString, cast

from profilegraph.errors import MigrationError
from profilegraph.store.ports import GraphAccess

__all__ = [
    "Migration",
    "MigrationStatus",
    "apply_migrations",
    "load_migrations",
    "migration_status",
    "schema_directory",
]

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")

APPLIED_VERSIONS: LiteralString = "MATCH (m:SchemaMigration) RETURN m.version AS version ORDER BY version"
RECORD_MIGRATION: LiteralString = """
MERGE (m:SchemaMigration {version: $version})
SET m.name = $name, m.applied_at = $applied_at
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class MigrationStatus:
    applied: tuple[int, ...]
    pending: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return not self.pending


def schema_directory() -> Path:
    """Where the migration files are: inside an installed wheel, or the source checkout."""
    packaged = resources.files("profilegraph") / "graph_schema"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "graph_schema"


def split_statements(text: str) -> tuple[str, ...]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    statements = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return tuple(statement.strip() for statement in statements if statement.strip())


def load_migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or schema_directory()
    if not directory.is_dir():
        raise MigrationError(f"The schema directory {directory} does not exist")
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.cypher")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake_case.cypher")
        migrations.append(Migration(int(match[1]), match[2], split_statements(path.read_text(encoding="utf-8"))))
    versions = [migration.version for migration in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"Two migration files in {directory} share a version number")
    return migrations


async def _applied_versions(store: GraphAccess) -> set[int]:
    return {int(record["version"]) for record in await store.query(APPLIED_VERSIONS)}


async def migration_status(store: GraphAccess, migrations: list[Migration] | None = None) -> MigrationStatus:
    migrations = load_migrations() if migrations is None else migrations
    applied = await _applied_versions(store)
    return MigrationStatus(
        applied=tuple(sorted(applied)),
        pending=tuple(m.version for m in migrations if m.version not in applied),
    )


async def apply_migrations(store: GraphAccess, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration in version order; return the ones applied now."""
    migrations = load_migrations() if migrations is None else migrations
    applied = await _applied_versions(store)
    done: list[Migration] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        for statement in migration.statements:
            try:
                # Schema statements cannot share a transaction with data writes on Neo4j,
                # so each runs alone; all of them are idempotent (IF NOT EXISTS). They are
                # read from the package's own graph_schema/ files, never from input, which
                # is why this one text may stand where a literal is required.
                await store.execute(cast(LiteralString, statement))  # type: ignore[redundant-cast]
            except Exception as exc:
                raise MigrationError(
                    f"Migration {migration.version:04d}_{migration.name} failed on:\n{statement}\n{exc}"
                ) from exc
        await store.execute(
            RECORD_MIGRATION,
            version=migration.version,
            name=migration.name,
            applied_at=datetime.now(UTC).isoformat(),
        )
        done.append(migration)
    return done
