"""``govchain up``: the local region in one command.

The chain node (Ganache, its state in the data directory), the contracts (deployed once,
then reused), the three ACA-Py agents (when installed) and the four services run as
child processes of one supervisor, each started by its own ``govchain ... serve``-style
command with the same settings, so nothing here configures a service differently from
running it by hand. The supervisor starts them in order and waits until each answers
on its ports; if one fails to start or exits later, it stops the others and says which
one, with the tail of its log. Ctrl-C (or SIGTERM) stops them all, in reverse order.
Children also die with the supervisor, even on kill -9 (``die_with_parent``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from govchain._process import die_with_parent
from govchain.errors import GovchainError, SettingsError
from govchain.settings import ChainBackendKind, GovchainSettings

__all__ = [
    "OPTIONAL_PARTS",
    "Part",
    "PartFailedError",
    "PartPortBusyError",
    "Region",
    "chain_parts",
    "ensure_deployed",
    "service_parts",
]

OPTIONAL_PARTS = ("agents", "issuer", "verifier", "wallet", "platform")
"""What ``govchain up --without`` can leave out (the chain and contracts always run)."""

_POLL_SECONDS = 0.2
_LOG_TAIL_LINES = 15


class PartFailedError(GovchainError):
    """A part of the region did not start, or stopped on its own."""

    def __init__(self, title: str, what_en: str, what_de: str, log: Path) -> None:
        tail = _tail(log)
        super().__init__(
            f"{title} {what_en}; everything else was stopped. Its log ({log}) ends:\n{tail}",
            f"{title} {what_de}; alles andere wurde gestoppt. Sein Protokoll ({log}) endet "
            f"mit:\n{tail}",
        )


class PartPortBusyError(GovchainError):
    """A port a part needs is taken before anything was started."""

    def __init__(self, title: str, host: str, port: int) -> None:
        super().__init__(
            f"{title} needs {host}:{port}, which another program uses; stop it or choose "
            "another port in the settings. Nothing was started.",
            f"{title} braucht {host}:{port}, das ein anderes Programm belegt; es beenden oder "
            "in den Einstellungen einen anderen Port wählen. Nichts wurde gestartet.",
        )


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(kein Protokoll / no log)"
    return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(leer / empty)"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Part:
    """One child process of the region.

    Args:
        key: a short name (``chain``, ``issuer``, ...), also the log file's name.
        title: how the part is called in messages (German).
        argv: the command that runs it in the foreground until SIGINT.
        ports: ``(host, port)`` pairs that accept connections once it is up.
        url: where a person reaches it (shown when everything runs).
        start_timeout: seconds it may take to come up.
    """

    key: str
    title: str
    argv: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]
    url: str
    start_timeout: float = 120.0
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Running:
    part: Part
    process: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]


class Region:
    """Starts parts in order, watches them, and stops them in reverse order.

    Use as a context manager: leaving it stops whatever was started.
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        say: Callable[[str], None] = lambda line: None,
        stop_grace: float = 20.0,
    ) -> None:
        self.log_dir = log_dir
        self.say = say
        self._stop_grace = stop_grace
        self._running: list[_Running] = []

    @property
    def pids(self) -> dict[str, int]:
        """The process id of each started part."""
        return {r.part.key: r.process.pid for r in self._running}

    @staticmethod
    def check_ports(parts: Sequence[Part]) -> None:
        """Refuse before starting anything if a port of any part is taken.

        Raises:
            PartPortBusyError: the first part whose port is in use.
        """
        for part in parts:
            for host, port in part.ports:
                if _answers(host, port):
                    raise PartPortBusyError(part.title, host, port)

    def start(self, part: Part) -> None:
        """Start one part and wait until it answers on all its ports.

        Raises:
            PartFailedError: it exited or did not answer within its start timeout.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{part.key}.log"
        log_file = log.open("ab")
        process = subprocess.Popen(
            part.argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **part.env},
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops in order
            preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only, no locks taken
        )
        running = _Running(part, process, log, log_file)
        self._running.append(running)
        deadline = time.monotonic() + part.start_timeout
        while not all(_answers(host, port) for host, port in part.ports):
            if process.poll() is not None:
                raise PartFailedError(
                    part.title,
                    f"stopped while starting (exit code {process.returncode})",
                    f"hat sich beim Start beendet (Exit-Code {process.returncode})",
                    log,
                )
            if time.monotonic() > deadline:
                raise PartFailedError(
                    part.title,
                    f"did not answer within {part.start_timeout:.0f} s",
                    f"hat nicht innerhalb von {part.start_timeout:.0f} s geantwortet",
                    log,
                )
            time.sleep(_POLL_SECONDS)
        self.say(f"✔ {part.title} bereit: {part.url}")

    def run_once(self, key: str, title: str, argv: Sequence[str], timeout: float = 300.0) -> None:
        """Run a one-off step (e.g. the deployment) to its end, logged like a part.

        Raises:
            PartFailedError: it failed or took longer than ``timeout``.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{key}.log"
        with log.open("ab") as log_file:
            try:
                done = subprocess.run(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise PartFailedError(
                    title, f"took longer than {timeout:.0f} s", f"dauerte über {timeout:.0f} s", log
                ) from None
        if done.returncode != 0:
            raise PartFailedError(
                title,
                f"failed (exit code {done.returncode})",
                f"ist fehlgeschlagen (Exit-Code {done.returncode})",
                log,
            )

    def watch(self) -> None:
        """Block until a part exits on its own.

        Raises:
            PartFailedError: naming the part that stopped.
        """
        while True:
            for running in self._running:
                code = running.process.poll()
                if code is not None:
                    raise PartFailedError(
                        running.part.title,
                        f"stopped on its own (exit code {code})",
                        f"hat sich von selbst beendet (Exit-Code {code})",
                        running.log,
                    )
            time.sleep(_POLL_SECONDS)

    def stop(self) -> None:
        """Stop every started part, the last started first: SIGINT (as Ctrl-C would),
        then SIGTERM and SIGKILL for a part that does not stop in time."""
        while self._running:
            running = self._running.pop()
            process = running.process
            if process.poll() is None:
                self.say(f"Stoppe {running.part.title} …")
                for sig, grace in (
                    (signal.SIGINT, self._stop_grace),
                    (signal.SIGTERM, 5.0),
                    (signal.SIGKILL, 5.0),
                ):
                    try:
                        os.killpg(process.pid, sig)  # the part and any children it started
                    except ProcessLookupError:
                        break
                    try:
                        process.wait(timeout=grace)
                        break
                    except subprocess.TimeoutExpired:
                        continue
            running.log_file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def govchain_command(*args: str) -> tuple[str, ...]:
    """The argv that runs ``govchain ARGS`` with this interpreter."""
    return (sys.executable, "-m", "govchain.cli", *args)


def chain_parts(settings: GovchainSettings) -> list[Part]:
    """The chain node as a part: Ganache with its state in the data directory; none for
    an RPC node (it runs elsewhere).

    Raises:
        SettingsError: the embedded chain, which lives inside one process.
    """
    if settings.chain_backend is ChainBackendKind.EMBEDDED:
        raise SettingsError(
            "The embedded chain lives inside one process and cannot serve the region; use "
            "ganache (the default) or an RPC node.",
            "Die eingebettete Chain lebt in einem Prozess und kann die Region nicht "
            "bedienen; ganache (Standard) oder einen RPC-Knoten verwenden.",
        )
    if settings.chain_backend is not ChainBackendKind.GANACHE:
        return []
    return [
        Part(
            "chain",
            "Chain (Ganache)",
            govchain_command("chain", "up"),
            ((settings.ganache_host, settings.ganache_port),),
            settings.effective_rpc_url(),
        )
    ]


def service_parts(
    without: set[str], load: Callable[[type[GovchainSettings]], Any]
) -> tuple[list[Part], list[str]]:
    """The agents (when ACA-Py is installed) and the four services, minus ``without``,
    with each one's settings read by ``load`` (so invalid settings fail before anything
    starts); and notes for the user (German).

    The verifier service is pointed at the verifier agent unless its settings say
    otherwise; then the agent also posts its webhooks to the service (one more
    ``--webhook-url``, with a fresh random key that only these two children get).

    Raises:
        SettingsError: an unknown part in ``without``, or invalid settings.
    """
    from govchain.agents import AgentSettings  # noqa: PLC0415 - heavy imports, only here
    from govchain.agents.settings import default_acapy_executable  # noqa: PLC0415
    from govchain.citizen_wallet.settings import WalletSettings  # noqa: PLC0415
    from govchain.issuer.settings import IssuerSettings  # noqa: PLC0415
    from govchain.platform.settings import PlatformSettings  # noqa: PLC0415
    from govchain.verifier.settings import VerifierSettings  # noqa: PLC0415

    if unknown := sorted(without - set(OPTIONAL_PARTS)):
        raise SettingsError(
            f"Unknown part {unknown[0]!r}; parts: {', '.join(OPTIONAL_PARTS)}.",
            f"Unbekannter Teil {unknown[0]!r}; Teile: {', '.join(OPTIONAL_PARTS)}.",
        )
    parts: list[Part] = []
    notes: list[str] = []
    env: dict[str, str] = {}  # for the verifier service only
    with_agents = "agents" not in without
    if with_agents and not default_acapy_executable().is_file():
        notes.append(
            "ACA-Py ist nicht installiert (scripts/bootstrap-agents.sh); die Region läuft "
            "ohne DIDComm-Agenten."
        )
    elif with_agents:
        agents = load(AgentSettings)
        host = agents.agents_host
        agents_env: dict[str, str] = {}  # for the agents only: the verifier's webhook target
        if "GOVCHAIN_VERIFIER_AGENT_ADMIN_URL" not in os.environ:
            env["GOVCHAIN_VERIFIER_AGENT_ADMIN_URL"] = (
                f"http://{host}:{agents.agents_verifier_admin_port}"
            )
            env["GOVCHAIN_VERIFIER_AGENT_ADMIN_API_KEY"] = (
                agents.agents_verifier_admin_api_key.get_secret_value()
            )
            if "verifier" not in without:
                target, hook_key = _verifier_webhook(load(VerifierSettings))
                extra = [url.get_secret_value() for url in agents.agents_verifier_extra_webhooks]
                agents_env["GOVCHAIN_AGENTS_VERIFIER_EXTRA_WEBHOOKS"] = json.dumps([*extra, target])
                env["GOVCHAIN_VERIFIER_AGENT_WEBHOOK_API_KEY"] = hook_key
        admin = (
            agents.agents_issuer_admin_port,
            agents.agents_holder_admin_port,
            agents.agents_verifier_admin_port,
        )
        parts.append(
            Part(
                "agents",
                "ACA-Py-Agenten",
                govchain_command("agents", "up"),
                tuple((host, port) for port in admin),
                f"http://{host}:{agents.agents_verifier_admin_port} (Admin des Prüf-Agenten)",
                start_timeout=180.0,
                env=agents_env,
            )
        )
    services: tuple[tuple[str, type[GovchainSettings], str, str], ...] = (
        ("issuer", IssuerSettings, "Ausstellungsdienst", "/issuer/"),
        ("verifier", VerifierSettings, "Prüfdienst", "/verifier/"),
        ("wallet", WalletSettings, "Bürger-Wallet", "/wallet/"),
        ("platform", PlatformSettings, "Plattform", "/docs"),
    )
    for key, cls, title, path in services:
        if key in without:
            continue
        service = load(cls)
        host, port = getattr(service, f"{key}_host"), getattr(service, f"{key}_port")
        parts.append(
            Part(
                key,
                title,
                govchain_command(key, "serve"),
                ((host, port),),
                f"http://{host}:{port}{path}",
                env=env if key == "verifier" else {},  # the agent's key goes nowhere else
            )
        )
    return parts, notes


def _verifier_webhook(verifier: Any) -> tuple[str, str]:
    """The verifier service's webhook URL for the verifier agent (``url#key``, ACA-Py
    sends the key as ``x-api-key``) and that key: fresh and random for each run."""
    key = secrets.token_urlsafe(32)
    host = verifier.verifier_host
    if host in {"0.0.0.0", "::", ""}:  # listening everywhere: the agent uses loopback
        host = "127.0.0.1"
    return f"http://{host}:{verifier.verifier_port}/verifier/v1/didcomm/webhooks#{key}", key


def ensure_deployed(region: Region, settings: GovchainSettings) -> None:
    """Deploy the contracts unless the recorded deployment is on the chain (a Ganache
    state that was reset counts as not deployed)."""
    from govchain.chain.backends import create_backend  # noqa: PLC0415
    from govchain.chain.deployment import Deployment, DeploymentStore  # noqa: PLC0415
    from govchain.chain.errors import DeploymentNotFoundError  # noqa: PLC0415
    from govchain.chain.gateway import ChainGateway  # noqa: PLC0415

    store = DeploymentStore(settings.chain_dir)
    if store.exists():
        try:
            Deployment.attach(ChainGateway(create_backend(settings)), store.load())
        except DeploymentNotFoundError:
            pass  # deployed on a chain state that is gone: deploy anew
        else:
            region.say(f"✔ Verträge bereit (eingetragen in {store.path})")
            return
    region.run_once(
        "deploy", "Die Bereitstellung der Verträge", govchain_command("chain", "deploy")
    )
    region.say(f"✔ Verträge bereitgestellt (eingetragen in {store.path})")
