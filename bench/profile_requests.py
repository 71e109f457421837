"""In-process CPU cost of SCIM requests: the Flask test client against an SQLite file.

Why: `scim_bench.py` measures the real server over HTTP, where gunicorn, the network stack
and the clients share the cores with the app, so a 0.5 ms saving in the app is lost in the
noise. This script leaves all of that out: each request is one call of the Flask test client
in this process, so the time printed is the app's own work per request (routing, auth,
SQLAlchemy, rendering) plus SQLite. Its main figure is this process's CPU time, which other
jobs on a shared machine hardly disturb; the wall time is printed next to it. It builds a
directory of `--users` users, a share of them in groups, some of those groups nested two
levels deep, and times each scenario in `--rounds` rounds of `--requests` requests.

`--profile SCENARIO` runs one more round of that scenario under cProfile and prints its top
functions. It prints figures and asserts nothing (a request that answers an unexpected status
stops the run, since its time would mean nothing); see bench/README.md.
Run from the repository root: `.venv/bin/python bench/profile_requests.py --help`.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `tests.live_server` is not an installed package

from population import PATCH_URN, SCIM_JSON, Tenant, create_tenant, now_utc, preload, user_document

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from sqlalchemy.orm import Session

    from app.db import Database

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
TEAM_SIZE = 100
TEAMS_PER_DEPARTMENT = 5


@dataclass(frozen=True)
class Config:
    users: int
    grouped: float
    rounds: int
    requests: int
    scenarios: tuple[str, ...]
    profile: str | None
    sort: str
    seed: int
    calls: bool
    sql: str | None


@dataclass(frozen=True)
class Directory:
    """What the scenarios pick from: every user, and the users reached through nesting."""

    tenant: Tenant
    nested_user_ids: list[str]


Request = Callable[["FlaskClient"], None]
"""One request of a scenario; raises when the answer is not the expected one."""


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        description="Time SCIM requests in-process (Flask test client, SQLite); prints figures, "
        "asserts nothing.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=10_000, help="users preloaded")
    parser.add_argument("--grouped", type=float, default=0.3,
                        help="share of the users that are direct members of a team group")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per scenario")
    parser.add_argument("--requests", type=int, default=200,
                        help="requests per round (list pages: a tenth of it)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help="comma-separated scenarios to time, of: " + ", ".join(SCENARIOS))
    parser.add_argument("--profile", choices=sorted(SCENARIOS), default=None,
                        help="also run one round of this scenario under cProfile")
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="tottime",
                        help="cProfile sort order")
    parser.add_argument("--seed", type=int, default=1, help="seeds the ids, names and pages picked")
    parser.add_argument("--calls", action="store_true",
                        help="also count Python calls (cProfile) and SQL statements per request: "
                        "figures the machine's load does not move")
    parser.add_argument("--sql", choices=sorted(SCENARIOS), default=None,
                        help="also print the SQL statements of one request of this scenario")
    args = parser.parse_args(argv)
    if args.users < TEAM_SIZE or not 0 <= args.grouped <= 1:
        parser.error(f"need --users >= {TEAM_SIZE} and 0 <= --grouped <= 1")
    if args.rounds < 1 or args.requests < 10:
        parser.error("need --rounds >= 1 and --requests >= 10")
    scenarios = tuple(name.strip() for name in args.only.split(",") if name.strip())
    if not set(scenarios) <= SCENARIOS.keys():
        parser.error(f"--only takes scenarios of: {', '.join(SCENARIOS)}")
    if "get-nested" in scenarios and args.users * args.grouped < TEAM_SIZE:
        parser.error(f"get-nested needs --users x --grouped of at least {TEAM_SIZE} (one team)")
    return Config(args.users, args.grouped, args.rounds, args.requests, scenarios, args.profile,
                  args.sort, args.seed, args.calls, args.sql)


# --------------------------------------------------------------------------- the directory


def _group(session: Session, org_id: str, name: str) -> str:
    from scim.groups import create_group
    from scim.users import WriteContext

    ctx = WriteContext(org_id=org_id, actor="bench-preload", now=now_utc())
    return create_group(session, {"schemas": [GROUP_URN], "displayName": name}, ctx).id


def add_groups(db: Database, tenant: Tenant, grouped: float) -> list[str]:
    """Teams of TEAM_SIZE users over the first `grouped` share of the users; every
    TEAMS_PER_DEPARTMENT teams form a department, and the first department sits in a
    "company" group. Returns the users of that first department (in three groups each)."""
    from scim import memberships
    from scim.memberships import GROUP, USER, Member

    user_ids = [user_id for user_id, _ in tenant.users]
    members = user_ids[: int(len(user_ids) * grouped)]
    teams = [members[i : i + TEAM_SIZE] for i in range(0, len(members), TEAM_SIZE)]
    with db.transaction() as session:
        company = _group(session, tenant.org_id, "company")
        departments: list[str] = []
        for number, team in enumerate(teams):
            if number % TEAMS_PER_DEPARTMENT == 0:
                departments.append(_group(session, tenant.org_id, f"department {len(departments)}"))
            team_id = _group(session, tenant.org_id, f"team {number}")
            memberships.add(session, tenant.org_id, team_id, [Member(u, USER) for u in team])
            memberships.add(session, tenant.org_id, departments[-1], [Member(team_id, GROUP)])
        if departments:
            memberships.add(session, tenant.org_id, company, [Member(departments[0], GROUP)])
    return [u for team in teams[:TEAMS_PER_DEPARTMENT] for u in team]


def build(db: Database, config: Config) -> Directory:
    tenant = create_tenant(db, "profile")
    seconds = preload(db, tenant, "u", config.users)
    nested = add_groups(db, tenant, config.grouped)
    print(f"# {config.users:,} users ({seconds:.1f} s), {config.grouped:.0%} in team "
          f"groups, {len(nested):,} of them also in two nested groups", flush=True)
    return Directory(tenant, nested)


# --------------------------------------------------------------------------- scenarios


def _check(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.path} answered "
                         f"{response.status_code}, not {status}: {response.get_data()[:300]!r}")
    return response


def _get(directory: Directory, rng: random.Random) -> Request:
    ids = [user_id for user_id, _ in directory.tenant.users]
    return lambda client: _check(client.get(f"/scim/v2/Users/{rng.choice(ids)}"), 200)


def _get_nested(directory: Directory, rng: random.Random) -> Request:
    ids = directory.nested_user_ids
    return lambda client: _check(client.get(f"/scim/v2/Users/{rng.choice(ids)}"), 200)


def _filter(directory: Directory, rng: random.Random) -> Request:
    names = [name for _, name in directory.tenant.users]

    def request(client: FlaskClient) -> None:
        query = {"filter": f'userName eq "{rng.choice(names)}"'}
        body = _check(client.get("/scim/v2/Users", query_string=query), 200).get_json()
        if body["totalResults"] != 1:
            raise SystemExit(f"the filter matched {body['totalResults']} users, not 1")

    return request


def _list(directory: Directory, rng: random.Random) -> Request:
    pages = len(directory.tenant.users) // 100

    def request(client: FlaskClient) -> None:
        query = {"startIndex": rng.randrange(pages) * 100 + 1, "count": 100}
        _check(client.get("/scim/v2/Users", query_string=query), 200)

    return request


def _patch(directory: Directory, rng: random.Random) -> Request:
    """Toggles `active` of random users: each request frees or claims a seat."""
    active = {user_id: True for user_id, _ in directory.tenant.users}

    def request(client: FlaskClient) -> None:
        user_id = rng.choice(list(active))
        active[user_id] = not active[user_id]
        body = {"schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "path": "active", "value": active[user_id]}]}
        _check(client.patch(f"/scim/v2/Users/{user_id}", json=body, content_type=SCIM_JSON), 200)

    return request


def _post(directory: Directory, rng: random.Random) -> Request:
    numbers = iter(range(10**9))
    tag = f"p{rng.randrange(10**6)}"
    return lambda client: _check(
        client.post("/scim/v2/Users", json=user_document(tag, next(numbers)),
                    content_type=SCIM_JSON), 201)


SCENARIOS: dict[str, tuple[str, Callable[[Directory, random.Random], Request], int]] = {
    # name: (title, request factory, divisor of --requests per round)
    "get": ("GET /Users/{id}", _get, 1),
    "get-nested": ("GET /Users/{id}, user in nested groups", _get_nested, 1),
    "filter": ('GET /Users?filter=userName eq "..."', _filter, 1),
    "list": ("GET /Users?count=100 (one page)", _list, 10),
    "patch": ("PATCH /Users/{id} active", _patch, 1),
    "post": ("POST /Users", _post, 1),
}


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Round:
    """Milliseconds per request: CPU time of this process (SQLite runs in it, so this is
    the whole cost of a request, and other jobs on the machine barely move it) and wall."""

    cpu_ms: float
    wall_ms: float


def _round(client: FlaskClient, request: Request, count: int) -> Round:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        request(client)
    return Round((time.process_time() - cpu) * 1000 / count,
                 (time.perf_counter() - wall) * 1000 / count)


def time_scenario(client: FlaskClient, request: Request, count: int, rounds: int) -> list[Round]:
    _round(client, request, max(1, count // 10))  # warm-up: statement caches, first connection
    return [_round(client, request, count) for _ in range(rounds)]


def summary(title: str, rounds: list[Round]) -> str:
    cpu = sorted(r.cpu_ms for r in rounds)
    wall = statistics.median(r.wall_ms for r in rounds)
    return f"{title:44} {statistics.median(cpu):8.2f} {cpu[0]:8.2f} {wall:9.2f}"


def profile(client: FlaskClient, request: Request, count: int, sort: str) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(_round, client, request, count)
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(sort).print_stats(int(os.environ.get("PROFILE_TOP", "20")))


def count_calls(client: FlaskClient, twin: FlaskClient, request: Request,
                count: int) -> tuple[float, float]:
    """(Python calls, SQL statements) per request, each over one round. CPU time on a
    shared machine moves with its load; these counts do not, so they show a change of a
    few per cent that the timings cannot. The statements are counted on `twin`, an app of
    its own on the same database: SQLAlchemy keeps an engine's events switched on once a
    listener was added, removed or not, and that costs calls on every statement, so the
    listener that counts must never touch the engine whose calls and times are measured."""
    from sqlalchemy import event

    profiler = cProfile.Profile()
    profiler.runcall(_round, client, request, count)
    calls: int = pstats.Stats(profiler).total_calls
    statements = 0

    def seen(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    engine = twin.application.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        _round(twin, request, count)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return calls / count, statements / count


def print_statements(client: FlaskClient, request: Request) -> None:
    """What one request asks of the database, in order: the count per request says how
    many, this says which, so a change that removes one can be seen removing it."""
    from sqlalchemy import event

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        print("  " + " ".join(statement.split())[:160])

    engine = client.application.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        request(client)
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _app(url: str, directory: Directory) -> tuple[Flask, FlaskClient]:
    """The app, with request limits checked on every request, as in production, but never
    reached; and its test client, authenticated as the tenant."""
    from app.factory import create_app
    from app.settings import Settings
    from tests.live_server import UNLIMITED_SETTINGS

    app = create_app(Settings(database_url=url, **UNLIMITED_SETTINGS))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {directory.tenant.token}"
    return app, client


def run(config: Config) -> None:
    from app.db import Database
    from app.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="scim-profile-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'profile.db'}"
        upgrade(url)
        db = Database(url)
        directory = build(db, config)
        db.dispose()
        app, client = _app(url, directory)
        twin = _app(url, directory)[1]  # statements are counted there (count_calls)
        rng = random.Random(config.seed)
        print(f"{'ms per request, ' + str(config.rounds) + ' rounds':44} {'cpu p50':>8} "
              f"{'cpu min':>8} {'wall p50':>9}")
        for name in config.scenarios:
            title, make, divisor = SCENARIOS[name]
            count = config.requests // divisor
            timings = time_scenario(client, make(directory, rng), count, config.rounds)
            line = summary(title, timings)
            if config.calls:
                calls, statements = count_calls(client, twin, make(directory, rng), count)
                line += f"  {calls:8,.0f} calls {statements:5.1f} SQL"
            print(line, flush=True)
        if config.profile is not None:
            title, make, divisor = SCENARIOS[config.profile]
            print(f"\n# cProfile of {config.requests // divisor} x {title}, by {config.sort}")
            profile(client, make(directory, rng), config.requests // divisor, config.sort)
        if config.sql is not None:
            title, make, _ = SCENARIOS[config.sql]
            print(f"\n# SQL of one {title}")
            print_statements(client, make(directory, rng))
        for used in (app, twin.application):
            used.extensions["db"].dispose()


def main(argv: Sequence[str] | None = None) -> None:
    os.environ.setdefault("SCIM_DEV", "1")
    run(parse_args(argv))


if __name__ == "__main__":
    main()
