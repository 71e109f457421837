"""`make bench-peers`: scim-seats and the two peers of the speed issue under one load.

Why: the issue compares scim-seats with django-scim2 0.23 (SQLite, 2 gunicorn workers) and
scim2-server 0.8.3 (in memory, 1 process). Figures from different days or machines say
little, so one run measures the ceiling app, then each server in turn, under the same
load generator, clients and gunicorn threads, and prints them side by side as shares of
that ceiling.

Each peer is installed at its pinned version from PyPI into its own virtualenv under
`bench/.peers/` (outside git, reused while the pins stay the same), next to the gunicorn
version scim-seats runs on. What a peer leaves to the project that uses it is in
`bench/peers/<peer>/` (a Django project for django-scim2, the WSGI app for scim2-server),
copied into the run's temporary directory. A peer with `/Bulk` gets the population through
the shared `bulk_preload.py`, the others through scimload's own `POST /Users` preload.

Settings come from the environment, as for `make bench` (BENCH_POP, BENCH_DURATION,
BENCH_WARMUP), plus BENCH_PEERS: comma list of scim-seats, django-scim2, scim2-server
(default all three, in that order). It prints figures and asserts nothing.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scim_bench import (
    CLIENTS,
    LABELS,
    SCENARIOS,
    SHARED,
    THREADS_PER_WORKER,
    WORKERS,
    Config,
    bench_backend,
    config_from,
    measure_ceiling,
    note,
    scimload,
    serving,
)

HERE = Path(__file__).resolve().parent
GLUE = HERE / "peers"
CACHE = HERE / ".peers"


@dataclass(frozen=True)
class Peer:
    name: str
    requirement: str  # the pinned release from PyPI
    storage: str
    workers: int
    glue: str  # directory under bench/peers/, gunicorn's working directory (a copy of it)
    app: str  # gunicorn's WSGI app, from that directory
    scim_path: str  # the SCIM root under the server's address
    bulk: bool  # serves POST /Bulk, so the shared bulk preload can fill it
    prepare: Callable[[Path, dict[str, str]], None] | None = None  # (peer venv bin, env)


def migrate_django(bin_dir: Path, env: dict[str, str]) -> None:
    """django-scim2 wants a user model of the project's own, so its migration is made here,
    in the run's copy of the project, then applied to the run's fresh SQLite file."""
    project = Path(env["PEER_PROJECT"])
    (project / "benchusers" / "migrations").mkdir(exist_ok=True)
    (project / "benchusers" / "migrations" / "__init__.py").touch()
    for args in (("makemigrations", "benchusers"), ("migrate",)):
        subprocess.run([str(bin_dir / "python"), "manage.py", *args, "-v", "0"], cwd=project,
                       env=env, check=True)


PEERS = {
    "django-scim2": Peer("django-scim2", "django-scim2==0.23.0", "SQLite", WORKERS,
                         "django_scim2", "benchpeer.wsgi:application", "/scim/v2", bulk=False,
                         prepare=migrate_django),
    # The users live in the worker's memory: a second worker would hold other users.
    "scim2-server": Peer("scim2-server", "scim2-server==0.8.3", "memory", 1,
                         "scim2_server", "scim2_server_app:app", "/v2", bulk=True),
}
SELF = "scim-seats"


# --------------------------------------------------------------------------- installing


def peer_bin(peer: Peer) -> Path:
    """The peer's virtualenv, made again only when its pins change (the stamp holds them)."""
    venv = CACHE / peer.name
    pins = [peer.requirement, f"gunicorn=={version('gunicorn')}"]
    stamp = venv / "bench-pins"
    if not stamp.exists() or stamp.read_text().split() != pins:
        note(f"{peer.name}: installing {' '.join(pins)} into {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        CACHE.mkdir(exist_ok=True)
        (CACHE / ".gitignore").write_text("*\n")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *pins], check=True,
                       stdout=sys.stderr)
        stamp.write_text("\n".join(pins) + "\n")
    return venv / "bin"


# --------------------------------------------------------------------------- measuring


def run_load(base: str, pid: int, out: Path, config: Config, state: Path, token: str,
             ceiling_rps: float) -> list[dict[str, Any]]:
    """scimload exits 1 when a scenario got no successful answer: for a peer that is a
    finding (it cannot do that scenario), written in its results like the others."""
    try:
        return scimload(base, pid, out, ",".join(SCENARIOS), config, state, token, ceiling_rps)
    except subprocess.CalledProcessError as failed:
        if failed.returncode != 1 or not out.exists():
            raise
        results: list[dict[str, Any]] = json.loads(out.read_text())["results"]
        return results


def bench_peer(peer: Peer, config: Config, workdir: Path, ceiling_rps: float
               ) -> list[dict[str, Any]]:
    bin_dir = peer_bin(peer)
    project = workdir / peer.glue
    shutil.copytree(GLUE / peer.glue, project)
    token = secrets.token_urlsafe(24)
    env = {**os.environ, "PEER_TOKEN": token, "PEER_PROJECT": str(project),
           "PEER_DB": str(workdir / f"{peer.name}.db")}
    if peer.prepare:
        peer.prepare(bin_dir, env)

    def command(port: int) -> list[str]:
        return [str(bin_dir / "gunicorn"), "-w", str(peer.workers), "-k", "gthread",
                "--threads", str(THREADS_PER_WORKER), "--chdir", str(project),
                "-b", f"127.0.0.1:{port}", peer.app]

    with serving(command, env, workdir / f"{peer.name}.log") as (base, pid):
        scim_base = base + peer.scim_path
        state = workdir / f"state-{peer.name}"
        if peer.bulk:
            note(f"{peer.name}: serving at {base}; preloading {config.population:,} users")
            subprocess.run([sys.executable, str(SHARED / "bulk_preload.py"),
                            "--base-url", scim_base, "--token", token,
                            "--population", str(config.population), "--state-dir", str(state)],
                           check=True, stdout=sys.stderr)
        else:
            note(f"{peer.name}: serving at {base}; no /Bulk, so scimload preloads "
                 f"{config.population:,} users one POST at a time")
        return run_load(scim_base, pid, workdir / f"{peer.name}.json", config, state, token,
                        ceiling_rps)


def bench_subject(name: str, config: Config, workdir: Path, ceiling_rps: float
                  ) -> list[dict[str, Any]]:
    if name == SELF:
        return bench_backend("sqlite", config, workdir, ceiling_rps).results
    return bench_peer(PEERS[name], config, workdir, ceiling_rps)


# --------------------------------------------------------------------------- report


def describe(name: str) -> str:
    if name == SELF:
        return f"{SELF} · SQLite · {WORKERS} × {THREADS_PER_WORKER}"
    peer = PEERS[name]
    return f"{peer.requirement} · {peer.storage} · {peer.workers} × {THREADS_PER_WORKER}"


def remark(result: dict[str, Any]) -> str:
    """Which answers were not the expected ones: a scenario with none right is one the
    server cannot do; one with no answer at all took longer than the measured seconds."""
    kinds = {k: v for k, v in result["error_kinds"].items() if k != "by_kind"}
    listed = ", ".join(f"{kind} × {count}" for kind, count in sorted(kinds.items()))
    if not result["requests"]:
        return f"no answer within the {result['elapsed_s']:g} s measured"
    if not result["ok"]:
        return f"cannot: {listed}"
    return f"{result['errors']} errors ({listed})" if result["errors"] else ""


def row(name: str, result: dict[str, Any], ceiling_rps: float) -> str:
    cpu = result.get("server_cpu_ms_per_req")
    latency = result["latency"]
    if not result["ok"]:
        return f"| {describe(name)} | {LABELS[result['scenario']]} | - | - | - | - | - | {remark(result)} |"
    return (f"| {describe(name)} | {LABELS[result['scenario']]} "
            f"| {100 * result['ok_rps'] / ceiling_rps:.1f} % | {result['ok_rps']:,.0f} "
            f"| {'-' if cpu is None else f'{cpu:.2f}'} | {latency['p50_ms']:.1f} "
            f"| {latency['p99_ms']:.1f} | {remark(result)} |")


def table(ceiling_rps: float, runs: list[tuple[str, list[dict[str, Any]]]]) -> str:
    lines = ["| server · storage · workers × threads | scenario | share of ceiling | req/s "
             "| server CPU ms/req | p50 ms | p99 ms | errors |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    lines += [row(name, r, ceiling_rps) for name, results in runs for r in results]
    return "\n".join(lines)


def subjects_from(env: dict[str, str]) -> list[str]:
    names = [n.strip() for n in env.get("BENCH_PEERS", f"{SELF},{','.join(PEERS)}").split(",")
             if n.strip()]
    unknown = set(names) - {SELF, *PEERS}
    if unknown or not names:
        sys.exit(f"BENCH_PEERS takes {SELF}, {', '.join(PEERS)}; got {names!r}")
    return names


def main() -> None:
    config = config_from(dict(os.environ))
    subjects = subjects_from(dict(os.environ))
    started = time.monotonic()
    runs: list[tuple[str, list[dict[str, Any]]]] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="scim-peers-") as tmp:
        workdir = Path(tmp)
        ceiling_rps = measure_ceiling(config, workdir)
        for name in subjects:
            try:
                runs.append((name, bench_subject(name, config, workdir, ceiling_rps)))
            except (subprocess.CalledProcessError, RuntimeError) as error:
                note(f"{name}: not measured: {error}")
                failed.append(f"{name}: not measured ({error})")
    print(f"\n{config.population:,} users, {CLIENTS} clients, {config.duration_s:g} s per "
          f"scenario; ceiling (minimal Flask app, {WORKERS} workers × {THREADS_PER_WORKER} "
          f"threads) {ceiling_rps:,.0f} req/s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cpus, shared by the clients and the server\n")
    print(table(ceiling_rps, runs))
    for line in failed:
        print(f"\n{line}")
    note(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
