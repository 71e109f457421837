"""SCIM throughput and latency benchmark against a real `scim-seats serve` (gunicorn).

Why: the unit and API tests prove the server is *right*; they say nothing about whether it
stays fast with a realistic directory behind it. Identity providers hit a SCIM server in
bursts (a bulk sync is thousands of `GET /Users?filter=userName eq "..."` followed by POSTs
and PATCHes), and the one thing that must not happen is a lookup that gets slower as the
org grows. So this script, for each backend (SQLite file, fresh PostgreSQL database):

1. migrates an empty database, creates an org with plenty of seats and a token, and preloads
   N users directly in the database (in batches through `scim.users.create_user`, so the
   index columns, value rows and seat accounting are the real ones);
2. starts the real server (`tests.live_server.live_server`, 2 gunicorn workers by default)
   and drives it over HTTP on 127.0.0.1 with C concurrent clients for D seconds (or R
   requests) per scenario: create, read by id, filter by userName, PATCH active on/off;
3. optionally (`--scaling`, on by default) measures the userName-eq filter at 1,000 and at
   100,000 users in one org and prints the p50 ratio next to the target "ratio <= 1.5".

It prints figures and asserts nothing; see bench/README.md for what they mean.
Run from the repository root: `.venv/bin/python bench/scim_bench.py --help`.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `tests.live_server` is not an installed package

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.db import Database

# The server modules are imported lazily (inside functions) so that `--help` works even on a
# checkout where the app does not import yet.

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"
SEATS = 1_000_000
BATCH = 1_000  # users per preload transaction
# Above this many users in one preload step, `create_user` (1.5-3 ms a user, mostly ORM
# round trips for the pool lock, uniqueness check, audit row and flush) would dominate the
# run, so the Core fast path is used instead (see `_insert_batch_core`).
CREATE_USER_LIMIT = 20_000
REQUEST_TIMEOUT_S = 30.0
REQUESTS_MODE_TIME_CAP_S = 300.0  # a request-count run still stops after this long
WARMUP_REQUESTS = 5  # per client and scenario, untimed: opens the connection, warms caches
MAX_ERROR_SAMPLES = 3
# Longest the clients may take to reach the start line (warm-up included): a client thread
# that died before it breaks the barrier instead of leaving the others waiting forever.
START_TIMEOUT_S = WARMUP_REQUESTS * REQUEST_TIMEOUT_S + 10
INPROCESS_SAMPLES = 1000  # list_resources calls per size in the scaling check


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    backends: tuple[str, ...]
    postgres_url: str
    users: int
    clients: int
    duration_s: float
    requests: int | None
    workers: int
    scaling: bool
    scaling_small: int
    scaling_large: int
    preload: str
    seed: int
    server_log_dir: Path | None


def parse_args(argv: Sequence[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        description="Benchmark scim-seats over HTTP on SQLite and PostgreSQL (prints figures, "
        "asserts nothing).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="comma-separated subset of sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="admin URL; a fresh database is created next to it and dropped after")
    parser.add_argument("--users", type=int, default=10_000, help="users preloaded per backend")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per scenario (ignored when --requests is given)")
    parser.add_argument("--requests", type=int, default=None,
                        help="total requests per scenario instead of a duration")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--scaling", action=argparse.BooleanOptionalAction, default=True,
                        help="measure the userName-eq filter at --scaling-small and "
                        "--scaling-large users")
    parser.add_argument("--scaling-small", type=int, default=1_000)
    parser.add_argument("--scaling-large", type=int, default=100_000)
    parser.add_argument("--preload", choices=("auto", "create_user", "core"), default="auto",
                        help=f"auto: create_user up to {CREATE_USER_LIMIT:,} users per step, "
                        "SQLAlchemy Core (same row shapes) above")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-log-dir", type=Path, default=None,
                        help="keep the gunicorn logs here (default: a temp dir, deleted)")
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown or not backends:
        parser.error(f"--backends takes sqlite and/or postgresql, got {args.backends!r}")
    if args.users < args.clients or args.clients < 1:
        parser.error("need at least one client and at least as many users as clients")
    if args.requests is not None and args.requests < args.clients:
        parser.error("--requests must be at least --clients")
    if args.scaling and not 0 < args.scaling_small < args.scaling_large:
        parser.error("need 0 < --scaling-small < --scaling-large")
    return Config(
        backends=backends, postgres_url=args.postgres_url, users=args.users,
        clients=args.clients, duration_s=args.duration, requests=args.requests,
        workers=args.workers, scaling=args.scaling, scaling_small=args.scaling_small,
        scaling_large=args.scaling_large, preload=args.preload, seed=args.seed,
        server_log_dir=args.server_log_dir,
    )


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.db'}"  # the file goes with the temp dir


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A freshly created database next to `admin_url`, dropped (WITH (FORCE)) afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"scim_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def analyze(db: Database) -> None:
    """PostgreSQL only: refresh planner statistics after a bulk load, as autovacuum would
    within a minute in production. SQLite has no automatic ANALYZE, so it is left as a
    deployment would leave it."""
    if db.is_sqlite:
        return
    from sqlalchemy import text

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------- preloading


@dataclass(frozen=True)
class Tenant:
    org_id: str
    token: str
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, userName)


def now_utc() -> datetime:
    return datetime.now(UTC)


def user_document(prefix: str, n: int) -> dict[str, Any]:
    """The one place bench users are generated, for the preload and for POST /Users."""
    user_name = f"{prefix}.{n:07d}@bench.example.com"
    return {
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {
            "givenName": f"Given{n}",
            "familyName": f"Family{prefix}",
            "formatted": f"Given{n} Family{prefix}",
        },
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
    }


def create_tenant(db: Database, slug: str) -> Tenant:
    from seats import credentials, orgs

    contract = orgs.NewContract(
        seats=SEATS, unit_price_minor=0, currency="USD", term_start=now_utc().date()
    )
    with db.transaction() as session:
        org = orgs.create_org(session, slug, contract, now_utc())
        _, secret = credentials.issue_token(session, org.id, "bench", now_utc())
        return Tenant(org_id=org.id, token=secret)


def _insert_batch_create_user(
    session: Session, org_id: str, docs: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    from scim.users import WriteContext, create_user

    ctx = WriteContext(org_id=org_id, actor="bench-preload", now=now_utc())
    return [(row.id, row.user_name) for row in (create_user(session, doc, ctx) for doc in docs)]


def _column_values(obj: Any) -> dict[str, Any]:
    from sqlalchemy import inspect

    return {a.columns[0].name: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs}


def _insert_batch_core(
    session: Session, org_id: str, docs: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """Same rows as `create_user`, ~10x faster: each document goes through the app's own
    validation (`user_input`) and derivation of index columns and value rows
    (`users.store_user`, "the one place" that does it) on a transient UserRow, and the
    resulting rows are inserted with two Core executemany statements. The pool's `assigned`
    (and its default seat type's) is raised under the pool lock, so assigned = active users
    still holds; what is skipped
    is the per-user `seat.claimed` audit row, which no benchmarked request reads."""
    from scim.resources import user_input
    from scim.tables import UserRow, UserValueRow
    from scim.users import store_user
    from seats import seat_types, seating
    from seats.models import new_id

    now = now_utc()
    users: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for doc in docs:
        data = user_input(doc)
        data.document.setdefault("active", True)
        row = UserRow(id=new_id(), org_id=org_id, active=False, created_at=now, version=0)
        store_user(row, data, now)
        users.append(_column_values(row))
        for value_row in row.values:
            value = _column_values(value_row)
            value.pop("id")
            value["user_id"] = row.id
            values.append(value)
    pool = seating.lock_and_renew(session, org_id, now)
    standard = seat_types.locked_types(session, pool).default
    for user in users:
        user["seat_type_key"] = standard.key if user["active"] else None
    seated = sum(1 for u in users if u["active"])
    pool.assigned += seated
    standard.assigned += seated
    session.execute(UserRow.__table__.insert(), users)
    if values:
        session.execute(UserValueRow.__table__.insert(), values)
    return [(u["id"], u["user_name"]) for u in users]


def preload(
    db: Database, tenant: Tenant, prefix: str, start: int, count: int, mode: str
) -> tuple[float, str]:
    """Adds users start..start+count-1 to the tenant in transactions of BATCH users; returns
    (seconds, path used)."""
    use_core = mode == "core" or (mode == "auto" and count > CREATE_USER_LIMIT)
    insert_batch = _insert_batch_core if use_core else _insert_batch_create_user
    began = time.perf_counter()
    for batch_start in range(start, start + count, BATCH):
        batch_end = min(batch_start + BATCH, start + count)
        docs = [user_document(prefix, n) for n in range(batch_start, batch_end)]
        with db.transaction() as session:
            tenant.users.extend(insert_batch(session, tenant.org_id, docs))
    return time.perf_counter() - began, "core" if use_core else "create_user"


# --------------------------------------------------------------------------- load generation

# Clients are threads, one `requests.Session` (keep-alive connection) each. A request costs
# the client ~0.3 ms of Python and the server several ms, so one process can drive far more
# than the server does on the same machine; the `client cpu` column (process CPU time /
# wall time, 100% = one core) shows it: below ~70% the GIL is not what limits throughput.
# Processes would not add load capacity here anyway: client and server share the cores.

Step = Callable[[requests.Session], "Outcome"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str = ""


@dataclass
class ClientTally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    scenario: str
    requests: int
    errors: int
    wall_s: float
    p50_ms: float
    p99_ms: float
    client_cpu: float
    samples: list[str]

    @property
    def rate(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _call(step: Step, session: requests.Session) -> Outcome:
    try:
        return step(session)
    except requests.RequestException as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}")


def _client_loop(step: Step, token: str, quota: int | None, duration_s: float,
                 barrier: threading.Barrier, tally: ClientTally) -> None:
    with requests.Session() as session:
        session.headers.update({"Authorization": f"Bearer {token}", "Accept": SCIM_JSON})
        for _ in range(WARMUP_REQUESTS):
            _call(step, session)
        barrier.wait(timeout=START_TIMEOUT_S)
        limit_s = REQUESTS_MODE_TIME_CAP_S if quota is not None else duration_s
        deadline = time.perf_counter() + limit_s
        done = 0
        while time.perf_counter() < deadline and (quota is None or done < quota):
            began = time.perf_counter()
            outcome = _call(step, session)
            tally.latencies_ms.append((time.perf_counter() - began) * 1000)
            done += 1
            if not outcome.ok:
                tally.errors += 1
                if len(tally.samples) < MAX_ERROR_SAMPLES:
                    tally.samples.append(outcome.detail)


def _quotas(total: int | None, clients: int) -> list[int | None]:
    if total is None:
        return [None] * clients
    return [total // clients + (1 if i < total % clients else 0) for i in range(clients)]


def run_scenario(name: str, steps: list[Step], token: str, config: Config) -> Result:
    """Runs steps[i] in client thread i until the duration or the request count is reached."""
    tallies = [ClientTally() for _ in steps]
    barrier = threading.Barrier(len(steps) + 1)
    threads = [
        threading.Thread(target=_client_loop, daemon=True,
                         args=(step, token, quota, config.duration_s, barrier, tally))
        for step, quota, tally in zip(steps, _quotas(config.requests, len(steps)), tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=START_TIMEOUT_S)
    began, cpu_began = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.join(timeout=REQUESTS_MODE_TIME_CAP_S + 2 * REQUEST_TIMEOUT_S)
    wall = time.perf_counter() - began
    cpu = (time.process_time() - cpu_began) / wall if wall > 0 else 0.0
    latencies = sorted(ms for t in tallies for ms in t.latencies_ms)
    return Result(
        scenario=name, requests=len(latencies), errors=sum(t.errors for t in tallies),
        wall_s=wall, p50_ms=percentile(latencies, 0.50), p99_ms=percentile(latencies, 0.99),
        client_cpu=cpu, samples=[s for t in tallies for s in t.samples][:MAX_ERROR_SAMPLES],
    )


# --------------------------------------------------------------------------- scenarios


def _expect(response: requests.Response, status: int) -> Outcome:
    if response.status_code == status:
        return Outcome(True)
    detail = f"{response.request.method} {response.status_code} {response.text[:160]!r}"
    return Outcome(False, detail)


def post_steps(base: str, clients: int, run_tag: str) -> list[Step]:
    """Each client creates new users with names no one else uses."""

    def make(client: int) -> Step:
        counter = iter(range(10**9))

        def step(session: requests.Session) -> Outcome:
            doc = user_document(f"{run_tag}-c{client}", next(counter))
            response = session.post(f"{base}/scim/v2/Users", json=doc,
                                    headers={"Content-Type": SCIM_JSON}, timeout=REQUEST_TIMEOUT_S)
            return _expect(response, 201)

        return step

    return [make(i) for i in range(clients)]


def get_steps(base: str, users: list[tuple[str, str]], clients: int, seed: int) -> list[Step]:
    def make(client: int) -> Step:
        rng = random.Random(seed * 1000 + client)

        def step(session: requests.Session) -> Outcome:
            user_id, _ = rng.choice(users)
            response = session.get(f"{base}/scim/v2/Users/{user_id}", timeout=REQUEST_TIMEOUT_S)
            return _expect(response, 200)

        return step

    return [make(i) for i in range(clients)]


def filter_steps(base: str, users: list[tuple[str, str]], clients: int, seed: int) -> list[Step]:
    """A 200 that does not find exactly the one user asked for is counted as an error too:
    a filter that silently matches nothing would otherwise look fast."""

    def make(client: int) -> Step:
        rng = random.Random(seed * 2000 + client)

        def step(session: requests.Session) -> Outcome:
            _, user_name = rng.choice(users)
            response = session.get(f"{base}/scim/v2/Users",
                                   params={"filter": f'userName eq "{user_name}"'},
                                   timeout=REQUEST_TIMEOUT_S)
            outcome = _expect(response, 200)
            if outcome.ok and response.json().get("totalResults") != 1:
                return Outcome(False, f"filter {user_name!r} matched "
                                      f"{response.json().get('totalResults')} users")
            return outcome

        return step

    return [make(i) for i in range(clients)]


def patch_steps(base: str, users: list[tuple[str, str]], clients: int) -> list[Step]:
    """Client i owns users i, i+C, i+2C, ... and flips each one's `active` in turn, so no
    two clients PATCH the same user (every flip still takes the org's seat-pool lock)."""

    def make(client: int) -> Step:
        own = [user_id for user_id, _ in users[client::clients]]
        active = dict.fromkeys(own, True)
        turn = iter(range(10**9))

        def step(session: requests.Session) -> Outcome:
            user_id = own[next(turn) % len(own)]
            operation = {"op": "replace", "path": "active", "value": not active[user_id]}
            body = {"schemas": [PATCH_URN], "Operations": [operation]}
            response = session.patch(f"{base}/scim/v2/Users/{user_id}", json=body,
                                     headers={"Content-Type": SCIM_JSON}, timeout=REQUEST_TIMEOUT_S)
            outcome = _expect(response, 200)
            if outcome.ok:
                active[user_id] = not active[user_id]
            return outcome

        return step

    return [make(i) for i in range(clients)]


# --------------------------------------------------------------------------- reporting

HEADER = (f"{'scenario':<34}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'client cpu':>12}")


def format_row(result: Result) -> str:
    return (f"{result.scenario:<34}{result.requests:>9}{result.errors:>8}{result.rate:>9.1f}"
            f"{result.p50_ms:>9.1f}{result.p99_ms:>9.1f}{result.client_cpu:>11.0%} ")


def print_table(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    print(HEADER)
    print("-" * len(HEADER))
    for result in results:
        print(format_row(result))
    for result in results:
        for sample in result.samples:
            print(f"  ! {result.scenario}: {sample}")
    sys.stdout.flush()


def print_scaling(backend: str, small: int, large: int, p50_small: float, p50_large: float,
                  inproc_small: float, inproc_large: float, loads: tuple[float, float]) -> None:
    def ratio(a: float, b: float) -> float:
        return b / a if a > 0 else float("inf")

    http_ratio = ratio(p50_small, p50_large)
    verdict = "met" if http_ratio <= 1.5 else "NOT met"
    print(f"scaling ({backend}, GET /Users?filter=userName eq, p50): "
          f"{small:,} users {p50_small:.1f} ms | {large:,} users {p50_large:.1f} ms | "
          f"ratio {http_ratio:.2f}  (target: ratio <= 1.5, {verdict})")
    print(f"  same filter in-process (list_resources, no HTTP), p50: {inproc_small:.2f} ms -> "
          f"{inproc_large:.2f} ms | ratio {ratio(inproc_small, inproc_large):.2f}")
    print(f"  1-min load average during the HTTP runs: {loads[0]:.1f} -> {loads[1]:.1f} "
          f"on {os.cpu_count()} cpus (a rise alone can push the HTTP ratio up)")
    sys.stdout.flush()


def load_average() -> float:
    """1-minute load average (0 where the OS has none): shown next to figures, because
    client, server and database share the machine's cores with whatever else runs."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- one backend


def list_users_p50_ms(db: Database, tenant: Tenant, samples: int, seed: int) -> float:
    """The filter without HTTP, gunicorn or auth: `scim.listing.list_resources` in this process,
    one read transaction per call, `samples` random names. Far less noisy than the HTTP
    figure (which is mostly fixed per-request overhead), so it shows the query's own scaling."""
    from scim.listing import USERS, ListQuery, Page, list_resources

    rng = random.Random(seed)
    timings = []
    for _ in range(samples):
        _, user_name = rng.choice(tenant.users)
        began = time.perf_counter()
        with db.transaction(write=False) as session:
            query = ListQuery(page=Page(1, 100), filter=f'userName eq "{user_name}"')
            list_resources(session, tenant.org_id, [USERS], query, signing_key=b"bench")
        timings.append((time.perf_counter() - began) * 1000)
    return percentile(sorted(timings), 0.50)


def measure_scaling(db: Database, base: str, config: Config) -> None:
    tenant = create_tenant(db, f"bench-scaling-{uuid.uuid4().hex[:6]}")
    seconds, path = preload(db, tenant, "s", 0, config.scaling_small, config.preload)
    analyze(db)
    note(f"scaling org: {config.scaling_small:,} users via {path} in {seconds:.1f} s")
    small = run_scenario("filter userName eq (small org)",
                         filter_steps(base, tenant.users, config.clients, config.seed),
                         tenant.token, config)
    small_load = load_average()
    small_inproc = list_users_p50_ms(db, tenant, INPROCESS_SAMPLES, config.seed)
    grow = config.scaling_large - config.scaling_small
    seconds, path = preload(db, tenant, "s", config.scaling_small, grow, config.preload)
    analyze(db)
    note(f"scaling org: +{grow:,} users via {path} in {seconds:.1f} s "
         f"({grow / seconds:,.0f} users/s)")
    large = run_scenario("filter userName eq (large org)",
                         filter_steps(base, tenant.users, config.clients, config.seed + 1),
                         tenant.token, config)
    large_load = load_average()
    large_inproc = list_users_p50_ms(db, tenant, INPROCESS_SAMPLES, config.seed + 1)
    print_table(f"scaling check ({config.clients} clients)", [small, large])
    print_scaling(db.engine.dialect.name, config.scaling_small, config.scaling_large,
                  small.p50_ms, large.p50_ms, small_inproc, large_inproc, (small_load, large_load))


@contextmanager
def _explained(log_path: Path) -> Iterator[None]:
    """If the server fails to start, show why (the end of its log) before the traceback."""
    try:
        yield
    except RuntimeError:
        if log_path.exists():
            tail = log_path.read_text(errors="replace").splitlines()[-15:]
            print(f"--- last lines of {log_path} ---", *tail, sep="\n", file=sys.stderr)
        raise


def bench_backend(backend: str, url: str, log_dir: Path, config: Config) -> None:
    from app.db import Database
    from app.migrate import upgrade
    from tests.live_server import NO_REQUEST_LIMITS, live_server

    note(f"{backend}: migrating")
    upgrade(url)
    db = Database(url)
    try:
        tenant = create_tenant(db, f"bench-{uuid.uuid4().hex[:6]}")
        seconds, path = preload(db, tenant, "u", 0, config.users, config.preload)
        analyze(db)
        note(f"{backend}: {config.users:,} users preloaded via {path} in {seconds:.1f} s "
             f"({config.users / seconds:,.0f} users/s)")
        log_path = log_dir / f"{backend}.log"
        server = live_server(url, workers=config.workers, log_path=log_path,
                             settings=NO_REQUEST_LIMITS)  # checked, never reached
        with _explained(log_path), server as base:
            note(f"{backend}: server up at {base} ({config.workers} workers); measuring")
            c, users, seed = config.clients, tenant.users, config.seed
            scenarios: list[tuple[str, list[Step]]] = [
                ("POST /Users", post_steps(base, c, f"p{uuid.uuid4().hex[:6]}")),
                ("GET /Users/{id}", get_steps(base, users, c, seed)),
                ('GET /Users?filter=userName eq "…"', filter_steps(base, users, c, seed)),
                ("PATCH /Users/{id} active on/off", patch_steps(base, users, c)),
            ]
            results = [run_scenario(name, steps, tenant.token, config) for name, steps in scenarios]
            budget = (f"{config.requests} requests" if config.requests
                      else f"{config.duration_s:g} s")
            title = (f"== {backend}: {config.users:,} users, {c} clients, {config.workers} "
                     f"workers, {budget} per scenario, load avg {load_average():.1f} ==")
            print_table(title, results)
            if config.scaling:
                measure_scaling(db, base, config)
    finally:
        db.dispose()


def preflight() -> None:
    """Import everything the run uses, the server's modules included (app.factory imports
    every blueprint), before minutes of preloading: a tree that does not import fails here,
    at once. create_app() is not called: it configures logging for this process."""
    import app.factory  # noqa: F401
    import app.migrate  # noqa: F401
    import scim.listing  # noqa: F401
    import scim.resources  # noqa: F401
    import scim.users  # noqa: F401
    import seats.seating  # noqa: F401


def run(config: Config) -> None:
    preflight()
    print(f"scim-seats bench: backends={','.join(config.backends)} users={config.users:,} "
          f"clients={config.clients} workers={config.workers} cpus={os.cpu_count()}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        workdir = Path(tmp)
        log_dir = config.server_log_dir or workdir
        log_dir.mkdir(parents=True, exist_ok=True)
        for backend in config.backends:
            database = (sqlite_database(workdir) if backend == "sqlite"
                        else postgres_database(config.postgres_url))
            with database as url:
                bench_backend(backend, url, log_dir, config)
    note(f"done in {time.perf_counter() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
