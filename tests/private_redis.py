"""A redis-server of a test's own, on a free port, with nothing saved to disk: the one on
6379, if any, belongs to someone else. `make test` installs Debian's redis-server when it
is missing (the `redis` target)."""
from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.live_server import free_port

READY = b"Ready to accept connections"


@contextmanager
def private_redis() -> Iterator[str]:
    """Yields its URL once it accepts connections (it says so on its log, read here line
    by line: no polling)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH: `make test` installs it "
                           "(Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--protected-mode", "yes", "--logfile", ""],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if READY in line:
                break
        else:
            raise RuntimeError(f"redis-server exited with {process.wait()} before it was ready")
        # the rest of its log is read away, so that a full pipe never blocks it
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=15)
