"""``make soak``: a bounded soak of the web app through ``gradio_client``, printed and saved as JSON.

It ingests the shipped corpus into a temporary data dir, starts ``app.py`` on a free port of 127.0.0.1, and sends
``--requests`` mixed requests (ask, search, brief, rebut; 2,000 by default) from ``--concurrency`` clients (20).
It reports errors, p50 / p95 latency per kind, and the server's resident memory sampled along the way, with the
growth from the 200th request to the last (the goal: at most 10%). Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
REQUESTS = [
    ("ask", ("How many inmates can CECOT hold?",)),
    ("ask", ("how many people died in custody",)),
    ("search", ("deaths in custody", 5)),
    ("ask", ("homicides in el salvador in 2019?",)),
    ("brief", ("El Salvador should end the state of exception", 3)),
    ("search", ("homicide rate 2023", 5)),
    ("rebut", ("Murders collapsed once the gangs were locked up.", 2)),
    ("ask", ("why do critics doubt the homicide figures",)),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its JSON summary; exit 1 on any error."""
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--out", default=str(PROJECT_DIR / "bench" / "results" / "soak.json"))
    args = parser.parse_args(argv)
    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="bot-soak-") as tmp:
        port = free_port()
        env = {**os.environ, "BOT_DATA_DIR": str(Path(tmp) / "data"), "BOT_PORT": str(port), "BOT_LLM": "extractive"}
        subprocess.run([sys.executable, "-m", "bot", "ingest"], cwd=PROJECT_DIR, env=env, check=True)
        server = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_DIR, env=env)
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the front answers first; the Gradio API follows (bot.front)
                try:
                    with urllib.request.urlopen(f"{url}api/ready", timeout=2) as reply:  # noqa: S310 - local http
                        if json.loads(reply.read())["ui"]:
                            break
                except OSError:
                    pass
                time.sleep(0.5)
            clients = [Client(url, verbose=False) for _ in range(args.concurrency)]
            latencies: dict[str, list[float]] = {}
            errors: list[str] = []
            memory: list[tuple[int, float]] = []
            done = 0
            lock = threading.Lock()

            def one(i: int) -> None:
                nonlocal done
                kind, payload = REQUESTS[i % len(REQUESTS)]
                began = time.perf_counter()
                try:
                    clients[i % len(clients)].predict(*payload, api_name=f"/{kind}")
                except Exception as exc:  # any failure is counted, never hidden
                    with lock:
                        errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
                with lock:
                    latencies.setdefault(kind, []).append(time.perf_counter() - began)
                    done += 1
                    if done % 100 == 0:
                        memory.append((done, rss_mb(server.pid)))

            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                list(pool.map(one, range(args.requests)))
        finally:
            server.terminate()
            server.wait(timeout=60)
    base = next((mb for n, mb in memory if n >= 200), memory[0][1] if memory else 0.0)
    last = memory[-1][1] if memory else 0.0
    result: dict[str, Any] = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "errors": len(errors),
        "error_samples": errors[:10],
        "latency_s": {
            k: {
                "n": len(v),
                "p50": round(statistics.median(v), 3),
                "p95": round(sorted(v)[int(0.95 * (len(v) - 1))], 3),
            }
            for k, v in sorted(latencies.items())
        },
        "rss_mb": {
            "at_200": round(base, 1),
            "last": round(last, 1),
            "growth": round(last / base - 1, 3) if base else None,
        },
        "rss_samples": memory,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, indent=2))
    print(f"saved: {out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
