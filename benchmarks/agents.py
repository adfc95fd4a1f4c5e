"""DIDComm round trips through govchain's exchange layer vs. the same ACA-Py admin calls.

Starts the three agents (issuer, multitenant holder, verifier) on free loopback ports,
deploys the consortium on the embedded chain, connects a citizen's sub-wallets to the
issuer and the verifier, then measures in alternating rounds:

* issuance: ``govchain.agents.issue`` vs. raw httpx (the same ``send-offer`` body, the
  same polling of the issuer's record, the same ``POST /credentials/w3c`` look-up);
* proof: ``govchain.agents.request_proof`` (including govchain's chain checks) vs. raw
  httpx (the same ``send-request`` body and polling, no chain checks).

Issuance goes into one sub-wallet, proofs come from another that holds exactly one
credential (so every presentation has the same size). The agents' resident memory
(VmRSS of the three processes, from /proc) is sampled every 0.1 s; the peak is reported.

    .venv/bin/python benchmarks/agents.py [--rounds 5] [--per-round 6] [--log-level info]

Targets: govchain adds at most 10 % per round trip; the three agents stay under 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _consortium import accredited_office

from govchain.agents import (
    AgentFleet,
    AgentRole,
    AgentSettings,
    Connection,
    DidKeyType,
    ProofRequest,
    connect,
    issue,
    request_proof,
)
from govchain.agents.jsonld import to_jsonld_credential
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.types import Did
from govchain.credentials import _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.status import (
    ChainStatusSource,
    RandomIndexAllocator,
    StatusReference,
)
from govchain.credentials.trust import ChainTrustSource
from govchain.credentials.types import LOCAL_TIMEZONE, PolicyContext, StreetMusicPermit

CONTEXT = PolicyContext(zone="markt", instrument="Geige")


class Chain:
    """A consortium with an accredited office and a status list (embedded chain)."""

    def __init__(self) -> None:
        c = accredited_office()
        self.gateway, self.office = c.gateway, c.office
        d, admin = c.d, c.admin
        self.d, self.admin = d, admin
        list_id, _ = d.status.create_list(admin)
        # warmed caches as in verify.py: the figure is DIDComm, not embedded-EVM reads
        self.status = ChainStatusSource(d.status, max_age=float("inf"), whole_lists=True)
        self.trust = ChainTrustSource(d.trust, max_age=float("inf"))
        self.uri = self.status.list_uri(list_id)
        self.indexes = RandomIndexAllocator(self.uri, 131_072)

    def now(self) -> int:
        return self.gateway.block_timestamp()

    def reference(self) -> StatusReference:
        return StatusReference(self.uri, self.indexes.allocate())

    def register(self, did: str) -> None:
        key = resolve_did(did).verification_methods[0].public_key
        self.d.trust.register_did(self.admin, self.office, Did(did), key.thumbprint())


class Rss:
    """Samples the total VmRSS of some processes in a thread; keeps the peak."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def total(self) -> int:
        kib = 0
        for pid in self.pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        return kib * 1024

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            value = self.total()
            self.samples.append(value)
            self.peak = max(self.peak, value)

    def __enter__(self) -> Rss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _poll(call: Callable[[], Awaitable[dict[str, Any]]], done: set[str]) -> dict[str, Any]:
    """Poll like the exchange layer does (20 ms growing to 200 ms)."""
    delay = 0.02
    while True:
        record = await call()
        if record["state"] in done:
            return record
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.2)


class Raw:
    """The same admin calls with plain httpx: no govchain in between."""

    def __init__(self, fleet: AgentFleet, token: str | None) -> None:
        def client(role: AgentRole, bearer: str | None = None) -> httpx.AsyncClient:
            headers = {"X-API-KEY": fleet.settings.admin_api_key(role).get_secret_value()}
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            return httpx.AsyncClient(base_url=fleet.settings.admin_url(role), headers=headers)

        self.issuer = client(AgentRole.ISSUER)
        self.verifier = client(AgentRole.VERIFIER)
        self.holder = client(AgentRole.HOLDER, token)

    async def issue(self, connection_id: str, credential: dict[str, Any]) -> str:
        options = {
            "proofType": "Ed25519Signature2020",
            "credentialStatus": {"type": "BitstringStatusListEntry"},
        }
        body = {
            "connection_id": connection_id,
            "auto_issue": True,
            "auto_remove": False,
            "filter": {"ld_proof": {"credential": credential, "options": options}},
        }
        offer = (await self.issuer.post("/issue-credential-2.0/send-offer", json=body)).json()
        cred_ex_id = offer["cred_ex_id"]

        async def record() -> dict[str, Any]:
            answer = await self.issuer.get(f"/issue-credential-2.0/records/{cred_ex_id}")
            return dict(answer.json()["cred_ex_record"])

        done = await _poll(record, {"done", "abandoned"})
        assert done["state"] == "done", done
        found = await self.holder.post("/credentials/w3c", json={"given_id": credential["id"]})
        return str(found.json()["results"][0]["record_id"])

    async def prove(self, connection_id: str, definition: dict[str, Any]) -> bool:
        body = {
            "connection_id": connection_id,
            "auto_verify": True,
            "auto_remove": False,
            "presentation_request": {
                "dif": {
                    "presentation_definition": definition,
                    "options": {"challenge": str(uuid.uuid4())},
                }
            },
        }
        sent = (await self.verifier.post("/present-proof-2.0/send-request", json=body)).json()
        pres_ex_id = sent["pres_ex_id"]

        async def record() -> dict[str, Any]:
            answer = await self.verifier.get(f"/present-proof-2.0/records/{pres_ex_id}")
            return dict(answer.json())

        done = await _poll(record, {"done", "abandoned"})
        return bool(done["state"] == "done" and done.get("verified") == "true")

    async def aclose(self) -> None:
        for c in (self.issuer, self.verifier, self.holder):
            await c.aclose()


async def measure(fleet: AgentFleet, chain: Chain, rounds: int, per_round: int) -> dict[str, Any]:
    checks = JsonLdVerifier(status=chain.status, trust=chain.trust, clock=chain.now)
    async with (
        fleet.client(AgentRole.ISSUER) as issuer,
        fleet.client(AgentRole.HOLDER) as holder,
        fleet.client(AgentRole.VERIFIER) as verifier,
    ):
        issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
        chain.register(issuer_did)
        claims = _samples.street_music_permit(
            datetime.fromtimestamp(chain.now(), LOCAL_TIMEZONE).date()
        )
        receiving = await holder.create_subwallet("Empfang", f"bench-{uuid.uuid4()}")
        proving = await holder.create_subwallet("Nachweis", f"bench-{uuid.uuid4()}")
        async with holder.for_subwallet(receiving) as inbox, holder.for_subwallet(proving) as me:
            to_inbox = await connect(issuer, inbox)
            to_me = await connect(issuer, me)
            to_verifier: Connection = await connect(verifier, me)
            holder_did = (await inbox.create_did(DidKeyType.ED25519)).did
            await issue(
                to_me,
                claims,
                vct=StreetMusicPermit.vct,
                issuer_did=issuer_did,
                status=chain.reference(),
                issued_at=chain.now(),
            )
            request = ProofRequest(StreetMusicPermit(), issuers=(issuer_did,), context=CONTEXT)
            raw = Raw(fleet, receiving.token.get_secret_value())
            raw_prover = Raw(fleet, proving.token.get_secret_value())
            times: dict[str, list[float]] = {k: [] for k in ("gi", "ri", "gp", "rp")}

            async def g_issue() -> None:
                await issue(
                    to_inbox,
                    claims,
                    vct=StreetMusicPermit.vct,
                    issuer_did=issuer_did,
                    status=chain.reference(),
                    issued_at=chain.now(),
                    holder_did=holder_did,
                )

            async def r_issue() -> None:
                credential = to_jsonld_credential(
                    claims,
                    vct=StreetMusicPermit.vct,
                    issuer=issuer_did,
                    holder=holder_did,
                    issued_at=chain.now(),
                    status=chain.reference(),
                )
                credential = {"id": f"urn:uuid:{uuid.uuid4()}", **credential}
                await raw.issue(to_inbox.agent_connection_id, credential)

            async def g_prove() -> None:
                outcome = await request_proof(to_verifier, request, verifier=checks)
                assert outcome.result.valid, outcome.result

            async def r_prove() -> None:
                assert await raw_prover.prove(to_verifier.agent_connection_id, request.definition())

            plan = (("gi", g_issue), ("ri", r_issue), ("gp", g_prove), ("rp", r_prove))
            for _, call in plan:  # warm-up: caches, JIT-free but lazy imports in ACA-Py
                await call()
            with Rss([p for r in AgentRole if (p := fleet[r].pid) is not None]) as rss:
                for n in range(rounds):
                    order = plan if n % 2 == 0 else tuple(reversed(plan))
                    for key, call in order:
                        for _ in range(per_round):
                            began = time.perf_counter()
                            await call()
                            times[key].append(time.perf_counter() - began)
            await raw.aclose()
            await raw_prover.aclose()

    def summary(key: str) -> dict[str, float]:
        values = times[key]
        return {
            "per_second": round(len(values) / sum(values), 2),
            "median_ms": round(statistics.median(values) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }

    names = {"gi": "govchain_issue", "ri": "raw_issue", "gp": "govchain_proof", "rp": "raw_proof"}
    result: dict[str, Any] = {names[k]: summary(k) for k in times}
    for kind, (g, r) in {"issuance": ("gi", "ri"), "proof": ("gp", "rp")}.items():
        # medians: the machine is shared, single slow round trips skew the means
        ratio = statistics.median(times[g]) / statistics.median(times[r])
        result[f"{kind}_overhead_pct"] = round((ratio - 1) * 100, 1)
    result["agents_rss_peak_mb"] = round(rss.peak / 2**20, 1)
    result["agents_rss_mean_mb"] = round(statistics.fmean(rss.samples) / 2**20, 1)
    return result


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=6)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    chain = Chain()
    with tempfile.TemporaryDirectory(prefix="govchain-bench-agents-") as folder:
        settings = AgentSettings.ephemeral(Path(folder), agents_log_level=args.log_level)
        fleet = AgentFleet(settings)
        fleet.start()
        try:
            result = asyncio.run(measure(fleet, chain, args.rounds, args.per_round))
        finally:
            fleet.stop()
    result["machine"] = {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "log_level": args.log_level,
        "rounds": args.rounds,
        "per_round": args.per_round,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
