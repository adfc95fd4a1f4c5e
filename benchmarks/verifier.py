"""Throughput and latency of the verifier service over HTTP: direct_post to stored result.

The verifier app (``govchain.verifier.create_app``) runs under uvicorn in its own worker
processes (forked, each with its own ``SO_REUSEPORT`` + ``TCP_NODELAY`` listening socket,
one SQLite file in WAL mode); a load generator of ``--loaders`` processes (threads with
blocking keep-alive sockets) posts pre-built, valid wallet responses (form-encoded
``vp_token`` + ``state``) and times each from the first byte sent to the last byte of the
answer. The CPU the workers and the load generator used is reported per response.
Before the run the benchmark deploys the consortium
on the embedded chain (as ``verify.py``), warms the status and trust caches, creates N
requests through the service and builds N presentations (each its own credential, holder
key and the request's nonce), so neither the wallet's cost nor request creation is
measured. Every answer must be ``200 {}``; a sample of stored results must be green.

    .venv/bin/python benchmarks/verifier.py [--count 6000] [--workers 2] [--connections 32] \
        [--loaders 2]

Target: >= 1,000 responses/s with p99 < 50 ms on the project's machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn

sys.path.insert(0, str(Path(__file__).parent))
import verify as vbench

from govchain.credentials import SigningKey, _samples, present_credential
from govchain.verifier import create_app
from govchain.verifier._wiring import open_provider, open_service
from govchain.verifier.checks import field_check
from govchain.verifier.settings import VerifierSettings

CHECK = "hund"
PARAMS = {"chip_number": _samples.CHIP}


def prepare(
    s: vbench.Setup, settings: VerifierSettings, count: int
) -> tuple[list[tuple[str, bytes]], Any]:
    """``count`` requests created through the service, each with its wallet response body."""
    service = open_service(
        settings, sources=(s.verifier.status, s.verifier.trust), clock=lambda: s.now
    )
    check = field_check(CHECK)
    disclose = list(check.claims(check.params(PARAMS)))
    record = _samples.dog_permit(s.today)
    bodies = []
    for _ in range(count):
        created = service.create_request(CHECK, PARAMS)
        row = service.store.by_id(created.request_id)
        assert row is not None
        holder = SigningKey.generate()
        credential = s.issuer.issue(record, holder=holder.public_key)
        shown = present_credential(
            credential.serialized,
            disclose=disclose,
            holder_key=holder,
            nonce=row.nonce,
            audience=service.client_id,
            issued_at=s.now,
        )
        form = urlencode({"vp_token": json.dumps({CHECK: [shown]}), "state": row.state})
        bodies.append((created.request_id, form.encode()))
    return bodies, service


def _serve(s: vbench.Setup, settings: VerifierSettings, port: int) -> None:
    """One worker on its own ``SO_REUSEPORT`` socket: the kernel spreads the connections
    over the workers (a shared accept socket lets one worker take most of them)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accept()
    listener.bind(("127.0.0.1", port))
    listener.listen(2048)
    app = create_app(settings, sources=(s.verifier.status, s.verifier.trust), clock=lambda: s.now)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    # The socket itself, not ``fd=``: uvicorn wraps an fd as AF_UNIX, so asyncio would not
    # set TCP_NODELAY on the connections and Nagle + delayed ACK would add 40 ms per answer
    # (headers and body are two writes).
    uvicorn.Server(config).run(sockets=[listener])


def _request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /verifier/v1/responses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _connection(port: int, requests: list[bytes], latencies: list[int], errors: list[str]) -> None:
    """One keep-alive connection, blocking sockets: send a request, read its answer."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    clock = time.perf_counter_ns
    recv = sock.recv
    for wire in requests:
        began = clock()
        sock.sendall(wire)
        data = b""
        while (split := data.find(b"\r\n\r\n")) < 0:
            chunk = recv(65536)
            if not chunk:
                raise ConnectionError("the verifier closed the connection")
            data += chunk
        head = data[:split].lower()
        at = head.find(b"content-length:")
        stop = head.find(b"\r\n", at)
        length = int(head[at + 15 : stop if stop >= 0 else len(head)])
        while len(data) < split + 4 + length:
            data += recv(65536)
        latencies.append(clock() - began)
        answer = data[split + 4 : split + 4 + length]
        if not data.startswith(b"HTTP/1.1 200 ") or answer != b"{}":
            errors.append(data[: data.find(b"\r\n")].decode() + " " + answer[:200].decode())
    sock.close()


def _load(port: int, bodies: list[bytes], connections: int, go: Any, conn: Connection) -> None:
    """One load process: ``connections`` threads, each one keep-alive connection.

    Requests are built before the start signal; reports (start, end, CPU seconds of this
    process during the run, latencies, errors).
    """
    latencies: list[int] = []
    errors: list[str] = []
    wires = [_request(port, body) for body in bodies]
    threads = [
        threading.Thread(target=_connection, args=(port, wires[i::connections], latencies, errors))
        for i in range(connections)
    ]
    go.wait()
    cpu = time.process_time()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.perf_counter()
    conn.send((began, ended, time.process_time() - cpu, latencies, errors))
    conn.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    context: Any, port: int, bodies: list[bytes], loaders: int, connections: int
) -> tuple[float, float, list[int], list[str]]:
    """Runs ``loaders`` load processes; (elapsed, their CPU seconds, latencies, errors)."""
    go = context.Event()
    pipes, processes = [], []
    per = max(1, connections // loaders)
    for i in range(loaders):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_load, args=(port, bodies[i::loaders], per, go, send), daemon=True
        )
        process.start()
        pipes.append(receive)
        processes.append(process)
    time.sleep(0.5)  # let them build their requests
    go.set()
    got = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    elapsed = max(g[1] for g in got) - min(g[0] for g in got)
    return (
        elapsed,
        sum(g[2] for g in got),
        [n for g in got for n in g[3]],
        [e for g in got for e in g[4]],
    )


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the verifier did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--loaders", type=int, default=2, help="load processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        s = vbench.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))  # holds the port; never listens, so gets no connection
        port = listener.getsockname()[1]
        settings = VerifierSettings(data_dir=Path(tmp), verifier_port=port)
        began = time.perf_counter()
        prepared, service = prepare(s, settings, args.warmup + args.count)
        prepare_seconds = time.perf_counter() - began
        # Create the login database before the workers fork, so that its migrations are
        # not part of any worker's start.
        open_provider(settings, service).store.close()
        servers = [
            context.Process(target=_serve, args=(s, settings, port), daemon=True)
            for _ in range(args.workers)
        ]
        for p in servers:
            p.start()
        _wait_for(port)

        bodies = [body for _, body in prepared]
        load(
            context, port, bodies[: args.warmup], args.loaders, args.connections
        )  # warm: imports, first list_record/office reads
        server_cpu = sum(_cpu_seconds(p.pid) for p in servers if p.pid is not None)
        load_before = os.getloadavg()[0]
        elapsed, loader_cpu, latencies, errors = load(
            context, port, bodies[args.warmup :], args.loaders, args.connections
        )
        server_cpu = sum(_cpu_seconds(p.pid) for p in servers if p.pid is not None) - server_cpu
        load_after = os.getloadavg()[0]
        for p in servers:
            p.terminate()
            p.join()
        if errors:
            raise SystemExit(f"{len(errors)} failed responses, e.g. {errors[0]}")
        sample = [rid for rid, _ in prepared[args.warmup :: max(1, args.count // 50)]]
        outcomes = {service.result(rid).outcome.value for rid in sample}  # type: ignore[union-attr]
        if outcomes != {"valid"}:
            raise SystemExit(f"unexpected outcomes in the sample: {outcomes}")
        service.store.close()

    latencies.sort()
    ms = [n / 1e6 for n in latencies]
    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "uvicorn": "httptools + uvloop"
        if importlib.util.find_spec("uvloop") and importlib.util.find_spec("httptools")
        else "h11 + asyncio",
        "responses": len(ms),
        "workers": args.workers,
        "connections": args.connections,
        "responses_per_s": round(len(ms) / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "max_ms": round(ms[-1], 2),
        "server_cpu_ms_per_response": round(server_cpu / len(ms) * 1e3, 3),
        "loader_cpu_ms_per_response": round(loader_cpu / len(ms) * 1e3, 3),
        "loader_cpu_share": round(loader_cpu / (loader_cpu + server_cpu), 2),
        "cpu_bound_capacity_per_s": round(
            (os.cpu_count() or 1) / ((server_cpu + loader_cpu) / len(ms)), 1
        ),
        "loadavg_1m_before_after": [round(load_before, 2), round(load_after, 2)],
        "prepare_s": round(prepare_seconds, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:16} {value}")


if __name__ == "__main__":
    main()
