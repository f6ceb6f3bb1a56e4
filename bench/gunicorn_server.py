"""gunicorn for the HTTP benches (bench_intake.py, bench_scale.py): start one on a free port, stop it whole.

Imported by the benches as a sibling module (they run as `python bench/<name>.py`, which puts this
folder on the import path). Only 127.0.0.1 is bound.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        """Stop the master and its workers (its own process group), politely first."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 15) -> str:
        if not self.log.is_file():
            return ""
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def start(
    *,
    env: dict[str, str],
    log: Path,
    workers: int,
    worker_class: str = "sync",
    timeout: float = 60,
    options: Sequence[str] = (),
) -> Server:
    """Start `civicgrid.wsgi` under gunicorn in its own process group; return once it answers /healthz.

    `options` are more gunicorn command-line options; errors go to `log`.
    """
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn if gunicorn.exists() else shutil.which("gunicorn") or "gunicorn"),
        "civicgrid.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--chdir", str(ROOT),
        "--pythonpath", str(ROOT),
        "--timeout", str(int(timeout)),
        "--graceful-timeout", "10",
        "--error-logfile", str(log),
        "--log-level", "warning",
        "--no-control-socket",
        *options,
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{server.log_tail()}")
