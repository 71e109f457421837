"""`make bench-scaling`: does scim-seats scale across `serve` instances on one PostgreSQL?

Why: the speed issue asks that two `scim-seats serve` instances of one worker each, on one
database, give at least 1.8 x one such instance on GET; that one instance with 2 workers
keeps its ~2.4 x over one worker; and that per-org activations (PATCH active, each a seat
claimed or freed under the org's pool lock) reach 500/s with 2 instances. One run measures
each setup on the same fresh PostgreSQL database and population and prints the ratios.

The load is scimload's, 16 clients in all: with two instances, two scimload processes at
once, 8 clients each, each with its instance's `--server-pid`; their req/s and CPU are
summed, and the slower of the two p50 (and p99) is shown. The machine's cores are shared by
the clients, the servers and PostgreSQL, whose CPU is not in the server's figure: on 2
cores, a second instance competes with the load generator and the database for the same
CPU, so a ratio below the target here says as much about the machine as about the server.

Settings, as for `make bench`: BENCH_POP (default 10000), BENCH_DURATION, BENCH_WARMUP,
BENCH_POSTGRES_URL (a scim_bench_<random> database is created there and dropped after).
It prints figures and asserts nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scim_bench import (
    BIN,
    CLIENTS,
    SHARED,
    THREADS_PER_WORKER,
    Config,
    analyze,
    config_from,
    database,
    note,
    prepare,
    scimload,
    server_env,
    serving,
)

sys.path.insert(0, str(SHARED))
import scimload as load_generator  # noqa: E402  (the shared tool, by path)

GET_TARGET = 1.8  # two 1-worker instances over one, GET
WORKERS_KEPT = 2.4  # one 2-worker instance over one 1-worker instance, GET, today
ACTIVATIONS_TARGET = 500  # PATCH active per second with two instances


@dataclass(frozen=True)
class Instance:
    scim_base: str
    pid: int


@dataclass(frozen=True)
class Measure:
    setup: str
    scenario: str
    rps: float
    cpu_ms: float | None
    p50_ms: float
    p99_ms: float
    errors: int
    machine_busy: float  # share of all cores busy while it ran (warm-up included, every job)


@dataclass(frozen=True)
class Run:
    config: Config
    workdir: Path
    env: dict[str, str]
    token: str
    state: Path  # scimload's population cache, one file per instance address


@contextmanager
def instance(run: Run, workers: int, name: str) -> Iterator[Instance]:
    def command(port: int) -> list[str]:
        return [str(BIN / "scim-seats"), "serve", "--workers", str(workers), "--port", str(port)]

    with serving(command, run.env, run.workdir / f"{name}.log") as (base, pid):
        note(f"{name}: {workers} worker(s) x {THREADS_PER_WORKER} threads at {base}")
        yield Instance(base + "/scim/v2", pid)


def population_file(run: Run, scim_base: str) -> Path:
    cfg = {"base_url": scim_base, "pop_prefix": "pop", "state_dir": str(run.state)}
    return Path(load_generator._state_path(cfg))


def preload(run: Run, first: Instance) -> None:
    """Through the first instance's /Bulk; PostgreSQL then gets its statistics."""
    subprocess.run([sys.executable, str(SHARED / "bulk_preload.py"), "--base-url",
                    first.scim_base, "--token", run.token, "--population",
                    str(run.config.population), "--state-dir", str(run.state)],
                   check=True, stdout=sys.stderr)
    analyze(run.env["SCIM_DATABASE_URL"])


def share_population(run: Run, first: Instance, other: Instance) -> None:
    """scimload caches the population's ids per server address; every instance serves the
    same database, so each gets the cache the preload wrote for the first."""
    shutil.copyfile(population_file(run, first.scim_base), population_file(run, other.scim_base))


def measure(run: Run, setup: str, scenario: str, instances: list[Instance]) -> Measure:
    """The 16 clients split evenly over the instances, one scimload process each, at once."""
    clients = CLIENTS // len(instances)

    def drive(index: int) -> dict[str, Any]:
        one = instances[index]
        out = run.workdir / f"{setup}-{scenario}-{index}.json".replace(" ", "_")
        return scimload(one.scim_base, one.pid, out, scenario, run.config, run.state,
                        run.token, clients=clients)[0]

    before = cpu_jiffies()
    with ThreadPoolExecutor(len(instances)) as pool:
        parts = list(pool.map(drive, range(len(instances))))
    busy, total = (after - start for after, start in zip(cpu_jiffies(), before, strict=True))
    return combined(setup, scenario, parts, busy / total if total else 0.0)


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) time of all cores, from /proc/stat: whether a second process had any
    CPU left to use is the first thing a ratio below 2 asks."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(field) for field in Path("/proc/stat").read_text().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def combined(setup: str, scenario: str, parts: list[dict[str, Any]], machine_busy: float
             ) -> Measure:
    """Throughput and CPU add up; percentiles do not, so the worse instance's stand."""
    requests = sum(p["requests"] for p in parts)
    cpu_s = [p.get("server_cpu_s") for p in parts]
    return Measure(
        setup=setup, scenario=scenario,
        rps=sum(p["ok_rps"] for p in parts),
        cpu_ms=(1e3 * sum(c for c in cpu_s if c is not None) / requests
                if requests and None not in cpu_s else None),
        p50_ms=max(p["latency"]["p50_ms"] or 0 for p in parts),
        p99_ms=max(p["latency"]["p99_ms"] or 0 for p in parts),
        errors=sum(p["errors"] for p in parts),
        machine_busy=machine_busy,
    )


def measure_all(run: Run) -> list[Measure]:
    """Ordered so that no server is started twice: GET and PATCH on the first instance, then
    on both once the second is up, then on one 2-worker instance alone (its PATCH tells
    whether two processes on one pool lock gain what two instances do)."""
    with ExitStack() as stack:
        first = stack.enter_context(instance(run, 1, "instance-1"))
        preload(run, first)
        results = [measure(run, "1 instance x 1 worker", "get", [first]),
                   measure(run, "1 instance x 1 worker", "patch", [first])]
        second = stack.enter_context(instance(run, 1, "instance-2"))
        share_population(run, first, second)
        results += [measure(run, "2 instances x 1 worker", "get", [first, second]),
                    measure(run, "2 instances x 1 worker", "patch", [first, second])]
    with instance(run, 2, "instance-w2") as both:
        share_population(run, first, both)
        results += [measure(run, "1 instance x 2 workers", "get", [both]),
                    measure(run, "1 instance x 2 workers", "patch", [both])]
    return results


# --------------------------------------------------------------------------- report


def ratio(results: list[Measure], setup: str, scenario: str) -> float:
    """Over one 1-worker instance on the same scenario."""
    base = by(results, "1 instance x 1 worker", scenario).rps
    return by(results, setup, scenario).rps / base if base else 0.0


def by(results: list[Measure], setup: str, scenario: str) -> Measure:
    return next(m for m in results if m.setup == setup and m.scenario == scenario)


def target_of(m: Measure) -> str:
    if m.scenario == "get" and m.setup.startswith("2 instances"):
        return f">= {GET_TARGET:g} x"
    if m.scenario == "get" and m.setup.endswith("2 workers"):
        return f"~{WORKERS_KEPT:g} x (keep)"
    if m.scenario == "patch" and m.setup.startswith("2 instances"):
        return f">= {ACTIVATIONS_TARGET} req/s"
    return ""


def table(results: list[Measure]) -> str:
    lines = ["| setup | scenario | req/s | × one 1-worker instance | server CPU ms/req "
             "| p50 ms | p99 ms | errors | machine CPU busy | issue's target |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for m in results:
        cpu = "-" if m.cpu_ms is None else f"{m.cpu_ms:.2f}"
        label = "GET /Users/{id}" if m.scenario == "get" else "PATCH active (seat claim/free)"
        lines.append(f"| {m.setup} | {label} | {m.rps:,.0f} "
                     f"| {ratio(results, m.setup, m.scenario):.2f} | {cpu} | {m.p50_ms:.1f} "
                     f"| {m.p99_ms:.1f} | {m.errors} | {100 * m.machine_busy:.0f} % "
                     f"| {target_of(m)} |")
    return "\n".join(lines)


def main() -> None:
    config = config_from({**os.environ, "BENCH_BACKENDS": "postgresql"})
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scim-scaling-") as tmp, \
            database("postgresql", config, Path(tmp)) as url:
        env = server_env(url)
        token = prepare(env, config)
        run = Run(config, Path(tmp), env, token, Path(tmp) / "state")
        results = measure_all(run)
    print(f"\nscim-seats serve on one PostgreSQL database, {config.population:,} users, "
          f"{CLIENTS} clients in all ({CLIENTS // 2} per instance with two), "
          f"{config.duration_s:g} s per scenario; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cpus, shared by the clients, the servers and PostgreSQL (whose "
          f"CPU is not in the server's figure)\n")
    print(table(results))
    note(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
