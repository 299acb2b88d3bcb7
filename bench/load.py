"""Load on the chat: concurrent ``gradio_client`` users asking through the ``ask`` API.

Builds an index of the bundled corpus with the real model (or uses ``--index``), starts
``docqa serve`` on a free 127.0.0.1 port, connects ``--users`` clients, loads the ``ask``
endpoint for ``--warmup`` seconds (not measured), then for ``--seconds``: every user asks,
waits for the answer and asks again. Prints requests served, errors, latency percentiles,
and the server's resident memory before and after the measured load (and every ~5 s).

    python -m bench.load [--users 20] [--seconds 60] [--warmup 15] [--index DIR] [--json]
    python -m bench.load --part viewer [--viewer-requests 2000] [--long-opens 300]

``--part viewer`` (or ``all``) measures the document viewer instead (or too), in Chromium: see
:mod:`bench.viewer_load` (the index then also holds a 2.3 MB Markdown ledger).

Loopback only; nothing leaves the machine. Figures, not pass/fail: the targets (no error,
memory growth within 10%) are printed next to the results.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.viewer_load import (
    BIG_NAME,
    article_places,
    big_document,
    drive_viewer,
    viewer_report,
)

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "When was the 16th BRICS summit held?",
    "Why did Kazakhstan decline to join BRICS+?",
    "Which products did Russia ban from Kazakhstan?",
    "Which regional organisations is Kazakhstan a member of?",
    "What is multi-vector foreign policy?",
    "Who is the president of Kazakhstan?",
    "How tall is Mount Everest?",
    "What did the Astana summit decide?",
)
RSS_GROWTH_TARGET = 0.10
ARTICLE = "kazakhstan-brics-refusal.md"


@dataclass
class Figures:
    """What one load run measured."""

    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    per_second: float = 0.0
    rss_ready_mb: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    rss_growth: float = 0.0
    rss_samples_mb: list[float] = field(default_factory=list)
    warmup: float = 0.0
    warmup_requests: int = 0


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _ready(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "config", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def build_index(index: Path, *extra: Path) -> None:
    """Index the bundled corpus (and ``extra`` files) with the real model (``docqa ingest``)."""
    command = [sys.executable, "-m", "ui.cli", "ingest", str(ROOT / "corpus"), *map(str, extra)]
    subprocess.run(
        [*command, "--index", str(index), "--json"],
        cwd=ROOT,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def running_server(index: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``docqa serve`` on a free loopback port; yields the process and its URL when ready."""
    port = _free_port()
    command = [sys.executable, "-m", "ui.cli", "serve", "--index", str(index)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docqa serve did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield process, url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _client(url: str) -> Any:
    from gradio_client import Client

    return Client(
        url,
        verbose=False,
        download_files=False,
        analytics_enabled=False,
        httpx_kwargs={"timeout": 120},
    )


def _ask(client: Any, question: str, timeout: float) -> None:
    """One request; raises on any error or on a reply that is not an answer."""
    job = client.submit(question, 5, "hybrid", api_name="/ask")
    answer = job.result(timeout=timeout)
    if not isinstance(answer, dict) or "passages" not in answer or "abstained" not in answer:
        raise RuntimeError(f"not an answer: {str(answer)[:200]}")


@dataclass
class _Phase:
    """Latencies and errors of one phase of load."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stuck: int = 0
    elapsed: float = 0.0
    rss_samples_mb: list[float] = field(default_factory=list)


def _load(clients: list[Any], seconds: float, pid: int) -> _Phase:
    """Every client asks in a loop, one request at a time, until ``seconds`` have passed."""
    phase, lock = _Phase(), threading.Lock()
    start = time.monotonic()
    deadline = start + seconds

    def user(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            began = time.perf_counter()
            try:
                _ask(clients[n], question, timeout=max(5.0, deadline - time.monotonic() + 60))
            except Exception as exc:
                with lock:
                    phase.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                phase.latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    while time.monotonic() < deadline:
        time.sleep(min(5.0, deadline - time.monotonic()))
        phase.rss_samples_mb.append(round(_rss_mb(pid), 1))
    for thread in threads:  # each finishes the request it has in flight
        thread.join(timeout=180)
    phase.stuck = sum(t.is_alive() for t in threads)
    phase.elapsed = time.monotonic() - start
    return phase


def drive(url: str, users: int, seconds: float, warmup: float, pid: int) -> Figures:
    """Connect ``users`` clients, load the server ``warmup`` seconds, then ``seconds`` measured.

    The warm-up lets the server reach its working size under this load (model buffers,
    worker threads); the growth measured afterwards is what sustained load adds.
    """
    figures = Figures(users=users, seconds=seconds, rss_ready_mb=round(_rss_mb(pid), 1))
    clients = [_client(url) for _ in range(users)]
    warm = _load(clients, warmup, pid)
    figures.rss_before_mb = round(_rss_mb(pid), 1)
    phase = _load(clients, seconds, pid)
    figures.rss_after_mb = round(_rss_mb(pid), 1)
    figures.rss_growth = round(figures.rss_after_mb / figures.rss_before_mb - 1, 4)
    figures.rss_samples_mb = phase.rss_samples_mb
    figures.warmup_requests = len(warm.latencies)
    figures.requests = len(phase.latencies)
    figures.errors = len(warm.errors) + warm.stuck + len(phase.errors) + phase.stuck
    figures.error_samples = sorted(set(warm.errors + phase.errors))[:5]
    if phase.latencies:
        cuts = statistics.quantiles(phase.latencies, n=100, method="inclusive")
        figures.p50_ms, figures.p95_ms = round(cuts[49], 1), round(cuts[94], 1)
        figures.max_ms = round(max(phase.latencies), 1)
    figures.per_second = round(len(phase.latencies) / phase.elapsed, 2)
    return figures


def report(figures: Figures) -> str:
    """The figures for people, with the targets."""
    growth = f"{figures.rss_growth:+.1%}"
    verdict = "within" if figures.rss_growth <= RSS_GROWTH_TARGET else "OVER"
    lines = [
        f"users {figures.users}, {figures.seconds:.0f} s of load on the ask API "
        f"(after {figures.warmup:.0f} s of warm-up: {figures.warmup_requests} requests)",
        f"requests served   {figures.requests} ({figures.per_second} per second)",
        f"errors            {figures.errors} (target 0)",
        f"latency           p50 {figures.p50_ms} ms, p95 {figures.p95_ms} ms, "
        f"max {figures.max_ms} ms",
        f"server RSS        {figures.rss_before_mb} MB before -> {figures.rss_after_mb} MB "
        f"after ({growth}; {verdict} the 10% target)",
        f"                  {figures.rss_ready_mb} MB when ready, before the users connected",
    ]
    lines.append(f"RSS every ~5 s    {', '.join(f'{m:g}' for m in figures.rss_samples_mb)}")
    lines += [f"  error: {e}" for e in figures.error_samples]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark; returns 0 (figures are printed, not judged)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds, not measured")
    parser.add_argument("--index", help="an existing index (default: build one of corpus/)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--part", choices=("ask", "viewer", "all"), default="ask")
    parser.add_argument("--viewer-requests", type=int, default=2000)
    parser.add_argument("--viewer-sessions", type=int, default=4)
    parser.add_argument("--long-opens", type=int, default=300)
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 100 and 1 <= args.seconds <= 600 and 0 <= args.warmup <= 600):
        parser.error("--users must be 1..100, --seconds 1..600 and --warmup 0..600")
    if not (1 <= args.viewer_sessions <= 50 and args.viewer_requests >= 0 <= args.long_opens):
        parser.error("--viewer-sessions must be 1..50; the counts must not be negative")
    viewer = args.part in ("viewer", "all")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="docqa-load-") as scratch:
        index = Path(args.index) if args.index else Path(scratch) / "index"
        big_length = 0
        if viewer:
            big_length = big_document(Path(scratch) / BIG_NAME)
        if not args.index:
            print("building the index of corpus/ with the real model...", file=sys.stderr)
            build_index(index, *([Path(scratch) / BIG_NAME] if viewer else []))
        with running_server(index, Path(scratch) / "server.log") as (process, url):
            if args.part in ("ask", "all"):
                print(
                    f"serving on {url}; {args.users} users for {args.seconds:g} s", file=sys.stderr
                )
                figures = drive(url, args.users, args.seconds, args.warmup, process.pid)
                figures.warmup = args.warmup
                results["ask"] = figures
            if viewer:
                print(f"serving on {url}; the viewer in Chromium", file=sys.stderr)
                results["viewer"] = drive_viewer(
                    url,
                    article_places(index, ARTICLE),
                    doc_id=ARTICLE,
                    big_length=big_length,
                    requests=args.viewer_requests,
                    sessions=args.viewer_sessions,
                    long_opens=args.long_opens,
                    rss=lambda: _rss_mb(process.pid),
                )
    if args.json:
        print(json.dumps({part: asdict(figures) for part, figures in results.items()}))
    else:
        texts = [report(results["ask"])] if "ask" in results else []
        texts += [viewer_report(results["viewer"])] if "viewer" in results else []
        print("\n\n".join(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
