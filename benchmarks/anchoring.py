"""Anchoring throughput: durable ingest, ingest over HTTP, proof generation, offline
receipt verification, and how time and storage grow with the log. Also runs pymerkle
(RFC 9162, SQLite-backed) on the same data for comparison.

Run: .venv/bin/python benchmarks/anchoring.py [--max-exponent 7]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from eth_account import Account
from pymerkle import SqliteTree

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Founder, deploy_consortium
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import Role
from govchain.platform.anchoring._store import AnchorStore
from govchain.platform.anchoring.receipts import verify_receipt
from govchain.platform.anchoring.service import AnchorChain, AnchoringService


def hashes(count: int, seed: int = 0) -> list[bytes]:
    """Distinct 32-byte document hashes."""
    return [hashlib.sha256((seed * 10**9 + i).to_bytes(8, "big")).digest() for i in range(count)]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def embedded_chain() -> AnchorChain:
    """A consortium on the embedded EVM with an anchoring account holding its role."""
    gateway = ChainGateway(EmbeddedBackend())
    accounts = [Account.create() for _ in range(4)]
    for a in accounts:
        gateway.fund(a.address, 10**21)
    deployer, aachen, soest, anchorer = accounts
    d = deploy_consortium(
        gateway,
        deployer,
        [
            Founder(name="Aachen", address=aachen.address),
            Founder(name="Soest", address=soest.address),
        ],
        2,
    )
    d.consortium.decide(aachen, [soest], d.anchors.grant_role_call(Role.ANCHORER, anchorer.address))
    return AnchorChain(d.anchors, anchorer)


def growth(max_exponent: int, work: Path) -> None:
    print("\n## Growth: one namespace, ingest in batches of 10,000, then one anchor\n")
    print(
        "| hashes | ingest/s (durable) | tree build s | anchor txs | proofs/s (CPU) | "
        "offline verify/s (CPU) | SQLite MB | tree MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    chain = embedded_chain()
    for exponent in range(3, max_exponent + 1):
        n = 10**exponent
        folder = work / f"growth-{n}"
        service = AnchoringService(folder, chain)
        name = f"bench.growth.{n}"
        service.add_namespace(name)
        data = hashes(n, exponent)
        started = time.perf_counter()
        for i in range(0, n, 10_000):
            service.submit_many(name, data[i : i + 10_000])
        ingest = n / (time.perf_counter() - started)
        started = time.perf_counter()
        service._extend_levels(name, n)  # the tree, as the anchor step builds it
        build = time.perf_counter() - started
        block_before = chain.registry.gateway.block_number()
        anchor = service.anchor(name)
        assert anchor is not None
        txs = chain.registry.gateway.block_number() - block_before  # automine: a block per tx
        levels = service.levels(name)
        sample = [random.randrange(n) for _ in range(20_000)]
        # CPU time of this process: the figure holds even while other work shares the cores.
        started = time.process_time()
        for index in sample:
            levels.inclusion_proof(index, n)
        proofs = len(sample) / (time.process_time() - started)
        receipts = [service.receipt(f"{name}:{i}") for i in sample[:5_000]]
        started = time.process_time()
        for receipt in receipts:
            assert receipt is not None and verify_receipt(receipt).failed.name == "chain"  # type: ignore[union-attr]
        verifies = len(receipts) / (time.process_time() - started)
        sqlite_mb = sum(p.stat().st_size for p in folder.glob("anchoring.sqlite3*")) / 1e6
        tree_mb = folder_size(folder / "trees") / 1e6
        print(
            f"| {n:,} | {ingest:,.0f} | {build:.2f} | {txs} | {proofs:,.0f} | "
            f"{verifies:,.0f} | {sqlite_mb:,.1f} | {tree_mb:,.1f} |",
            flush=True,
        )
        service.close()
        shutil.rmtree(folder)


def pymerkle_comparison(work: Path, n: int) -> None:
    print(f"\n## pymerkle 7 (SqliteTree) on {n:,} hashes\n")
    tree = SqliteTree(str(work / "pymerkle.db"), algorithm="sha256")
    data = hashes(n, 99)
    started = time.perf_counter()
    tree.append_entries(data)
    ingest = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(2_000):
        tree.prove_inclusion(random.randrange(1, n + 1))
    proofs = 2_000 / (time.perf_counter() - started)
    print(f"| ingest/s | proofs/s |\n|---:|---:|\n| {ingest:,.0f} | {proofs:,.0f} |")


def over_http(work: Path, total: int) -> None:
    print(f"\n## Over HTTP: {total:,} hashes in batches of 1,000, 4 client threads\n")
    data_dir = work / "http-data"
    store = AnchorStore(data_dir / "anchoring" / "anchoring.sqlite3")
    store.add_namespace("bench.http")
    store.add_namespace("bench.binary")
    store.close()
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "GOVCHAIN_DATA_DIR": str(data_dir),
        "GOVCHAIN_CHAIN_BACKEND": "rpc",
        "GOVCHAIN_RPC_URL": "http://127.0.0.1:9",  # no chain: this measures acceptance only
        "GOVCHAIN_ANCHORING_INTERVAL_SECONDS": "3600",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", "platform", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/anchoring/v1/status", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        data = hashes(total, 7)
        for label, path, encode in (
            (
                "JSON",
                "/anchoring/v1/namespaces/bench.http/hashes",
                lambda chunk: {"json": {"hashes": [h.hex() for h in chunk]}},
            ),
            (
                "binary",
                "/anchoring/v1/namespaces/bench.binary/hashes:binary",
                lambda chunk: {
                    "content": b"".join(chunk),
                    "headers": {"content-type": "application/octet-stream"},
                },
            ),
        ):
            chunks = [data[i : i + 1000] for i in range(0, total, 1000)]
            bodies = [encode(c) for c in chunks]
            latencies: list[float] = []
            threads = [
                threading.Thread(target=_client, args=(url, path, bodies[i::4], latencies))
                for i in range(4)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            latencies.sort()
            p50 = latencies[len(latencies) // 2] * 1000
            p99 = latencies[int(len(latencies) * 0.99)] * 1000
            print(
                f"- {label}: {total / elapsed:,.0f} hashes/s, {len(chunks) / elapsed:,.0f} "
                f"requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


_LOCK = threading.Lock()


def _client(url: str, path: str, bodies: list[dict[str, object]], latencies: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        for body in bodies:
            started = time.perf_counter()
            response = http.post(path, **body)  # type: ignore[arg-type]
            assert response.status_code == 202, response.text
            with _LOCK:
                latencies.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exponent", type=int, default=6, help="largest log: 10**N hashes")
    parser.add_argument("--http-hashes", type=int, default=200_000)
    args = parser.parse_args()
    print(f"# benchmarks/anchoring.py on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="govchain-bench-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        growth(args.max_exponent, work)
        pymerkle_comparison(work, 200_000)
        over_http(work, args.http_hashes)


if __name__ == "__main__":
    main()
