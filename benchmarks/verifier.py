"""Throughput and latency of the verifier service over HTTP: direct_post to stored result.

The verifier app (``govchain.verifier.create_app``) runs under uvicorn in its own worker
processes (forked, sharing one listening socket and one SQLite file in WAL mode); a load
generator in another process posts pre-built, valid wallet responses (form-encoded
``vp_token`` + ``state``) over keep-alive connections and times each from the first byte
sent to the last byte of the answer. Before the run the benchmark deploys the consortium
on the embedded chain (as ``verify.py``), warms the status and trust caches, creates N
requests through the service and builds N presentations (each its own credential, holder
key and the request's nonce), so neither the wallet's cost nor request creation is
measured. Every answer must be ``200 {}``; a sample of stored results must be green.

    .venv/bin/python benchmarks/verifier.py [--count 6000] [--workers 2] [--connections 32]

Target: >= 1,000 responses/s with p99 < 50 ms on the project's machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import tempfile
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
from govchain.verifier._wiring import open_service
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


def _serve(s: vbench.Setup, settings: VerifierSettings, fd: int) -> None:
    app = create_app(settings, sources=(s.verifier.status, s.verifier.trust), clock=lambda: s.now)
    config = uvicorn.Config(app, fd=fd, log_level="warning", access_log=False)
    uvicorn.Server(config).run()


async def _client(port: int, bodies: list[bytes], latencies: list[int], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    clock = time.perf_counter_ns
    for body in bodies:
        head = (
            "POST /verifier/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        began = clock()
        writer.write(head + body)
        status_line = await reader.readuntil(b"\r\n")
        length = 0
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer = await reader.readexactly(length)
        latencies.append(clock() - began)
        if b" 200 " not in status_line or answer != b"{}":
            errors.append(status_line.decode().strip() + " " + answer[:200].decode())
    writer.close()


def _load(port: int, bodies: list[bytes], connections: int, conn: Connection) -> None:
    latencies: list[int] = []
    errors: list[str] = []

    async def run() -> float:
        shares = [bodies[i::connections] for i in range(connections)]
        began = time.perf_counter()
        await asyncio.gather(*(_client(port, share, latencies, errors) for share in shares))
        return time.perf_counter() - began

    elapsed = asyncio.run(run())
    conn.send((elapsed, latencies, errors))
    conn.close()


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
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        s = vbench.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(2048)
        port = listener.getsockname()[1]
        settings = VerifierSettings(data_dir=Path(tmp), verifier_port=port)
        began = time.perf_counter()
        prepared, service = prepare(s, settings, args.warmup + args.count)
        prepare_seconds = time.perf_counter() - began
        servers = [
            context.Process(target=_serve, args=(s, settings, listener.fileno()), daemon=True)
            for _ in range(args.workers)
        ]
        for p in servers:
            p.start()
        _wait_for(port)

        def load(bodies: list[bytes]) -> tuple[float, list[int], list[str]]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_load, args=(port, bodies, args.connections, send), daemon=True
            )
            process.start()
            got: tuple[float, list[int], list[str]] = receive.recv()
            process.join()
            return got

        bodies = [body for _, body in prepared]
        load(bodies[: args.warmup])  # warm: imports, first list_record/office reads, JIT-free
        elapsed, latencies, errors = load(bodies[args.warmup :])
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
        "responses": len(ms),
        "workers": args.workers,
        "connections": args.connections,
        "responses_per_s": round(len(ms) / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "max_ms": round(ms[-1], 2),
        "prepare_s": round(prepare_seconds, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:16} {value}")


if __name__ == "__main__":
    main()
