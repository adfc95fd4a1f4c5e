"""The issuer, holder (multitenant) and verifier ACA-Py agents as managed child processes.

govchain starts ``aca-py`` from ``.venv-agents`` (a separate environment, because ACA-Py
pins dependencies that clash with ours) on loopback, with askar wallets in SQLite under
the data directory (or PostgreSQL by setting), waits until ``GET /status/ready`` answers,
and stops them cleanly (SIGTERM, then SIGKILL). Secrets reach the agents through their
environment, never the command line (visible in ``ps``) or the log. The agents post
their webhooks to a small receiver on loopback that checks a per-run key.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from govchain._process import ManagedProcess
from govchain.agents._loopback import serve_in_thread, shut_down
from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import AgentPortBusyError, AgentsNotInstalledError, AgentStartError
from govchain.agents.jsonld import ContextServer
from govchain.agents.settings import AgentRole, AgentSettings, AgentStorageKind
from govchain.chain.errors import ChainError, PortBusyError
from govchain.chain.ganache import ensure_port_free

__all__ = ["AgentFleet", "AgentProcess", "WebhookEvent", "WebhookReceiver"]

log = logging.getLogger(__name__)

_PLUGIN_DIR = Path(__file__).parent / "acapy"  # the govchain_contexts ACA-Py plugin

# What each agent answers on its own, so that DIDComm flows run without a controller
# stepping in; govchain's services still see every step through the webhooks. The issuer
# agent answers only requests for credentials govchain offered (each offer sets
# auto_issue): with --auto-respond-credential-request/-proposal any connected wallet
# could ask for claims of its own choosing and get them signed with the office's DID.
_ROLE_FLAGS: dict[AgentRole, list[str]] = {
    AgentRole.ISSUER: [
        "--auto-accept-invites",
        "--auto-accept-requests",
    ],
    AgentRole.HOLDER: [
        "--multitenant",
        "--multitenant-admin",
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-respond-credential-offer",
        "--auto-store-credential",
        "--auto-respond-presentation-request",
    ],
    AgentRole.VERIFIER: [
        "--auto-accept-invites",
        "--auto-accept-requests",
        "--auto-verify-presentation",
    ],
}


def _check_port(agent: str, host: str, port: int) -> None:
    try:
        ensure_port_free(host, port)
    except PortBusyError as err:
        raise AgentPortBusyError(agent, host, port) from err
    except ChainError as err:
        raise AgentStartError(
            agent, f"Cannot listen on {host}:{port}: {err}", f"Kein Lauschen auf {host}:{port}."
        ) from err


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook an agent posted: which agent, which topic, and the payload."""

    agent: str
    topic: str
    payload: dict[str, Any]


@dataclass
class WebhookReceiver:
    """A small HTTP receiver on loopback for the agents' webhooks.

    ACA-Py posts to ``<webhook-url>/topic/<topic>/`` with the key after ``#`` in the URL
    as ``x-api-key``; posts without the key are refused. Handlers run on the receiver's
    threads; events are also kept in order for inspection (tests, the CLI).
    """

    host: str
    port: int
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    events: list[WebhookEvent] = field(default_factory=list)
    _handlers: list[Callable[[WebhookEvent], None]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def url_for(self, agent: str) -> str:
        """The webhook URL (with its key after ``#``) to give one agent."""
        return f"http://{self.host}:{self.port}/agents/{agent}#{self.key}"

    def subscribe(self, handler: Callable[[WebhookEvent], None]) -> None:
        """Call `handler` for every webhook received from now on."""
        self._handlers.append(handler)

    def wait_for(
        self, predicate: Callable[[WebhookEvent], bool], timeout: float = 30.0
    ) -> WebhookEvent:
        """Block until an event (past or future) matches `predicate`; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no matching webhook arrived in time")
                self._cond.wait(remaining)

    def _receive(self, event: WebhookEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        for handler in list(self._handlers):
            try:
                handler(event)
            except Exception:  # a faulty handler must not stop the agents' webhooks
                log.exception("webhook handler failed for %s/%s", event.agent, event.topic)

    def start(self) -> None:
        """Listen on host:port in a daemon thread."""
        if self._server is not None:
            return
        _check_port("webhook receiver", self.host, self.port)
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = self.path.strip("/").split("/")
                if self.headers.get("x-api-key") != receiver.key:
                    self.send_response(401)
                    self.end_headers()
                    return
                if len(parts) != 4 or parts[0] != "agents" or parts[2] != "topic":
                    self.send_response(404)
                    self.end_headers()
                    return
                length = int(self.headers.get("content-length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                self.send_response(200)
                self.end_headers()
                if isinstance(payload, dict):
                    receiver._receive(WebhookEvent(parts[1], parts[3], payload))

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("webhook: " + format, *args)

        self._server = serve_in_thread(self.host, self.port, _Handler, "agent-webhooks")

    def stop(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        shut_down(server)


class AgentProcess(ManagedProcess):
    """One ACA-Py agent, owned by this process (stopped with SIGTERM so askar closes its
    store).

    Args:
        role: which of the three agents this is.
        settings: ports, secrets, storage and the path of ``aca-py``.
        webhook_url: where the agent posts its webhooks (with ``#key``).
    """

    _poll_seconds = 0.25

    def __init__(
        self,
        role: AgentRole,
        settings: AgentSettings,
        webhook_url: str,
        contexts_url: str | None = None,
    ) -> None:
        super().__init__(settings.agents_dir / "logs" / f"{role.value}.log")
        self.role = role
        self.settings = settings
        self.webhook_url = webhook_url
        self.contexts_url = contexts_url
        self.home = settings.agents_dir / role.value

    @property
    def admin_url(self) -> str:
        """The admin API base URL."""
        return self.settings.admin_url(self.role)

    @property
    def _label(self) -> str:
        return f"the {self.role} agent"

    def ports(self) -> list[int]:
        """The admin and inbound ports this agent listens on."""
        return [self.settings.admin_port(self.role), self.settings.inbound_port(self.role)]

    def _command(self) -> list[str]:
        s = self.settings
        exe = s.agents_executable
        if not exe.is_file():
            raise AgentsNotInstalledError(
                f"ACA-Py is not installed ({exe} missing); run scripts/bootstrap-agents.sh.",
                f"ACA-Py ist nicht installiert ({exe} fehlt); "
                "scripts/bootstrap-agents.sh ausführen.",
            )
        host, inbound = s.agents_host, s.inbound_port(self.role)
        command = [
            str(exe),
            "start",
            "--label",
            f"govchain-{self.role.value}",
            "--inbound-transport",
            "http",
            host,
            str(inbound),
            "--outbound-transport",
            "http",
            "--endpoint",
            f"http://{host}:{inbound}",
            "--admin",
            host,
            str(s.admin_port(self.role)),
            "--wallet-type",
            "askar",
            "--wallet-name",
            f"govchain-{self.role.value}",
            "--auto-provision",
            "--no-ledger",
            "--log-level",
            s.agents_log_level,
            *_ROLE_FLAGS[self.role],
            # resolves https://contexts.govchain.de/ from the ContextServer (no internet)
            "--plugin",
            "govchain_contexts",
        ]
        if s.agents_storage is AgentStorageKind.POSTGRES:
            command += [
                "--wallet-storage-type",
                "postgres_storage",
                "--wallet-storage-config",
                json.dumps({"url": s.agents_postgres_url}),
            ]
        else:
            command += ["--wallet-storage-type", "default"]
        return command

    def _environment(self) -> dict[str, str]:
        s = self.settings
        # ACA-Py also reads a bare WEBHOOK_URL as one more target: never inherit it
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ACAPY_", "GOVCHAIN_")) and k != "WEBHOOK_URL"
        }
        env.update(
            ACAPY_HOME=str(self.home),  # askar's SQLite files live here
            ACAPY_ADMIN_API_KEY=s.admin_api_key(self.role).get_secret_value(),
            ACAPY_WALLET_KEY=s.agents_wallet_key.get_secret_value(),
            ACAPY_WEBHOOK_URL=self.webhook_urls(),
            PYTHONPATH=str(_PLUGIN_DIR),
        )
        if self.contexts_url:
            env["GOVCHAIN_CONTEXTS_URL"] = self.contexts_url
        if self.role is AgentRole.HOLDER:
            env["ACAPY_MULTITENANT_JWT_SECRET"] = s.agents_holder_jwt_secret.get_secret_value()
        if s.agents_storage is AgentStorageKind.POSTGRES and s.agents_postgres_password:
            env["ACAPY_WALLET_STORAGE_CREDS"] = json.dumps(
                {
                    "account": s.agents_postgres_account,
                    "password": s.agents_postgres_password.get_secret_value(),
                }
            )
        return env

    def webhook_urls(self) -> str:
        """``ACAPY_WEBHOOK_URL``: govchain's receiver, plus the role's extra targets as a
        JSON list (ACA-Py's option parser turns a ``[...]`` value of an appending option
        into one ``--webhook-url`` each, inside the agent: the keys stay off the command
        line)."""
        extra = [url.get_secret_value() for url in self.settings.extra_webhooks(self.role)]
        if not extra:
            return self.webhook_url
        return json.dumps([self.webhook_url, *extra])

    def launch(self) -> None:
        """Start the child without waiting for it (see `wait_until_ready`)."""
        if self._proc is not None:
            return
        for port in self.ports():
            _check_port(self.role.value, self.settings.agents_host, port)
        command = self._command()
        self.home.mkdir(parents=True, exist_ok=True)
        proc = self._spawn(command, self._environment())
        log.info("started the %s agent (pid %s)", self.role.value, proc.pid)

    def wait_until_ready(self, timeout: float) -> None:
        """Wait until ``/status/ready`` says ready; raise AgentStartError otherwise."""
        proc = self._proc
        if proc is None:
            raise AgentStartError(
                self.role.value,
                f"The {self.role.value} agent was not started.",
                f"Der Agent {self.role.value} wurde nicht gestartet.",
            )
        self._wait_until_up(proc, timeout)
        log.info("the %s agent is ready at %s", self.role.value, self.admin_url)

    def _is_up(self) -> bool:
        return self.is_ready()

    def _exited_error(self, returncode: int) -> AgentStartError:
        tail = self.log_tail()
        return AgentStartError(
            self.role.value,
            f"The {self.role.value} agent exited during start-up (code "
            f"{returncode}); last lines of {self.log_path}:\n{tail}",
            f"Der Agent {self.role.value} hat sich beim Start beendet (Code "
            f"{returncode}); letzte Zeilen von {self.log_path}:\n{tail}",
        )

    def _timeout_error(self, timeout: float) -> AgentStartError:
        tail = self.log_tail()
        return AgentStartError(
            self.role.value,
            f"The {self.role.value} agent was not ready on {self.admin_url} within "
            f"{timeout:.0f} s; last lines of {self.log_path}:\n{tail}",
            f"Der Agent {self.role.value} war auf {self.admin_url} nicht binnen "
            f"{timeout:.0f} s bereit; letzte Zeilen von {self.log_path}:\n{tail}",
        )

    def is_ready(self) -> bool:
        """Whether the admin API answers ``GET /status/ready`` with ready = true."""
        request = urllib.request.Request(
            f"{self.admin_url}/status/ready",
            headers={"X-API-KEY": self.settings.admin_api_key(self.role).get_secret_value()},
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return bool(json.load(response).get("ready"))
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def start(self, timeout: float | None = None) -> None:
        """Start the agent and wait until it is ready; stop it again if that fails."""
        self.launch()
        try:
            self.wait_until_ready(timeout or self.settings.agents_start_timeout_seconds)
        except BaseException:
            self.stop()
            raise

    def terminate(self) -> None:
        """Send SIGTERM without waiting (the fleet stops all agents at once)."""
        self._signal(signal.SIGTERM)


class AgentFleet:
    """The three agents plus the webhook receiver, started and stopped together."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self.webhooks = WebhookReceiver(settings.agents_host, settings.agents_webhook_port)
        self.contexts = ContextServer(settings.agents_host, settings.agents_contexts_port)
        self.agents = {
            role: AgentProcess(role, settings, self.webhooks.url_for(role.value), self.contexts.url)
            for role in AgentRole
        }

    def __getitem__(self, role: AgentRole) -> AgentProcess:
        return self.agents[role]

    def client(self, role: AgentRole, timeout: float = 30.0) -> AgentAdminClient:
        """A new admin client for one agent (close it, e.g. ``async with``)."""
        return AgentAdminClient(
            self.settings.admin_url(role),
            self.settings.admin_api_key(role),
            timeout=timeout,
            name=role.value,
        )

    def start(self) -> None:
        """Refuse busy ports up front, then start all agents in parallel and wait for them."""
        host = self.settings.agents_host
        _check_port("webhook receiver", host, self.settings.agents_webhook_port)
        _check_port("JSON-LD context server", host, self.settings.agents_contexts_port)
        for agent in self.agents.values():
            for port in agent.ports():
                _check_port(agent.role.value, host, port)
        try:
            self.webhooks.start()
            self.contexts.start()
            for agent in self.agents.values():
                agent.launch()
            for agent in self.agents.values():
                agent.wait_until_ready(self.settings.agents_start_timeout_seconds)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every agent (SIGTERM to all at once, then wait), then the webhook receiver."""
        for agent in self.agents.values():
            agent.terminate()
        for agent in self.agents.values():
            agent.stop()
        self.webhooks.stop()
        self.contexts.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
