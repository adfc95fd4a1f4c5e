"""Throughput and latency of SD-JWT VC verification and issuance (govchain.credentials).

A full verification is what an officer's device does for a dangerous-dog permit: the
issuer's ES256 signature, three disclosed claims, the holder's key-binding JWT (fresh
nonce, audience, sd_hash), time validity, status and trust from a warm cache of chain
state (read from a real embedded chain once, then served from memory), and the type
policy (chip number, insurance). Every presentation comes from its own credential and
its own holder key, so the holder key is parsed afresh each time.

    .venv/bin/python benchmarks/verify.py [--count 20000] [--json]

Targets: one process >= 2,000 verifications/s, two worker processes >= 3,500/s,
issuance >= 2,000 credentials/s in one process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).parent))
from _consortium import accredited_office

from govchain.chain.types import CredentialStatus, Did
from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    Issuer,
    PolicyContext,
    PublicKey,
    RandomIndexAllocator,
    SigningKey,
    StatusListAllocation,
    VerificationRequest,
    Verifier,
    _samples,
    create_did,
    present_credential,
)
from govchain.credentials.dids import resolve_did
from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.sd_jwt import (
    KeyBindingExpectation,
    process_disclosures,
    split_sd_jwt,
    verify_key_binding,
)
from govchain.credentials.types import LOCAL_TIMEZONE, DangerousDogPermit

AUDIENCE = "https://pruefung.ordnungsamt.aachen.example"
SHOW = [("holder", "family_name"), ("dog", "chip_number"), ("insurance", "valid_until")]
CONTEXT = PolicyContext(chip_number=_samples.CHIP)


@dataclass
class Setup:
    issuer: Issuer
    verifier: Verifier
    now: int
    today: date
    refresh_seconds: dict[str, float]


def setup() -> Setup:
    """A consortium on the embedded chain, an accredited office, a status list with
    some revoked entries, and a verifier whose caches are warmed from the chain."""
    c = accredited_office()
    gateway, d, office, admin = c.gateway, c.d, c.office, c.admin
    key = SigningKey.generate()
    did = create_did(key.public_key)
    d.trust.register_did(admin, office, did, key.public_key.thumbprint())
    list_id, _ = d.status.create_list(admin)
    status = ChainStatusSource(d.status, max_age=float("inf"), whole_lists=True)
    trust = ChainTrustSource(d.trust, max_age=float("inf"))
    uri = status.list_uri(list_id)
    allocation = StatusListAllocation(uri, RandomIndexAllocator(uri, 131_072))
    # Some earlier credentials of this list are revoked: the list is not all zeros.
    revoked = {allocation.allocate().index: CredentialStatus.REVOKED for _ in range(200)}
    d.status.set_statuses(admin, list_id, revoked)
    now = gateway.block_timestamp() + 5

    began = time.perf_counter()
    status.packed_list(uri)  # warm: the whole list, read at one block
    list_read = time.perf_counter() - began
    began = time.perf_counter()
    trust.trust_at(did, DangerousDogPermit.vct, now)  # warm: DID record, office, accreditations
    trust_read = time.perf_counter() - began

    issuer = Issuer(key, did=did, status_list=allocation, clock=lambda: now)
    verifier = Verifier(status=status, trust=trust, clock=lambda: now)
    today = datetime.fromtimestamp(now, LOCAL_TIMEZONE).date()
    return Setup(issuer, verifier, now, today, {"status_list": list_read, "trust": trust_read})


def presentations(s: Setup, count: int) -> list[tuple[str, str]]:
    """``count`` presentations, each of its own credential, holder key and nonce."""
    record = _samples.dog_permit(s.today)
    out = []
    for _ in range(count):
        holder = SigningKey.generate()
        credential = s.issuer.issue(record, holder=holder.public_key)
        nonce = secrets.token_urlsafe(16)
        out.append(
            (
                present_credential(
                    credential.serialized,
                    disclose=SHOW,
                    holder_key=holder,
                    nonce=nonce,
                    audience=AUDIENCE,
                    issued_at=s.now,
                ),
                nonce,
            )
        )
    return out


def verify_all(verifier: Verifier, items: list[tuple[str, str]], now: int) -> list[int]:
    """Verify each once; returns the latencies in nanoseconds."""
    latencies = []
    clock = time.perf_counter_ns
    for presentation, nonce in items:
        request = VerificationRequest(nonce=nonce, audience=AUDIENCE, at=now, context=CONTEXT)
        began = clock()
        result = verifier.verify(presentation, request)
        latencies.append(clock() - began)
        if not result.valid:
            raise SystemExit(f"unexpected result: {result.to_json()}")
    return latencies


def _worker(
    verifier: Verifier, items: list[tuple[str, str]], now: int, barrier: Any, conn: Connection
) -> None:
    barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    latencies = verify_all(verifier, items, now)
    conn.send((began, time.perf_counter(), time.process_time() - cpu, latencies))
    conn.close()


def parallel(
    s: Setup, items: list[tuple[str, str]], workers: int
) -> tuple[float, float, list[int]]:
    """Verify ``items`` split over ``workers`` forked processes (warm caches inherited).

    Returns the wall-clock rate, the rate per CPU-second of one worker, and latencies.
    """
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    share = len(items) // workers
    pipes, processes = [], []
    for w in range(workers):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker,
            args=(s.verifier, items[w * share : (w + 1) * share], s.now, barrier, send),
        )
        process.start()
        pipes.append(receive)
        processes.append(process)
    results = [p.recv() for p in pipes]
    for process in processes:
        process.join()
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    latencies = [lat for r in results for lat in r[3]]
    per_cpu_second = len(latencies) / sum(r[2] for r in results)
    return len(latencies) / (end - start), per_cpu_second, latencies


def issuance(s: Setup, count: int) -> tuple[float, list[int]]:
    """Issue ``count`` permits from plain dicts (pydantic validation included), with a
    file-backed random index allocator (reservations fsynced, 256 at a time)."""
    record = _samples.dog_permit(s.today).model_dump(mode="json")
    holders = [SigningKey.generate().public_key for _ in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        uri = s.issuer.status_list.uri if s.issuer.status_list else ""
        allocator = RandomIndexAllocator(uri, 131_072, path=Path(tmp) / "list.json")
        issuer = Issuer(
            s.issuer.key, did=s.issuer.did, status_list=StatusListAllocation(uri, allocator)
        )
        vct = DangerousDogPermit.vct
        latencies = []
        began = time.perf_counter()
        for holder in holders:
            t0 = time.perf_counter_ns()
            issuer.issue(record, vct=vct, holder=holder)
            latencies.append(time.perf_counter_ns() - t0)
        elapsed = time.perf_counter() - began
    return count / elapsed, latencies


def bare_p256(count: int) -> float:
    """ECDSA P-256/SHA-256 verifications per second through the same OpenSSL binding."""
    key = ec.generate_private_key(ec.SECP256R1())
    message = secrets.token_bytes(1024)
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    algorithm = ec.ECDSA(hashes.SHA256())
    began = time.perf_counter()
    for _ in range(count):
        public.verify(signature, message, algorithm)
    return count / (time.perf_counter() - began)


def breakdown(s: Setup, items: list[tuple[str, str]]) -> dict[str, float]:
    """Mean microseconds of each stage, each timed alone on inputs prepared beforehand."""
    verifier = s.verifier
    ctype = DangerousDogPermit.instance()
    parts = [split_sd_jwt(p) for p, _ in items]
    jwss = [parse_compact_jws(part.issuer_jwt) for part in parts]
    issuer = Did(str(jwss[0].payload["iss"]))
    issuer_key = resolve_did(issuer).key
    holders = [PublicKey(jws.payload["cnf"]["jwk"]) for jws in jwss]
    claims = [
        process_disclosures(j.payload, p.disclosures)[0] for j, p in zip(jwss, parts, strict=True)
    ]
    request = VerificationRequest(nonce="-", audience=AUDIENCE, at=s.now, context=CONTEXT)

    def parse(i: int) -> object:
        return parse_compact_jws(split_sd_jwt(items[i][0]).issuer_jwt)

    def signature(i: int) -> object:
        return jwss[i].verify_with(resolve_did(issuer).key)

    def disclosures(i: int) -> object:
        return process_disclosures(jwss[i].payload, parts[i].disclosures)

    def holder_key(i: int) -> object:
        return PublicKey(jwss[i].payload["cnf"]["jwk"])  # uncached, as for a new holder

    def key_binding(i: int) -> object:
        expected = KeyBindingExpectation(nonce=items[i][1], audience=AUDIENCE, now=s.now)
        return verify_key_binding(parts[i], holders[i], expected)

    def checks(i: int) -> object:
        payload = jwss[i].payload
        iat = payload["iat"]
        answer = verifier._ask_trust(issuer, ctype.vct, iat, ctype)
        return (
            verifier._time_validity(payload, s.now),
            verifier._status(payload, iat, answer),
            verifier._trust(issuer_key, iat, ctype, claims[i], answer),
            verifier._policy(ctype, ctype.vct, claims[i], request, s.now),
        )

    stages: dict[str, Callable[[int], object]] = {
        "split and decode the issuer JWT": parse,
        "issuer signature (ES256, key from the DID)": signature,
        "disclosures (3 digests, unfold)": disclosures,
        "holder key from cnf.jwk (new key each time)": holder_key,
        "key-binding JWT (ES256, sd_hash, aud, nonce)": key_binding,
        "time, status, trust, policy (warm caches)": checks,
    }
    timings: dict[str, float] = {}
    for name, stage in stages.items():
        began = time.perf_counter()
        for i in range(len(items)):
            stage(i)
        timings[name] = (time.perf_counter() - began) / len(items) * 1e6
    return timings


def percentile(latencies: list[int], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="verifications per run")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    say = (lambda *_: None) if args.json else print

    say("setting up the chain, the office and warm caches …")
    s = setup()
    say(f"issuing {args.count * 2} credentials for the verification runs …")
    single_items = presentations(s, args.count)
    parallel_items = presentations(s, args.count)

    verify_all(s.verifier, presentations(s, 500), s.now)  # warm-up (imports, caches)
    began, cpu = time.perf_counter(), time.process_time()
    single_latencies = verify_all(s.verifier, single_items, s.now)
    single_rate = len(single_items) / (time.perf_counter() - began)
    single_cpu_rate = len(single_items) / (time.process_time() - cpu)
    two_rate, two_cpu_rate, two_latencies = parallel(s, parallel_items, 2)
    issue_rate, issue_latencies = issuance(s, args.count)
    p256 = bare_p256(args.count)
    stages = breakdown(s, presentations(s, 3000))
    mean_us = statistics.fmean(single_latencies) / 1000
    stages["result, messages, nonce store"] = mean_us - sum(stages.values())

    report = {
        "machine": machine(),
        "count": args.count,
        "verify_one_process_per_s": round(single_rate),
        "verify_one_process_per_cpu_s": round(single_cpu_rate),
        "verify_one_process_p50_us": round(percentile(single_latencies, 0.50), 1),
        "verify_one_process_p99_us": round(percentile(single_latencies, 0.99), 1),
        "verify_two_processes_per_s": round(two_rate),
        "verify_two_processes_per_cpu_s_each": round(two_cpu_rate),
        "verify_two_processes_p50_us": round(percentile(two_latencies, 0.50), 1),
        "verify_two_processes_p99_us": round(percentile(two_latencies, 0.99), 1),
        "issue_one_process_per_s": round(issue_rate),
        "issue_p50_us": round(percentile(issue_latencies, 0.50), 1),
        "issue_p99_us": round(percentile(issue_latencies, 0.99), 1),
        "bare_p256_verify_per_s": round(p256),
        "verify_fraction_of_bare_p256": round(single_rate / p256, 3),
        "verify_fraction_of_half_bare_p256": round(single_rate / (p256 / 2), 3),
        "mean_us_by_stage": {k: round(v, 1) for k, v in stages.items()},
        "cache_refresh_seconds_embedded_chain": {
            k: round(v, 3) for k, v in s.refresh_seconds.items()
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(json.dumps(report["machine"]))
    print(
        f"verify, 1 process : {single_rate:8.0f}/s  p50 {report['verify_one_process_p50_us']} µs"
        f"  p99 {report['verify_one_process_p99_us']} µs"
    )
    print(
        f"verify, 2 processes: {two_rate:8.0f}/s  p50 {report['verify_two_processes_p50_us']} µs"
        f"  p99 {report['verify_two_processes_p99_us']} µs"
    )
    print(f"  per CPU-second: 1 process {single_cpu_rate:.0f}, 2 processes {two_cpu_rate:.0f} each")
    print(
        f"issue, 1 process  : {issue_rate:8.0f}/s  p50 {report['issue_p50_us']} µs"
        f"  p99 {report['issue_p99_us']} µs"
    )
    print(
        f"bare P-256 verify : {p256:8.0f}/s  (full verification = "
        f"{single_rate / p256:.0%} of it; two signatures each, so {single_rate / (p256 / 2):.0%}"
        " of the two-signature ceiling)"
    )
    print("mean µs per verification, by stage:")
    for name, value in stages.items():
        print(f"  {name:46s} {value:7.1f}  ({value / mean_us:.0%})")
    print(f"cache refresh on the embedded chain: {report['cache_refresh_seconds_embedded_chain']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
