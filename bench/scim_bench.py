"""`make bench`: scim-seats under the shared load generator, as a share of a ceiling app.

Why: CPU per request and throughput only mean something next to what the same machine, at
the same moment, gives a Flask app that does nothing (`../shared/bench/ceiling_app.py`). So
one run measures that ceiling under `scim-seats serve`'s gunicorn settings, then for each
backend starts `scim-seats serve` on a fresh database, preloads the shared load generator's
population (straight into the database, `direct_preload.py`, or through the server's own
`/Bulk`, `bulk_preload.py`), drives it with `scimload.py` (closed loop, 16 clients, the
server's process tree CPU read from /proc) and prints one markdown table with the targets of
the speed issue, then one of the population's size and cost, and with BENCH_MEMORY=1 one of
the workers' memory (`memory.py`). The shared tools are called by path, never copied: the
repo lives next to `../shared`.

Settings come from the environment (`make bench` passes them through):
  BENCH_POP        users preloaded (default 10000; 100000 and 1000000 are the other sizes)
  BENCH_PRELOAD    direct (default) or bulk
  BENCH_SCENARIOS  scimload scenarios measured (default get,filter,list,patch,create,mixed;
                   empty: none, and no ceiling)
  BENCH_DURATION   measured seconds per scenario (default 6; warm-up BENCH_WARMUP, default 2)
  BENCH_BACKENDS   comma list of sqlite,postgresql (default both)
  BENCH_POSTGRES_URL  admin URL; a scim_bench_<random> database is created and dropped there
  BENCH_MEMORY     1 adds the memory phase on a freshly started server: BENCH_MEMORY_REQUESTS
                   (default 100000) requests of BENCH_MEMORY_SCENARIO (default mixed), then
                   every user walked page by page with cursors (the first
                   BENCH_MEMORY_PAGES pages only, when set)
It prints figures and asserts nothing; see bench/README.md.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `tests.live_server` is not an installed package

import direct_preload  # noqa: E402
import memory  # noqa: E402

from app.server import THREADS_PER_WORKER  # noqa: E402
from tests.live_server import NO_REQUEST_LIMITS, free_port, wait_until_up  # noqa: E402

SHARED = REPO.parent / "shared" / "bench"
BIN = Path(sys.executable).parent
WORKERS = 2  # `scim-seats serve`'s default
CLIENTS = 16
SCENARIOS = ("get", "filter", "list", "patch", "create", "mixed")
PRELOADS = ("direct", "bulk")
ORG = "bench"
COUNT_RUNS = 5  # timed count(*) statements, after one untimed
# Server CPU per request the speed issue asks for, ms (issue 10, "Targets").
TARGET_CPU_MS = {"get": 1.0, "filter": 1.2, "list": 6.0, "patch": 1.5, "create": 2.0, "mixed": 1.5}
TAIL_RATIO = 5  # p99 at most 5 x p50
LABELS = {"get": "GET /Users/{id}", "filter": "filter userName eq", "list": "list page of 100",
          "patch": "PATCH active", "create": "POST /Users", "mixed": "IdP mix"}


@dataclass(frozen=True)
class Config:
    population: int
    duration_s: float
    warmup_s: float
    backends: tuple[str, ...]
    postgres_url: str
    preload: str = "direct"
    scenarios: tuple[str, ...] = SCENARIOS
    memory: bool = False
    memory_requests: int = 100_000
    memory_scenario: str = "mixed"
    memory_pages: int = 0  # 0: walk every page


def _listed(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]
            ) -> tuple[str, ...]:
    items = tuple(i.strip() for i in env.get(name, default).split(",") if i.strip())
    if set(items) - set(allowed):
        sys.exit(f"{name} takes {', '.join(allowed)}, got {items!r}")
    return items


def _one(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default).strip()
    if value not in allowed:
        sys.exit(f"{name} takes one of {', '.join(allowed)}, got {value!r}")
    return value


def config_from(env: dict[str, str]) -> Config:
    backends = _listed(env, "BENCH_BACKENDS", "sqlite,postgresql", ("sqlite", "postgresql"))
    if not backends:
        sys.exit("BENCH_BACKENDS names no backend")
    return Config(
        population=int(env.get("BENCH_POP", "10000")),
        duration_s=float(env.get("BENCH_DURATION", "6")),
        warmup_s=float(env.get("BENCH_WARMUP", "2")),
        backends=backends,
        postgres_url=env.get("BENCH_POSTGRES_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        preload=_one(env, "BENCH_PRELOAD", "direct", PRELOADS),
        scenarios=_listed(env, "BENCH_SCENARIOS", ",".join(SCENARIOS), SCENARIOS),
        memory=env.get("BENCH_MEMORY", "0") not in ("", "0"),
        memory_requests=int(env.get("BENCH_MEMORY_REQUESTS", "100000")),
        memory_scenario=_one(env, "BENCH_MEMORY_SCENARIO", "mixed", SCENARIOS),
        memory_pages=int(env.get("BENCH_MEMORY_PAGES", "0")),
    )


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


@contextmanager
def serving(command: Callable[[int], list[str]], env: dict[str, str], log_path: Path,
            port: int | None = None) -> Iterator[tuple[str, int]]:
    """Yields (base URL, gunicorn master pid) of the server `command(port)` starts (on a
    free port unless given); stops it after. The master's pid is what scimload sums the
    workers' CPU under, and whose children the memory phase samples."""
    port = port or free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command(port), env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def scimload(base_url: str, pid: int, out: Path, scenarios: str, config: Config,
             state_dir: Path, token: str = "", ceiling_rps: float | None = None,
             clients: int = CLIENTS, count: int | None = None) -> list[dict[str, Any]]:
    """Runs the shared load generator; returns its per-scenario results. `count` measures
    that many requests per scenario instead of BENCH_DURATION seconds."""
    command = [sys.executable, str(SHARED / "scimload.py"), "--base-url", base_url,
               "--scenarios", scenarios, "--concurrency", str(clients),
               "--duration", str(config.duration_s), "--warmup", str(config.warmup_s),
               "--population", str(config.population), "--state-dir", str(state_dir),
               "--server-pid", str(pid), "--out", str(out)]
    if ceiling_rps:
        command += ["--ceiling-rps", f"{ceiling_rps:.1f}"]
    if count is not None:
        command += ["--count", str(count)]
    env = {**os.environ, "SCIM_TOKEN": token}  # not on the command line, where ps shows it
    done = subprocess.run(command, env=env, stdout=sys.stderr)
    # 1: some scenario had no request answered in time (a list page deep in a million
    # users can take longer than the run); its results are written, and the table says so.
    if done.returncode not in (0, 1):
        raise subprocess.CalledProcessError(done.returncode, command)
    results: list[dict[str, Any]] = json.loads(out.read_text())["results"]
    return results


def measure_ceiling(config: Config, workdir: Path) -> float:
    def command(port: int) -> list[str]:
        return [str(BIN / "gunicorn"), "-w", str(WORKERS), "-k", "gthread",
                "--threads", str(THREADS_PER_WORKER), "--chdir", str(SHARED),
                "-b", f"127.0.0.1:{port}", "ceiling_app:app"]

    with serving(command, dict(os.environ), workdir / "ceiling.log") as (base, pid):
        note(f"ceiling app: {WORKERS} workers x {THREADS_PER_WORKER} threads at {base}")
        ping = scimload(base, pid, workdir / "ceiling.json", "ping", config, workdir / "state")
    rps: float = ping[0]["ok_rps"]
    note(f"ceiling: {rps:,.0f} req/s")
    return rps


# --------------------------------------------------------------------------- databases


@contextmanager
def database(backend: str, config: Config, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(config.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"scim_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(config.postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(url: str) -> dict[str, str]:
    """A scratch server runs in development mode (a well-known key) unless told otherwise."""
    # Request limits checked on every request but never reached: 16 clients on one token.
    env = {**os.environ, **NO_REQUEST_LIMITS, "SCIM_DATABASE_URL": url}
    if "SCIM_SECRET_KEY" not in env:
        env.setdefault("SCIM_DEV", "1")
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "scim-seats"), *args], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def prepare(env: dict[str, str], config: Config) -> str:
    """Schema, an org whose pool never refuses (the population, every user `create` and the
    mix may add, and room to spare), and a token for it."""
    cli(env, "db", "upgrade")
    cli(env, "create-org", ORG, "--seats", str(config.population + 1_000_000))
    return cli(env, "issue-token", ORG)


@dataclass(frozen=True)
class BackendRun:
    backend: str
    results: list[dict[str, Any]]
    preload_s: float
    count_ms: tuple[float, float]  # first, median of the next COUNT_RUNS
    memory: list[memory.MemoryRow]
    memory_notes: list[str]


def serve_command(port: int) -> list[str]:
    return [str(BIN / "scim-seats"), "serve", "--workers", str(WORKERS), "--port", str(port)]


def bench_backend(backend: str, config: Config, workdir: Path, ceiling_rps: float | None
                  ) -> BackendRun:
    with database(backend, config, workdir) as url:
        env = server_env(url)
        token = prepare(env, config)
        # Chosen before anything is written: scimload's population cache is keyed by the
        # base URL, and the memory phase's fresh server must answer at the same one.
        port = free_port()
        state = workdir / f"state-{backend}"
        log = workdir / f"{backend}.log"
        with serving(serve_command, env, log, port) as (base, pid):
            scim_base = base + "/scim/v2"
            note(f"{backend}: serving at {base}; preloading {config.population:,} users "
                 f"({config.preload})")
            preload_s = preload(backend, url, config, scim_base, state, token)
            note(f"{backend}: preloaded in {preload_s:.1f} s "
                 f"({config.population / preload_s:,.0f} users/s)")
            counted = count_ms(url)
            results = (scimload(scim_base, pid, workdir / f"{backend}.json",
                                ",".join(config.scenarios), config, state, token, ceiling_rps)
                       if config.scenarios else [])
        rows, notes = (memory_phase(backend, env, config, workdir, port, state, token)
                       if config.memory else ([], []))
        return BackendRun(backend, results, preload_s, counted, rows, notes)


def preload(backend: str, url: str, config: Config, scim_base: str, state: Path, token: str
            ) -> float:
    """Seconds to write the population and scimload's cache of it, PostgreSQL's ANALYZE
    included. Direct is the default at every size, so that runs at 10,000 and at 1,000,000
    users measure directories made the same way."""
    began = time.perf_counter()
    if config.preload == "direct":
        direct_preload.preload(url, ORG, config.population, scim_base, state, SHARED)
    else:
        subprocess.run([sys.executable, str(SHARED / "bulk_preload.py"),
                        "--base-url", scim_base, "--token", token,
                        "--population", str(config.population), "--state-dir", str(state)],
                       check=True, stdout=sys.stderr)
    if backend == "postgresql":
        analyze(url)
    return time.perf_counter() - began


def analyze(url: str) -> None:
    """Planner statistics after the preload, as autovacuum would gather within a minute."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def count_ms(url: str) -> tuple[float, float]:
    """What an unfiltered list's totalResults costs at this size, to judge whether a
    maintained counter is needed: ms of a first `SELECT count(*)` of the org's users and the
    median of COUNT_RUNS more."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            org_id = conn.execute(text("SELECT id FROM orgs WHERE slug = :slug"),
                                  {"slug": ORG}).scalar_one()
            count = text("SELECT count(*) FROM scim_users WHERE org_id = :org_id")
            times = []
            for _ in range(COUNT_RUNS + 1):
                began = time.perf_counter()
                conn.execute(count, {"org_id": org_id}).scalar_one()
                times.append(1000 * (time.perf_counter() - began))
    finally:
        engine.dispose()
    return times[0], statistics.median(times[1:])


def memory_phase(backend: str, env: dict[str, str], config: Config, workdir: Path, port: int,
                 state: Path, token: str) -> tuple[list[memory.MemoryRow], list[str]]:
    """On a freshly started server, so the workers start from what a restart gives them: a
    warm-up of a tenth of BENCH_MEMORY_REQUESTS (the caches every worker fills), the
    requests, then a walk of every user; each phase sampled on its own."""
    rows: list[memory.MemoryRow] = []
    warmup = max(1, config.memory_requests // 10)
    with serving(serve_command, env, workdir / f"{backend}.log", port) as (base, pid):
        scim_base = base + "/scim/v2"
        for phase, count in (("warm-up", warmup), ("requests", config.memory_requests)):
            note(f"{backend}: memory phase, {phase}: {count:,} requests of "
                 f"{config.memory_scenario}")
            with memory.sampling(pid) as load:
                scimload(scim_base, pid, workdir / f"{backend}-memory.json",
                         config.memory_scenario, config, state, token, count=count)
            rows += load.rows(f"{phase}: {count:,} requests ({config.memory_scenario})")
        note(f"{backend}: memory phase, walking every user with cursors")
        with memory.sampling(pid) as walking:
            walk = memory.walk_users(scim_base, token, config.memory_pages)
    rows += walking.rows(f"cursor walk of {walk.users:,} users")
    notes = [f"{backend}: {config.memory_requests:,} requests of {config.memory_scenario} in "
             f"{load.ended - load.began:.0f} s (scimload's start and clean-up included)",
             f"{backend}: cursor walk, {walk.pages:,} pages of {memory.PAGE_SIZE}, "
             f"{walk.users:,} users (first page's totalResults {walk.total:,}) in "
             f"{walk.seconds:.0f} s, {1000 * walk.seconds / walk.pages:.1f} ms a page"]
    return rows, notes


# --------------------------------------------------------------------------- report


def verdict(result: dict[str, Any]) -> str:
    """`yes`, or which target the scenario misses: CPU per request, the tail, errors."""
    if not result["ok"]:
        return "no: no request answered in time"
    misses = []
    cpu = result.get("server_cpu_ms_per_req")
    if cpu is None or cpu > TARGET_CPU_MS[result["scenario"]]:
        misses.append("cpu")
    latency = result["latency"]
    if latency["p99_ms"] > TAIL_RATIO * latency["p50_ms"]:
        misses.append("p99")
    if result["errors"]:
        misses.append(f"{result['errors']} errors")
    return "yes" if not misses else "no: " + ", ".join(misses)


def table(ceiling_rps: float, runs: list[BackendRun]) -> str:
    lines = ["| backend | scenario | share of ceiling | req/s | server CPU ms/req | p50 ms | p99 ms "
             "| target CPU ms | met? |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        for r in run.results:
            cpu = r.get("server_cpu_ms_per_req")
            lines.append(
                f"| {run.backend} | {LABELS[r['scenario']]} "
                f"| {100 * r['ok_rps'] / ceiling_rps:.1f} % "
                f"| {r['ok_rps']:,.0f} | {_ms(cpu, 2)} "
                f"| {_ms(r['latency']['p50_ms'])} | {_ms(r['latency']['p99_ms'])} "
                f"| {TARGET_CPU_MS[r['scenario']]:g} | {verdict(r)} |")
    return "\n".join(lines)


def _ms(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def size_table(config: Config, runs: list[BackendRun]) -> str:
    lines = [f"| backend | users | preload ({config.preload}) s | users/s "
             "| count(*) first ms | count(*) median ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for run in runs:
        first, median = run.count_ms
        lines.append(f"| {run.backend} | {config.population:,} | {run.preload_s:.1f} "
                     f"| {config.population / run.preload_s:,.0f} | {first:.1f} | {median:.1f} |")
    return "\n".join(lines)


def main() -> None:
    config = config_from(dict(os.environ))
    if not (SHARED / "scimload.py").exists():
        sys.exit(f"the shared load generator is not at {SHARED} (the repo lives next to ../shared)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        workdir = Path(tmp)
        ceiling_rps = measure_ceiling(config, workdir) if config.scenarios else None
        runs = [bench_backend(backend, config, workdir, ceiling_rps) for backend in config.backends]
    report(config, ceiling_rps, runs)
    note(f"done in {time.monotonic() - started:.0f} s")


def report(config: Config, ceiling_rps: float | None, runs: list[BackendRun]) -> None:
    load = os.getloadavg()[0]
    print(f"\nscim-seats serve ({WORKERS} workers x {THREADS_PER_WORKER} threads), "
          f"{config.population:,} users ({config.preload} preload); "
          f"load average {load:.1f} on {os.cpu_count()} cpus")
    if ceiling_rps is not None:
        print(f"\n{CLIENTS} clients, {config.duration_s:g} s per scenario; ceiling (minimal "
              f"Flask app, same gunicorn settings) {ceiling_rps:,.0f} req/s; met = CPU within "
              f"target and p99 <= {TAIL_RATIO} x p50\n")
        print(table(ceiling_rps, runs))
    print("\nPopulation: preload time (PostgreSQL's ANALYZE included) and an unfiltered list's "
          "totalResults, `SELECT count(*) FROM scim_users WHERE org_id = ...`\n")
    print(size_table(config, runs))
    if config.memory:
        print("\nWorkers' resident memory (VmRSS), sampled every "
              f"{memory.SAMPLE_EVERY_S:g} s through each phase; growth = end - start\n")
        print(memory.table([(run.backend, row) for run in runs for row in run.memory]))
        print()
        for run in runs:
            print("\n".join(f"- {line}" for line in run.memory_notes))


if __name__ == "__main__":
    main()
