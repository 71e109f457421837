"""The benchmark's population written straight into the database (`BENCH_PRELOAD=direct`).

Why: through the server's `/Bulk` the preload runs at a few hundred users a second, so a
million users took an hour before the first request was measured. Here each of the shared
load generator's documents (`scimload.user_body`, named by `scimload.pop_name`) goes through
the app's own validation and row derivation (`population.insert_users`) and the rows are
inserted in batches, a few thousand users a second. Then scimload's `--state-dir` cache is
written where scimload looks for it (`scimload._state_path`, its own function), so
`scimload.py --population N` finds the users, checks three of them over HTTP and reuses them.
That path hashes the server's base URL: the caller knows its port before the server starts.

What differs from `/Bulk`: no per-user `seat.claimed` audit row (no benchmarked request
reads the audit log); the pool's `assigned` is kept equal to the active users, as `/Bulk`
keeps it.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from population import BATCH, insert_users

if TYPE_CHECKING:
    from app.db import Database

POP_PREFIX = "pop"  # scimload's default --pop-prefix


def load_scimload(shared: Path) -> ModuleType:
    """The shared load generator as a module, imported by path (it is not copied here)."""
    if str(shared) not in sys.path:
        sys.path.insert(0, str(shared))
    import scimload

    return scimload


def preload(url: str, org_slug: str, count: int, scim_base: str, state_dir: Path,
            shared: Path) -> None:
    """Writes `count` scimload users into the org, and scimload's cache of them.
    PostgreSQL's planner statistics are the caller's (`ANALYZE`, as after `/Bulk`)."""
    from app.db import Database

    scimload = load_scimload(shared)
    cfg = {"base_url": scim_base, "pop_prefix": POP_PREFIX, "state_dir": str(state_dir)}
    db = Database(url)
    try:
        org_id = _org_id(db, org_slug)
        users: list[list[str]] = []
        for docs in _batches(scimload, cfg, count):
            with db.transaction() as session:
                users.extend([user_id, name] for user_id, name in insert_users(session, org_id, docs))
    finally:
        db.dispose()
    _write_state(Path(scimload._state_path(cfg)), scim_base, users)


def _org_id(db: Database, slug: str) -> str:
    from seats.orgs import org_by_slug

    with db.transaction(write=False) as session:
        org_id: str = org_by_slug(session, slug).id
    return org_id


def _batches(scimload: ModuleType, cfg: dict[str, str], count: int
             ) -> Iterator[list[dict[str, Any]]]:
    """scimload's own bodies, in its name order: the cache lists users sorted by name."""
    for start in range(0, count, BATCH):
        yield [json.loads(scimload.user_body(scimload.pop_name(cfg, i), i))
               for i in range(start, min(start + BATCH, count))]


def _write_state(path: Path, scim_base: str, users: list[list[str]]) -> None:
    """The file `bulk_preload.py` writes: {"base_url", "users": [[id, userName], ...]}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"base_url": scim_base, "users": users}))
