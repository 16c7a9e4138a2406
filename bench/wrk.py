"""wrk, the native HTTP load generator, driven from Python: a POST of a JSON body, parsed figures.

A Python client tops out near 1,000 requests/s on this kind of machine, below what a cached
response costs the server; wrk (C, one thread here) does not, so throughput figures come from it.
Loopback only, bounded in time.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class WrkResult:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int

    def row(self) -> str:
        return (
            f"{self.name:<44} {self.rps:9.0f} req/s  p50 {self.p50_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms"
            f"  ({self.requests} requests, {self.non_2xx} non-2xx, {self.errors} socket errors)"
        )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: `make bench` installs it (Debian: apt-get install -y wrk)")
    return found


def _lua(body: dict[str, object], headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
    for key, value in {"Content-Type": "application/json", **headers}.items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def run_wrk(
    name: str,
    url: str,
    body: dict[str, object],
    headers: dict[str, str] | None = None,
    *,
    connections: int = 8,
    seconds: float = 5.0,
    threads: int = 1,
) -> WrkResult:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("load is only ever sent to loopback")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(_lua(body, headers or {}))
        output = subprocess.run(
            [
                wrk_path(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    percentiles = dict(re.findall(r"^\s+(50|99)\.000%\s+(\S+)", output, re.M)) or dict(
        re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M)
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        name=name,
        rps=rps,
        p50_ms=_milliseconds(percentiles["50"]),
        p99_ms=_milliseconds(percentiles["99"]),
        requests=requests,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
