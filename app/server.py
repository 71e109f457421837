"""gunicorn embedded, so `scim-seats serve` needs no separate config file."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.factory import create_app

        return create_app()


def _share_metrics_between_workers() -> None:
    """Each worker counts its own requests; a directory shared by the workers lets /metrics
    sum them (prometheus_client multiprocess mode). Set before any worker is forked."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        path = tempfile.mkdtemp(prefix="scim-seats-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        atexit.register(shutil.rmtree, path, ignore_errors=True)


def run_gunicorn(*, host: str, port: int, workers: int) -> None:
    _share_metrics_between_workers()
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
            "graceful_timeout": 5,
            # One shared control socket per user would collide between several servers.
            "control_socket_disable": True,
        }
    ).run()
