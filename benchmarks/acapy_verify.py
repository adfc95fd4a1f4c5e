"""ACA-Py's ``/vc/credentials/verify`` on this machine: the comparison for ``verifier.py``.

A real ACA-Py fleet (``govchain.agents.AgentFleet``: issuer, holder, verifier agents on
loopback, askar SQLite, the shipped JSON-LD contexts served by govchain's context
server) is started in a temporary directory. The issuer agent signs ``--distinct``
VCDM 2.0 dangerous-dog permits (``to_jsonld_credential``, Ed25519Signature2020 with a
did:key, through ``/vc/credentials/issue``); then ``--clients`` concurrent clients post
them to the verifier agent's ``/vc/credentials/verify`` admin endpoint
(``AgentAdminClient.verify_ld_credential``) until ``--count`` answers are in, each
timed from send to answer. Every answer must say ``verified: true``; a tampered
credential must say false. ACA-Py checks only the proof here (JSON-LD expansion and
canonicalisation, Ed25519): no status, no trust, no policy, so it does less than
govchain's verifier does per response.

    .venv/bin/python benchmarks/acapy_verify.py [--count 400] [--clients 1,4,16] \
        [--distinct 20] [--json]

Needs ACA-Py in .venv-agents (scripts/bootstrap-agents.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from govchain.agents import AgentAdminClient, AgentFleet, AgentRole, AgentSettings, DidKeyType
from govchain.agents.jsonld import to_jsonld_credential
from govchain.agents.settings import default_acapy_executable
from govchain.credentials import DangerousDogPermit, _samples
from govchain.credentials.status import StatusReference

STATUS_LIST = "https://status.govchain.de/v1/1337/0x5FbDB2315678afecb367f032d93F642f64180aa3/0"
"""A well-formed status list; ACA-Py's verify endpoint does not read it."""
WARMUP = 20


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sign_permits(issuer: AgentAdminClient, count: int) -> list[dict[str, Any]]:
    """``count`` signed VCDM 2.0 dog permits, each for its own holder DID."""
    issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
    claims = _samples.dog_permit(date.today())
    signed = []
    for index in range(count):
        holder = (await issuer.create_did(DidKeyType.ED25519)).did
        unsigned = to_jsonld_credential(
            claims,
            vct=DangerousDogPermit.vct,
            issuer=issuer_did,
            holder=holder,
            issued_at=int(time.time()),
            status=StatusReference(STATUS_LIST, index),
        )
        signed.append(await issuer.issue_ld_credential(unsigned))
    return signed


async def hammer(
    verifier: AgentAdminClient, credentials: list[dict[str, Any]], count: int, clients: int
) -> tuple[float, list[float]]:
    """``clients`` concurrent loops posting ``count`` verifications in all; (elapsed s,
    latencies in ms). Any answer other than ``verified: true`` stops the run."""
    latencies: list[float] = []
    issued = iter(range(count))

    async def client() -> None:
        for n in issued:
            credential = credentials[n % len(credentials)]
            began = time.perf_counter()
            answer = await verifier.verify_ld_credential(credential)
            latencies.append((time.perf_counter() - began) * 1e3)
            if answer.get("verified") is not True:
                raise SystemExit(f"ACA-Py did not verify credential {n}: {answer}")

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - began, latencies


async def measure(
    fleet: AgentFleet, count: int, clients: list[int], distinct: int
) -> list[dict[str, Any]]:
    pid = fleet[AgentRole.VERIFIER].pid
    assert pid is not None
    async with (
        fleet.client(AgentRole.ISSUER, timeout=120) as issuer,
        fleet.client(AgentRole.VERIFIER, timeout=120) as verifier,
    ):
        credentials = await sign_permits(issuer, distinct)
        tampered = copy.deepcopy(credentials[0])
        tampered["credentialSubject"]["permit_number"] = "FORGED-0001"
        if (await verifier.verify_ld_credential(tampered)).get("verified") is not False:
            raise SystemExit("ACA-Py verified a tampered credential; the run would mean nothing")
        await hammer(verifier, credentials, WARMUP, 1)  # contexts cached, JIT-free warm-up
        rows = []
        for n in clients:
            cpu = _cpu_seconds(pid)
            elapsed, latencies = await hammer(verifier, credentials, count, n)
            cpu = _cpu_seconds(pid) - cpu
            latencies.sort()
            rows.append(
                {
                    "clients": n,
                    "credentials": len(latencies),
                    "credentials_per_s": round(len(latencies) / elapsed, 1),
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
                    "agent_cpu_ms_per_credential": round(cpu / len(latencies) * 1e3, 1),
                }
            )
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="verifications per row")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients, one row each")
    parser.add_argument("--distinct", type=int, default=20, help="different credentials")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not default_acapy_executable().is_file():
        raise SystemExit("ACA-Py is not installed; run scripts/bootstrap-agents.sh first.")
    clients = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="govchain-acapy-bench-") as tmp:
        started = time.perf_counter()
        with AgentFleet(AgentSettings.ephemeral(Path(tmp))) as fleet:
            start_s = time.perf_counter() - started
            load_before = os.getloadavg()[0]
            rows = asyncio.run(measure(fleet, args.count, clients, args.distinct))
            load_after = os.getloadavg()[0]
    figures = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "endpoint": "ACA-Py POST /vc/credentials/verify (Ed25519Signature2020, VCDM 2.0)",
        "fleet_start_s": round(start_s, 1),
        "loadavg_1m_before_after": [round(load_before, 2), round(load_after, 2)],
        "rows": rows,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        if key != "rows":
            print(f"{key:24} {value}")
    print(f"{'clients':>8} {'verified/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'agent CPU ms':>13}")
    for row in rows:
        print(
            f"{row['clients']:>8} {row['credentials_per_s']:>11} {row['p50_ms']:>8} "
            f"{row['p99_ms']:>8} {row['agent_cpu_ms_per_credential']:>13}"
        )


if __name__ == "__main__":
    main()
