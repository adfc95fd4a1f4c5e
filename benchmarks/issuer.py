"""Throughput and latency of the issuer over HTTP: the full OID4VCI flow per credential.

Each credential is one whole flow over real HTTP on loopback, as an official's batch job
and a citizen's wallet would run it: ``POST /issuer/v1/offers`` (an official makes an
offer with a tx_code; street-music permit claims), ``POST /token`` (pre-authorized code
+ tx_code), ``POST /nonce``, then ``POST /credential`` with a fresh ES256 key proof over
that c_nonce. The flow is timed from the first byte of the offer request to the last
byte of the credential response.

The issuer app (``govchain.issuer.create_app``, as ``govchain issuer serve`` runs it: its
SQLite database with WAL and ``synchronous=FULL``, hash-chained audit log, status indexes
from the office's allocation file, shared by the workers under a file lock) runs under
uvicorn (httptools + uvloop when installed, as they are with govchain's dependencies) in
``--workers`` forked processes, each with its own ``SO_REUSEPORT`` + ``TCP_NODELAY``
listening socket. Before the run the
benchmark deploys the consortium on the embedded chain, registers the issuer's DID,
accredits the office for every type and creates its status list, exactly as an office
admin would; afterwards a sample of the issued credentials is presented and verified
against that chain (signature, holder binding, status, trust, policy).

A load generator of ``--loaders`` processes runs ``--connections`` threads in all, each
one keep-alive connection (blocking sockets) doing flows one after another; holder keys
are made before the start, proofs are signed during the flow (the wallet's real cost,
reported as the load generator's CPU).

    .venv/bin/python benchmarks/issuer.py [--count 6000] [--workers 2] [--connections 32] \
        [--loaders 2]

Target (issue 6): >= 300 credentials/s over HTTP on the project's machine.
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
from collections.abc import Callable
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn

sys.path.insert(0, str(Path(__file__).parent))
from _consortium import accredited_office

from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    SigningKey,
    VerificationRequest,
    Verifier,
    _samples,
    present_credential,
)
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.types import LOCAL_TIMEZONE
from govchain.issuer import create_app, issuer_identity
from govchain.issuer._proof import PROOF_TYP
from govchain.issuer.schemas import PRE_AUTHORIZED_GRANT
from govchain.issuer.service import IssuerService
from govchain.issuer.settings import IssuerSettings

CONFIGURATION = "street_music_permit_sd_jwt"
TX_CODE = "493817"
OFFICIAL = "ordnungsamt-aachen/benchmark"
AUDIENCE = "https://pruefung.ordnungsamt.aachen.example"
SHOW = [("holder", "family_name"), ("permit_number",)]


def chain_setup(settings: IssuerSettings) -> tuple[str, Verifier, float]:
    """The consortium on the embedded chain, the office registered with the issuer
    service's own DID and accredited for every type, and its status list.

    Returns the status list URI, a verifier reading that chain, and the clock skew to
    add to the wall clock so that the issuer's times are not before the chain's (the
    embedded chain's blocks run ahead of the wall clock by a second each)."""
    c = accredited_office()
    gateway, d, office, admin = c.gateway, c.d, c.office, c.admin
    identity = issuer_identity(settings)  # the service's key (made here on first use)
    d.trust.register_did(admin, office, identity.did, identity.thumbprint)
    list_id, _ = d.status.create_list(admin)
    status = ChainStatusSource(d.status, max_age=float("inf"), whole_lists=True)
    trust = ChainTrustSource(d.trust, max_age=float("inf"))
    skew = max(0.0, gateway.block_timestamp() + 1 - time.time())
    verifier = Verifier(status=status, trust=trust, clock=lambda: time.time() + skew)
    return status.list_uri(list_id), verifier, skew


def _serve(settings: IssuerSettings, port: int, skew: float) -> None:
    """One worker on its own ``SO_REUSEPORT`` socket with ``TCP_NODELAY`` (see
    ``benchmarks/verifier.py`` for why both matter)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accept()
    listener.bind(("127.0.0.1", port))
    listener.listen(2048)
    app = create_app(settings, clock=lambda: time.time() + skew)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[listener])


# --- the wallet's side, on raw keep-alive sockets ----------------------------------------


class FlowError(Exception):
    """An answer that is not what the flow expects."""


class Client:
    """One keep-alive HTTP/1.1 connection: a request out, its whole answer in."""

    def __init__(self, port: int) -> None:
        self.host = f"127.0.0.1:{port}"
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def post(self, path: str, body: bytes, content_type: str, extra: str = "") -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {content_type}\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body)
        data = self.buffer
        while (split := data.find(b"\r\n\r\n")) < 0:
            data += self._recv()
        head_bytes = data[:split].lower()
        at = head_bytes.find(b"content-length:")
        stop = head_bytes.find(b"\r\n", at)
        length = int(head_bytes[at + 15 : stop if stop >= 0 else len(head_bytes)])
        end = split + 4 + length
        while len(data) < end:
            data += self._recv()
        self.buffer = data[end:]
        return int(data[9:12]), data[split + 4 : end]

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the issuer closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def _expect(status: int, body: bytes, want: int, step: str) -> dict[str, Any]:
    if status != want:
        raise FlowError(f"{step}: HTTP {status} {body[:300].decode(errors='replace')}")
    answer: dict[str, Any] = json.loads(body)
    return answer


def flow(client: Client, offer_body: bytes, key: SigningKey, audience: str, skew: float) -> str:
    """offer -> token -> nonce -> credential; returns the issued SD-JWT VC."""
    created = _expect(
        *client.post(
            "/issuer/v1/offers",
            offer_body,
            "application/json",
            f"X-Govchain-Dev-Official: {OFFICIAL}\r\n",
        ),
        201,
        "offer",
    )
    offer = json.loads(parse_qs(urlsplit(created["offer_uri"]).query)["credential_offer"][0])
    code = offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = urlencode(
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": TX_CODE}
    )
    token = _expect(
        *client.post("/token", form.encode(), "application/x-www-form-urlencoded"), 200, "token"
    )["access_token"]
    nonce = _expect(*client.post("/nonce", b"", "application/json"), 200, "nonce")["c_nonce"]
    proof = sign_compact_jws(
        {"typ": PROOF_TYP, "jwk": key.public_key.jwk},
        {"aud": audience, "iat": int(time.time() + skew), "nonce": nonce},
        key,
    )
    request = json.dumps(
        {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof]}}
    ).encode()
    issued = _expect(
        *client.post(
            "/credential", request, "application/json", f"Authorization: Bearer {token}\r\n"
        ),
        200,
        "credential",
    )
    return str(issued["credentials"][0]["credential"])


def _connection(
    port: int,
    offer_body: bytes,
    keys: list[SigningKey],
    audience: str,
    skew: float,
    latencies: list[int],
    errors: list[str],
    samples: list[tuple[str, str]],
) -> None:
    client = Client(port)
    clock = time.perf_counter_ns
    for n, key in enumerate(keys):
        began = clock()
        try:
            credential = flow(client, offer_body, key, audience, skew)
        except FlowError as err:
            errors.append(str(err))
            continue
        latencies.append(clock() - began)
        if n == 0:  # one presentation per connection, verified against the chain later
            nonce = f"sample-{os.getpid()}-{len(samples)}"  # unique across loaders
            shown = present_credential(
                credential,
                disclose=SHOW,
                holder_key=key,
                nonce=nonce,
                audience=AUDIENCE,
                issued_at=int(time.time() + skew),
            )
            samples.append((shown, nonce))
    client.close()


def _load(
    port: int,
    offer_body: bytes,
    count: int,
    connections: int,
    audience: str,
    skew: float,
    go: Any,
    conn: Connection,
) -> None:
    """One load process; reports (start, end, CPU seconds, latencies, errors, samples)."""
    latencies: list[int] = []
    errors: list[str] = []
    samples: list[tuple[str, str]] = []
    keys = [SigningKey.generate() for _ in range(count)]
    threads = [
        threading.Thread(
            target=_connection,
            args=(
                port,
                offer_body,
                keys[i::connections],
                audience,
                skew,
                latencies,
                errors,
                samples,
            ),
        )
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
    conn.send((began, ended, time.process_time() - cpu, latencies, errors, samples))
    conn.close()


def load(
    context: Any,
    port: int,
    offer_body: bytes,
    count: int,
    loaders: int,
    connections: int,
    audience: str,
    skew: float,
) -> tuple[float, float, list[int], list[str], list[tuple[str, str]]]:
    """Runs ``loaders`` load processes for ``count`` flows in all; (elapsed, their CPU
    seconds, latencies, errors, sample presentations)."""
    go = context.Event()
    pipes, processes = [], []
    per = max(1, connections // loaders)
    for i in range(loaders):
        receive, send = context.Pipe(duplex=False)
        share = count // loaders + (1 if i < count % loaders else 0)
        process = context.Process(
            target=_load,
            args=(port, offer_body, share, per, audience, skew, go, send),
            daemon=True,
        )
        process.start()
        pipes.append(receive)
        processes.append(process)
    time.sleep(0.3)  # let them make their keys
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
        [s for g in got for s in g[5]],
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the issuer did not start")


def check(
    settings: IssuerSettings, verifier: Verifier, samples: list[tuple[str, str]], issued: int
) -> None:
    """The sample presentations verify against the chain (signature, holder binding,
    status, trust, policy), and the audit log records every issuance in one chain."""
    for shown, nonce in samples:
        result = verifier.verify(shown, VerificationRequest(nonce=nonce, audience=AUDIENCE))
        if not result.valid:
            raise SystemExit(f"an issued credential does not verify: {result.to_json()}")
    service = IssuerService.open(settings, load_key=False)
    try:
        recorded = sum(1 for r in service.audit_log() if r.event == "credential_issued")
        chained = service.verify_audit_chain()
    finally:
        service.close()
    if recorded != issued or not chained:
        raise SystemExit(f"audit log: {recorded} issuances recorded, chain intact: {chained}")


def run(
    *,
    count: int,
    warmup: int,
    workers: int,
    connections: int,
    loaders: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Set up chain and issuer, run the warm-up and the measured flows; the figures."""
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))  # holds the port; never listens
        port = listener.getsockname()[1]
        base: dict[str, Any] = {
            "data_dir": Path(tmp),
            "issuer_port": port,
            "environment": "development",
            "issuer_key_scrypt_n": 2**14,
        }
        progress("deploying the consortium on the embedded chain, registering the office")
        began = time.perf_counter()
        uri, verifier, skew = chain_setup(IssuerSettings(**base))
        settings = IssuerSettings(**base, issuer_status_list_uri=uri)
        # Database, migrations and WAL before the workers fork (see benchmarks/verifier.py).
        IssuerService.open(settings).close()
        setup_seconds = time.perf_counter() - began
        audience = settings.credential_issuer
        today = datetime.fromtimestamp(time.time() + skew, LOCAL_TIMEZONE).date()
        claims = _samples.street_music_permit(today).model_dump(mode="json")
        offer_body = json.dumps(
            {"credential_type": CONFIGURATION, "claims": claims, "tx_code": TX_CODE}
        ).encode()

        servers = [
            context.Process(target=_serve, args=(settings, port, skew), daemon=True)
            for _ in range(workers)
        ]
        for p in servers:
            p.start()
        try:
            _wait_for(port)
            progress(f"warm-up: {warmup} flows")
            _, _, _, errors, _ = load(
                context, port, offer_body, warmup, loaders, connections, audience, skew
            )
            if errors:
                raise SystemExit(f"{len(errors)} failed flows in the warm-up, e.g. {errors[0]}")
            progress(f"measuring: {count} flows on {connections} connections")
            server_cpu = sum(_cpu_seconds(p.pid) for p in servers if p.pid is not None)
            load_before = os.getloadavg()[0]
            elapsed, loader_cpu, latencies, errors, samples = load(
                context, port, offer_body, count, loaders, connections, audience, skew
            )
            server_cpu = sum(_cpu_seconds(p.pid) for p in servers if p.pid is not None) - server_cpu
            load_after = os.getloadavg()[0]
        finally:
            for p in servers:
                p.terminate()
                p.join()
        if errors:
            raise SystemExit(f"{len(errors)} failed flows, e.g. {errors[0]}")
        progress(f"verifying {len(samples)} issued credentials against the chain")
        check(settings, verifier, samples, issued=warmup + count)

    latencies.sort()
    ms = [n / 1e6 for n in latencies]
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "uvicorn": "httptools + uvloop"
        if importlib.util.find_spec("uvloop") and importlib.util.find_spec("httptools")
        else "h11 + asyncio",
        "credentials": len(ms),
        "workers": workers,
        "connections": connections,
        "loaders": loaders,
        "credentials_per_s": round(len(ms) / elapsed, 1),
        "http_requests_per_s": round(4 * len(ms) / elapsed, 1),
        "flow_p50_ms": round(statistics.median(ms), 2),
        "flow_p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "flow_max_ms": round(ms[-1], 2),
        "server_cpu_ms_per_credential": round(server_cpu / len(ms) * 1e3, 3),
        # what 2 quiet cores could carry at these CPU costs (server + load generator)
        "cpu_bound_credentials_per_s": round(
            (os.cpu_count() or 1) / ((server_cpu + loader_cpu) / len(ms))
        ),
        "loader_cpu_ms_per_credential": round(loader_cpu / len(ms) * 1e3, 3),
        "verified_samples": len(samples),
        "audit_log_chained": True,
        "loadavg_1m_before_after": [round(load_before, 2), round(load_after, 2)],
        "setup_s": round(setup_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--loaders", type=int, default=2, help="load processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(
        count=args.count,
        warmup=args.warmup,
        workers=args.workers,
        connections=args.connections,
        loaders=args.loaders,
        progress=lambda line: print(f"... {line}", file=sys.stderr, flush=True),
    )
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:30} {value}")


if __name__ == "__main__":
    main()
