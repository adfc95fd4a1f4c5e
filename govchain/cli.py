"""The ``govchain`` command."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from govchain import __version__
from govchain._files import atomic_write_text
from govchain.errors import GovchainError
from govchain.settings import (
    ChainBackendKind,
    GovchainSettings,
    load_settings,
    load_settings_of,
)

app = typer.Typer(
    help="govchain: Genehmigungen als Nachweise, BürgerID und Integritätsnachweise "
    "auf der Konsortialchain der Städte. / Permits as credentials, citizen ID and "
    "integrity proofs on the cities' consortium chain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
chain_app = typer.Typer(
    help="Run, inspect and deploy to the consortium chain.", no_args_is_help=True
)
contracts_app = typer.Typer(help="Compile and check the Solidity contracts.", no_args_is_help=True)
besu_app = typer.Typer(help="Hyperledger Besu network kit (QBFT).", no_args_is_help=True)
app.add_typer(chain_app, name="chain")
app.add_typer(contracts_app, name="contracts")
app.add_typer(besu_app, name="besu")
anchoring_app = typer.Typer(
    help="The anchoring service: accept document hashes, anchor them, hand out receipts.",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="Check receipts and anchored logs, as an auditor.", no_args_is_help=True
)
platform_app = typer.Typer(
    help="The platform app (anchoring API) on 127.0.0.1:8104.", no_args_is_help=True
)
archive_app = typer.Typer(
    help="Das Digitale Stadtarchiv: hand over records, run its schedule, verify evidence.",
    no_args_is_help=True,
)
verifier_app = typer.Typer(
    help="Der Prüfdienst (OID4VP) on 127.0.0.1:8102: officials' field checks.",
    no_args_is_help=True,
)
issuer_app = typer.Typer(
    help="Der Ausstellungsdienst (OID4VCI) on 127.0.0.1:8101: credential offers.",
    no_args_is_help=True,
)
app.add_typer(issuer_app, name="issuer")
app.add_typer(verifier_app, name="verifier")
wallet_app = typer.Typer(
    help="Die Bürger-Wallet (127.0.0.1:8103) and its command line.", no_args_is_help=True
)
app.add_typer(wallet_app, name="wallet")
app.add_typer(anchoring_app, name="anchoring")
app.add_typer(archive_app, name="archive")
app.add_typer(platform_app, name="platform")
app.add_typer(audit_app, name="audit")
agents_app = typer.Typer(
    help="Die ACA-Py-Agenten (Aussteller, Bürger-Wallets, Prüfer) für DIDComm. / "
    "The ACA-Py agents (issuer, citizens' wallets, verifier) for DIDComm.",
    no_args_is_help=True,
)
app.add_typer(agents_app, name="agents")

console = Console()
err_console = Console(stderr=True)

DEFAULT_CITIES = ["Aachen", "Gelsenkirchen", "Soest"]


def _fails_clearly[**P, R](command: Callable[P, R]) -> Callable[P, R]:
    """Turn govchain errors into one clear sentence (German and English) and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except GovchainError as err:
            _say_error(err.message_de, err.message)
            raise typer.Exit(1) from err
        except OSError as err:
            where = f" ({err.filename})" if err.filename else ""
            reason = err.strerror or type(err).__name__
            _say_error(
                f"Datei oder Verzeichnis nicht nutzbar{where}: {reason}.",
                f"A file or folder cannot be used{where}: {reason}.",
            )
            raise typer.Exit(1) from err

    return wrapper


def _say_error(german: str, english: str) -> None:
    err_console.print(f"[bold red]Fehler:[/] {german}", highlight=False, soft_wrap=True)
    err_console.print(f"[bold red]Error:[/] {english}", highlight=False, soft_wrap=True)


def _de_int(value: int) -> str:
    """A number with German thousands separators: 1.693.796."""
    return f"{value:,}".replace(",", ".")


def _settings(**overrides: Any) -> GovchainSettings:
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


RpcOption = Annotated[
    str | None, typer.Option("--rpc", help="JSON-RPC URL of the node (implies --backend rpc).")
]
BackendOption = Annotated[
    ChainBackendKind | None,
    typer.Option("--backend", help="Chain backend (default: GOVCHAIN_CHAIN_BACKEND or ganache)."),
]
ChainIdOption = Annotated[
    int | None, typer.Option("--chain-id", help="Expected chain id; refuse any other chain.")
]


def _chain_settings(
    rpc: str | None, backend: ChainBackendKind | None, chain_id: int | None
) -> GovchainSettings:
    if rpc and backend is None:
        backend = ChainBackendKind.RPC
    return _settings(rpc_url=rpc, chain_backend=backend, chain_id=chain_id)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)


@app.command()
def version() -> None:
    """Print govchain's version."""
    console.print(f"govchain {__version__}")


@app.command()
@_fails_clearly
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable summary instead.")
    ] = False,
) -> None:
    """Show the system end to end on a fresh embedded chain (nothing is kept)."""
    from govchain._demo import DemoStep, run_demo

    def narrate(step: DemoStep) -> None:
        where = ""
        if step.block is not None:
            where = f" [dim](Block {step.block}, {_de_int(step.gas or 0)} Gas)[/]"
        mark = "[red]✗[/]" if step.title.startswith("Abgelehnt") else "[green]✔[/]"
        console.print(f"{mark} [bold]{step.title}[/]{where}", highlight=False)
        console.print(f"   {step.detail}", highlight=False)

    if as_json:
        summary = run_demo()
        typer.echo(summary.to_json())
        return
    console.print("[bold]govchain-Demo[/]: eingebettete Chain (py-evm), alles nur im Speicher.\n")
    summary = run_demo(narrate)
    console.print(
        f"\nFertig: {len(summary.steps)} Schritte, zusammen {_de_int(summary.total_gas)} Gas "
        f"auf Chain {summary.chain_id}.",
        highlight=False,
    )


@app.command()
@_fails_clearly
def up(
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            help="Einen Teil auslassen (wiederholbar): agents, issuer, verifier, wallet, "
            "platform. / Leave a part out (repeat).",
        ),
    ] = None,
) -> None:
    """Startet die Region bis Strg-C: Chain, Verträge, Agenten und die vier Dienste. /
    Run the local region until Ctrl-C: chain, contracts, agents and the four services."""
    from govchain.up import Region, chain_parts, ensure_deployed, service_parts

    settings = _settings()
    chain = chain_parts(settings)
    services, notes = service_parts(set(without or ()), _service_settings)
    for note in notes:
        console.print(f"[yellow]Hinweis:[/] {note}", highlight=False)
    Region.check_ports([*chain, *services])

    def _stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    def say(line: str) -> None:
        console.print(line, highlight=False)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    region = Region(settings.data_dir / "logs", say=say)
    console.print(f"Starte die Region (Protokolle in {region.log_dir}) …", highlight=False)
    try:
        with region:
            for part in chain:
                region.start(part)
            ensure_deployed(region, settings)
            for part in services:
                region.start(part)
            console.print("Alles läuft. Beenden mit Strg-C.")
            region.watch()
    except KeyboardInterrupt:
        console.print("[green]✔[/] Region gestoppt.")


# --- contracts ------------------------------------------------------------------------


@contracts_app.command("build")
@_fails_clearly
def contracts_build() -> None:
    """Compile contracts/ with the pinned solc and write govchain/chain/artifacts/."""
    from govchain.chain.compiler import SOLC_VERSION, build_artifacts

    with console.status(f"Kompiliere mit solc {SOLC_VERSION} …"):
        written = build_artifacts(node_modules=_settings().node_modules)
    for path in written:
        console.print(f"[green]✔[/] {path}")


@contracts_app.command("check")
@_fails_clearly
def contracts_check() -> None:
    """Recompile and fail if the committed artifacts differ from the sources."""
    from govchain.chain.compiler import check_artifacts

    with console.status("Kompiliere und vergleiche …"):
        drifts = check_artifacts(node_modules=_settings().node_modules)
    if drifts:
        for drift in drifts:
            err_console.print(f"[red]✗[/] {drift.contract}: {drift.reason}")
        err_console.print("Run `govchain contracts build` and commit the artifacts.")
        raise typer.Exit(1)
    console.print("[green]✔[/] Artefakte entsprechen den Quellen. / Artifacts match the sources.")


# --- chain ----------------------------------------------------------------------------


@chain_app.command("up")
@_fails_clearly
def chain_up(
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on (host: GOVCHAIN_GANACHE_HOST)."),
    ] = None,
    chain_id: Annotated[int | None, typer.Option("--chain-id", help="Chain id.")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start from an empty chain (deletes chain state).")
    ] = False,
) -> None:
    """Run a local Ganache node until Ctrl-C; its state persists in the data directory."""
    import shutil

    from govchain.chain.deployment import DeploymentStore
    from govchain.chain.ganache import GanacheProcess, ensure_port_free

    settings = _settings(ganache_port=port, chain_id=chain_id)
    db_path = settings.chain_dir / "ganache-db"
    ensure_port_free(settings.ganache_host, settings.ganache_port)  # before deleting anything
    if fresh:
        shutil.rmtree(db_path, ignore_errors=True)
        DeploymentStore(settings.chain_dir).path.unlink(missing_ok=True)
    node = GanacheProcess(
        host=settings.ganache_host,
        port=settings.ganache_port,
        chain_id=settings.chain_id,
        db_path=db_path,
        log_path=settings.chain_dir / "ganache.log",
        node_modules=settings.node_modules,
    )
    with console.status("Starte Ganache …"):
        node.start()
    console.print(
        f"[green]✔[/] Ganache läuft: {node.url} (Chain-ID {settings.chain_id}, "
        f"Daten {db_path}). Beenden mit Strg-C."
    )

    def _stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        code = node.wait()
        err_console.print(f"Ganache exited with code {code}; see {node.log_path}.")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.print("Stoppe Ganache …")
        node.stop()
        console.print("[green]✔[/] Ganache gestoppt.")


@chain_app.command("deploy")
@_fails_clearly
def chain_deploy(
    rpc: RpcOption = None,
    backend: BackendOption = None,
    chain_id: ChainIdOption = None,
    member: Annotated[
        list[str] | None,
        typer.Option(
            "--member", help="Founding member city (repeat); default Aachen, Gelsenkirchen, Soest."
        ),
    ] = None,
    threshold: Annotated[
        int | None, typer.Option(help="Approvals a decision needs (default: a majority).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Deploy anew even if a deployment is recorded.")
    ] = False,
) -> None:
    """Deploy the consortium's contracts and record where they are."""
    from govchain.chain.accounts import AccountStore, slug
    from govchain.chain.backends import create_backend
    from govchain.chain.deployment import DeploymentStore, Founder, deploy_consortium
    from govchain.chain.errors import ChainError, DeploymentNotFoundError
    from govchain.chain.gateway import ChainGateway, TxResult

    settings = _chain_settings(rpc, backend, chain_id)
    if settings.chain_backend is ChainBackendKind.EMBEDDED:
        raise ChainError(
            "The embedded chain lives only inside one process; deploy to ganache "
            "(`govchain chain up`) or an RPC node.",
            "Die eingebettete Chain lebt nur in einem Prozess; auf ganache "
            "(`govchain chain up`) oder einen RPC-Knoten deployen.",
        )
    cities = member or DEFAULT_CITIES
    if len({slug(c) for c in cities}) != len(cities):
        raise ChainError(
            "Each member city may be named once (names that differ only in case, umlauts or "
            "punctuation count as the same).",
            "Jede Stadt darf nur einmal genannt werden (Namen, die sich nur in Groß-/"
            "Kleinschreibung, Umlauten oder Satzzeichen unterscheiden, gelten als gleich).",
        )
    needed = threshold if threshold is not None else len(cities) // 2 + 1
    if not 1 <= needed <= len(cities):
        raise ChainError(
            f"A threshold of {needed} does not work with {len(cities)} member cities.",
            f"Eine Schwelle von {needed} passt nicht zu {len(cities)} Mitgliedsstädten.",
        )
    store = DeploymentStore(settings.chain_dir)
    gateway = ChainGateway(
        create_backend(settings),
        expected_chain_id=chain_id,
        receipt_timeout=settings.receipt_timeout_seconds,
    )
    if store.exists() and not force:
        from govchain.chain.deployment import Deployment

        record = store.load()
        if record.chain_id != gateway.chain_id:
            raise ChainError(
                f"A deployment on chain {record.chain_id} is recorded, but this node serves "
                f"chain {gateway.chain_id}; use --force to replace the record.",
                f"Eingetragen ist ein Deployment auf Chain {record.chain_id}, dieser Knoten "
                f"bedient aber Chain {gateway.chain_id}; mit --force den Eintrag ersetzen.",
            )
        try:
            Deployment.attach(gateway, record)
        except DeploymentNotFoundError:
            pass  # the recorded chain was reset: deploying anew is what the user wants
        else:
            raise ChainError(
                f"Contracts are already deployed on chain {record.chain_id} (block "
                f"{record.block_number}); use --force to deploy anew.",
                f"Die Verträge sind auf Chain {record.chain_id} bereits bereitgestellt (Block "
                f"{record.block_number}); mit --force neu bereitstellen.",
            )
    keys = AccountStore(
        settings.chain_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    deployer = keys.get_or_create("deployer")
    founders = [
        Founder(name=c, address=keys.get_or_create(f"member-{slug(c)}").address) for c in cities
    ]
    if gateway.backend.can_fund:
        for address in [deployer.address, *(f.address for f in founders)]:
            if gateway.balance(address) < 10**19:
                gateway.fund(address, 10**21)

    def show(tx: TxResult) -> None:
        console.print(
            f"[green]✔[/] {tx.description}: {tx.contract_address} "
            f"[dim](Block {tx.block_number}, {_de_int(tx.gas_used)} Gas)[/]",
            highlight=False,
        )

    deployment = deploy_consortium(gateway, deployer, founders, needed, on_step=show)
    store.save(deployment.record)
    console.print(
        f"[green]✔[/] Deployment eingetragen: {store.path} (Chain {deployment.record.chain_id}, "
        f"{len(founders)} Mitglieder, Schwelle {needed})."
    )


@chain_app.command("status")
@_fails_clearly
def chain_status(
    rpc: RpcOption = None,
    backend: BackendOption = None,
    chain_id: ChainIdOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the node, the recorded deployment and the consortium's state."""
    import json

    from govchain.chain.backends import create_backend
    from govchain.chain.deployment import Deployment, DeploymentStore
    from govchain.chain.gateway import ChainGateway

    settings = _chain_settings(rpc, backend, chain_id)
    gateway = ChainGateway(create_backend(settings), expected_chain_id=chain_id)
    record = DeploymentStore(settings.chain_dir).load()
    deployment = Deployment.attach(gateway, record)
    members = deployment.consortium.members()
    status = {
        "url": gateway.url,
        "chain_id": gateway.chain_id,
        "block_number": gateway.block_number(),
        "deployed_at_block": record.block_number,
        "contracts": record.contracts.model_dump(),
        "members": [{"name": m.name, "address": m.address} for m in members],
        "threshold": deployment.consortium.threshold(),
        "proposals": deployment.consortium.proposal_count(),
        "offices": len(deployment.trust.offices()),
        "status_lists": deployment.status.list_count(),
    }
    if as_json:
        typer.echo(json.dumps(status, indent=2))
        return
    table = Table(title=f"Chain {gateway.chain_id} @ {gateway.url}, Block {status['block_number']}")
    table.add_column("Vertrag / Contract")
    table.add_column("Adresse / Address")
    for name, address in record.contracts.model_dump().items():
        table.add_row(name, address)
    console.print(table)
    console.print(
        f"Mitglieder: {', '.join(m.name for m in members)}; Schwelle {status['threshold']}; "
        f"{status['proposals']} Anträge, {status['offices']} Behörden, "
        f"{status['status_lists']} Statuslisten."
    )


# --- besu -----------------------------------------------------------------------------


@besu_app.command("genesis")
@_fails_clearly
def besu_genesis(
    validators: Annotated[
        int, typer.Option("--validators", min=1, max=64, help="Number of validators.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for genesis.json and node keys.")],
    city: Annotated[
        list[str] | None,
        typer.Option("--city", help="Validator's city (repeat, in order); default validator-N."),
    ] = None,
    chain_id: Annotated[
        int, typer.Option("--chain-id", min=1, max=2**63 - 1, help="Network chain id.")
    ] = 2026,
    block_period: Annotated[
        int, typer.Option("--block-period", min=1, help="Seconds between blocks.")
    ] = 2,
) -> None:
    """Write a QBFT genesis (extraData with the validators) and one node key per validator."""
    from govchain.chain.besu import BesuConfigError, write_network

    names = list(city or [])
    if len(names) > validators:
        raise BesuConfigError(
            f"{len(names)} cities named for {validators} validators.",
            f"{len(names)} Städte für {validators} Validatoren angegeben.",
        )
    names += [f"validator-{i}" for i in range(len(names) + 1, validators + 1)]
    network = write_network(out, names, chain_id=chain_id, block_period_seconds=block_period)
    for v in network.validators:
        console.print(f"[green]✔[/] {v.name}: {v.address} (Schlüssel {v.key_path})")
    tolerated = (validators - 1) // 3
    console.print(
        f"[green]✔[/] Genesis geschrieben: {network.genesis_path} (Chain-ID {chain_id}; "
        f"{validators} {'Validator toleriert' if validators == 1 else 'Validatoren tolerieren'} "
        f"{tolerated} fehlerhafte)."
    )


@besu_app.command("permissions")
@_fails_clearly
def besu_permissions(
    out: Annotated[Path, typer.Option("--out", help="Where to write permissions_config.toml.")],
    rpc: RpcOption = None,
    backend: BackendOption = None,
    chain_id: ChainIdOption = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Write the file even if an allowlist is empty (Besu would then refuse "
            "every peer or transaction).",
        ),
    ] = False,
) -> None:
    """Render the consortium's on-chain allowlists into Besu's local permissioning file."""
    from govchain.chain.backends import create_backend
    from govchain.chain.besu import AllowedNode, BesuConfigError, render_permissions_config
    from govchain.chain.deployment import Deployment, DeploymentStore
    from govchain.chain.gateway import ChainGateway

    settings = _chain_settings(rpc, backend, chain_id)
    gateway = ChainGateway(create_backend(settings), expected_chain_id=chain_id)
    deployment = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
    accounts = deployment.account_rules.allowed_accounts()
    nodes = [
        AllowedNode(enode_id=n.enode_id, host=n.host, port=n.port, city=n.city)
        for n in deployment.node_rules.allowed_nodes()
    ]
    if not allow_empty and (not accounts or not nodes):
        raise BesuConfigError(
            f"The consortium allows {len(accounts)} accounts and {len(nodes)} nodes on chain; "
            "an empty allowlist would lock Besu out. Vote them in first, or pass --allow-empty.",
            f"Das Konsortium erlaubt auf der Chain {len(accounts)} Konten und {len(nodes)} "
            "Knoten; eine leere Freigabeliste sperrt Besu aus. Erst per Beschluss eintragen "
            "oder --allow-empty angeben.",
        )
    text = render_permissions_config(accounts, nodes)
    atomic_write_text(out, text)
    console.print(
        f"[green]✔[/] {out}: {len(accounts)} Konten, {len(nodes)} Knoten "
        f"(Stand Block {gateway.block_number()})."
    )


# --- consortium roles (development) ----------------------------------------------------


@chain_app.command("grant-role")
@_fails_clearly
def chain_grant_role(
    role: Annotated[str, typer.Option("--role", help="trust-admin, status-issuer or anchorer.")],
    to: Annotated[str, typer.Option("--to", help="The account that gets the role (0x...).")],
    rpc: RpcOption = None,
    backend: BackendOption = None,
) -> None:
    """Grant a role by consortium vote, with the member keys held in this data directory.

    For development and tests: in production each city votes with its own key.
    """
    from eth_utils.address import is_address, to_checksum_address

    from govchain.chain.accounts import AccountStore, slug
    from govchain.chain.backends import create_backend
    from govchain.chain.deployment import Deployment, DeploymentStore
    from govchain.chain.errors import ChainError
    from govchain.chain.gateway import ChainGateway
    from govchain.chain.types import Role

    roles = {
        "trust-admin": Role.TRUST_ADMIN,
        "status-issuer": Role.STATUS_ISSUER,
        "anchorer": Role.ANCHORER,
    }
    if role not in roles:
        raise ChainError(
            f"Unknown role {role!r}; use one of {', '.join(roles)}.",
            f"Unbekannte Rolle {role!r}; eine von {', '.join(roles)} verwenden.",
        )
    if not is_address(to):
        raise ChainError(f"{to!r} is not an account address.", f"{to!r} ist keine Kontoadresse.")
    settings = _chain_settings(rpc, backend, None)
    gateway = ChainGateway(create_backend(settings))
    d = Deployment.attach(gateway, DeploymentStore(settings.chain_dir).load())
    keys = AccountStore(
        settings.chain_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    members = [keys.load(f"member-{slug(f.name)}") for f in d.record.founders]
    registry = {Role.TRUST_ADMIN: d.trust, Role.STATUS_ISSUER: d.status, Role.ANCHORER: d.anchors}
    chosen = roles[role]
    decision = d.consortium.decide(
        members[0], members[1:], registry[chosen].grant_role_call(chosen, to_checksum_address(to))
    )
    console.print(
        f"[green]✔[/] {chosen.value} an {to} vergeben (Antrag {decision.proposal_id}, "
        f"Block {decision.executed_in.block_number})."
    )


def _serve(app_factory: Any, settings: Any, prefix: str, port: int | None, title: str) -> None:
    """Serve a service's app with uvicorn on its loopback host and port until Ctrl-C.

    ``prefix`` names the settings fields ``<prefix>_host`` and ``<prefix>_port``.
    """
    import uvicorn

    from govchain.chain.ganache import ensure_port_free

    if port is not None:
        settings = settings.model_copy(update={f"{prefix}_port": port})
    host, bound = getattr(settings, f"{prefix}_host"), getattr(settings, f"{prefix}_port")
    ensure_port_free(host, bound)
    console.print(f"{title} unter http://{host}:{bound} (Beenden mit Strg-C).", highlight=False)
    uvicorn.run(app_factory(settings), host=host, port=bound, log_level="warning")


# --- anchoring ---------------------------------------------------------------------------


def _service_settings(cls: type[GovchainSettings]) -> Any:
    """A service's settings, with validation problems as one clear error."""
    return load_settings_of(cls)


def _platform_settings() -> Any:
    from govchain.platform.settings import PlatformSettings

    return _service_settings(PlatformSettings)


@anchoring_app.command("account")
@_fails_clearly
def anchoring_account() -> None:
    """Print the anchoring service's chain account (the consortium grants it ANCHORER_ROLE)."""
    from govchain.chain.accounts import AccountStore

    settings = _platform_settings()
    keys = AccountStore(
        settings.chain_dir / "keys", settings.keystore_passphrase.get_secret_value()
    )
    typer.echo(keys.get_or_create(settings.anchoring_account).address)


@anchoring_app.command("add-namespace")
@_fails_clearly
def anchoring_add_namespace(
    name: Annotated[str, typer.Argument(help="Namespace, e.g. archive.aachen.")],
) -> None:
    """Register a namespace here and on chain (the service account needs ANCHORER_ROLE)."""
    from govchain.platform.anchoring._wiring import connect_chain, open_service

    settings = _platform_settings()
    service = open_service(settings, connect_chain(settings))
    try:
        service.add_namespace(name)
    finally:
        service.close()
    console.print(f"[green]✔[/] Namensraum {name} registriert.")


@anchoring_app.command("submit")
@_fails_clearly
def anchoring_submit(
    namespace: Annotated[str, typer.Argument(help="The namespace to anchor in.")],
    hashes: Annotated[
        list[str] | None, typer.Option("--hash", help="SHA-256 of a document, 64 hex digits.")
    ] = None,
    files: Annotated[
        list[Path] | None, typer.Option("--file", help="A document, hashed here (SHA-256).")
    ] = None,
) -> None:
    """Accept document hashes durably; prints one receipt id per hash at once."""
    from govchain.platform.anchoring._wiring import open_service
    from govchain.platform.anchoring.service import parse_hash

    parsed = [parse_hash(h) for h in hashes or []]
    service = open_service(_platform_settings(), None)
    try:
        ids = service.submit_many(namespace, parsed)
        ids += [service.submit_file(namespace, f) for f in files or []]
    finally:
        service.close()
    for rid in ids:
        typer.echo(rid)


@anchoring_app.command("status")
@_fails_clearly
def anchoring_status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show each namespace's log size, anchored size and backlog."""
    import json
    from dataclasses import asdict

    from govchain.platform.anchoring._wiring import open_service

    service = open_service(_platform_settings(), None)
    try:
        rows = service.status()
    finally:
        service.close()
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    table = Table(title="Verankerung / Anchoring")
    for column in ("Namensraum", "Einträge", "verankert", "wartend", "letzter Block"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.namespace,
            str(r.size),
            str(r.anchored),
            str(r.backlog),
            str(r.last_anchor_block or "-"),
        )
    console.print(table)


@anchoring_app.command("receipt")
@_fails_clearly
def anchoring_receipt(
    receipt_id: Annotated[str, typer.Argument(help="A receipt id, e.g. archive.aachen:17.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the receipt here.")] = None,
) -> None:
    """Print (or write) the full receipt; exit code 2 while the hash awaits its anchor."""
    from govchain.platform.anchoring._wiring import connect_chain, open_service

    settings = _platform_settings()
    service = open_service(settings, connect_chain(settings))
    try:
        receipt = service.receipt(receipt_id)
    finally:
        service.close()
    if receipt is None:
        err_console.print(
            f"{receipt_id}: noch nicht verankert / not anchored yet.", highlight=False
        )
        raise typer.Exit(2)
    if out is None:
        typer.echo(receipt.to_json(), nl=False)
    else:
        atomic_write_text(out, receipt.to_json())
        console.print(f"[green]✔[/] Quittung geschrieben: {out}")


@anchoring_app.command("run")
@_fails_clearly
def anchoring_run(
    once: Annotated[bool, typer.Option("--once", help="Anchor the backlog once and exit.")] = False,
) -> None:
    """Anchor every namespace's backlog periodically (or when a batch fills) until Ctrl-C."""
    import time

    from govchain.chain.errors import ChainError
    from govchain.platform.anchoring._wiring import connect_chain, open_service

    settings = _platform_settings()
    service = open_service(settings, None)
    try:
        while True:
            if service.chain is None:
                try:
                    service.attach(connect_chain(settings))
                except ChainError as err:
                    backlog = sum(s.backlog for s in service.status())
                    err_console.print(
                        f"Chain nicht erreichbar, {backlog} Hashes warten: {err.message_de}",
                        highlight=False,
                        soft_wrap=True,
                    )
                    if once:
                        raise
            if service.chain is not None:
                for anchor in service.anchor_all():
                    console.print(
                        f"[green]✔[/] {anchor.namespace}: {anchor.tree_size} Einträge in Block "
                        f"{anchor.block_number} verankert.",
                        highlight=False,
                    )
                if service.last_error and once:
                    raise ChainError(service.last_error, service.last_error)
            if once:
                return
            time.sleep(settings.anchoring_interval_seconds)
    except KeyboardInterrupt:
        console.print("Verankerung beendet.")
    finally:
        service.close()


@platform_app.command("serve")
@_fails_clearly
def platform_serve(
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port (default GOVCHAIN_PLATFORM_PORT, 8104)."),
    ] = None,
) -> None:
    """Serve the platform app with its anchoring worker until Ctrl-C."""
    from govchain.platform.app import create_app

    _serve(create_app, _platform_settings(), "platform", port, "Plattform (API unter /docs)")


# --- agents ------------------------------------------------------------------------------


@agents_app.command("up")
@_fails_clearly
def agents_up() -> None:
    """Startet die drei Agenten bis Strg-C. / Run the three agents until Ctrl-C."""
    import time

    from govchain.agents import AgentFleet, AgentRole, AgentSettings

    settings = _service_settings(AgentSettings)
    fleet = AgentFleet(settings)
    roles = {
        AgentRole.ISSUER: "Aussteller",
        AgentRole.HOLDER: "Bürger-Wallets",
        AgentRole.VERIFIER: "Prüfer",
    }

    def _stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        with console.status("Starte die Agenten …"):
            fleet.start()
        for role, label in roles.items():
            console.print(
                f"[green]✔[/] {label} ({role.value}): Admin {settings.admin_url(role)}, "
                f"DIDComm http://{settings.agents_host}:{settings.inbound_port(role)}, "
                f"PID {fleet[role].pid}",
                highlight=False,
                soft_wrap=True,
            )
        console.print(
            f"   Kontexte und Statuslisten: {fleet.contexts.url}; Webhooks: "
            f"http://{settings.agents_host}:{settings.agents_webhook_port}/agents/<rolle>; "
            f"Protokolle: {settings.agents_dir / 'logs'}",
            highlight=False,
            soft_wrap=True,
        )
        console.print("Agenten laufen. Beenden mit Strg-C.")
        while True:
            for role in roles:
                if not fleet[role].is_running():
                    _say_error(
                        f"Der Agent {role.value} hat sich beendet; siehe {fleet[role].log_path}.",
                        f"The {role.value} agent exited; see {fleet[role].log_path}.",
                    )
                    fleet.stop()
                    raise typer.Exit(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("Stoppe die Agenten …")
        fleet.stop()
        console.print("[green]✔[/] Agenten gestoppt.")


# --- verifier --------------------------------------------------------------------------


def _verifier_settings() -> Any:
    from govchain.verifier.settings import VerifierSettings

    return _service_settings(VerifierSettings)


VerifierUrl = Annotated[
    str | None,
    typer.Option("--url", help="The verifier service (default http://127.0.0.1:8102)."),
]


def _verifier_url(url: str | None) -> str:
    if url:
        return url
    settings = _verifier_settings()
    return f"http://{settings.verifier_host}:{settings.verifier_port}"


@verifier_app.command("serve")
@_fails_clearly
def verifier_serve(
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 8102).")] = None,
) -> None:
    """Serve the verifier (field-check pages and OID4VP endpoints) until Ctrl-C."""
    from govchain.verifier.app import create_app

    _serve(create_app, _verifier_settings(), "verifier", port, "Prüfdienst")


@verifier_app.command("request")
@_fails_clearly
def verifier_request(
    check: Annotated[
        str, typer.Option("--check", help="strassenmusik, hund, wohnungsgeber, buergerid.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A check parameter KEY=VALUE (repeat), e.g. zone=markt."),
    ] = None,
    url: VerifierUrl = None,
    didcomm: Annotated[
        bool,
        typer.Option(
            "--didcomm", help="For an Aries wallet: print the DIDComm out-of-band invitation URL."
        ),
    ] = False,
) -> None:
    """Start a field check; prints the openid4vp:// URI for the wallet, or with --didcomm the
    out-of-band invitation URL for an Aries wallet (the request id goes to stderr)."""
    from govchain.verifier import VerifierClient

    params: dict[str, str | int | None] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GovchainError(
                f"--param {item!r} is not KEY=VALUE.", f"--param {item!r} ist nicht SCHLÜSSEL=WERT."
            )
        params[key] = value
    with VerifierClient(_verifier_url(url)) as client:
        if didcomm:
            aries = client.create_didcomm_request(check, params)
            link, request_id = aries.invitation_url, aries.request_id
        else:
            info = client.create_request(check, params)
            link, request_id = info.openid4vp_uri, info.request_id
    typer.echo(link)
    err_console.print(f"Anfrage-ID / request id: {request_id}", highlight=False)


@verifier_app.command("result")
@_fails_clearly
def verifier_result(
    request_id: Annotated[str, typer.Argument(help="The request id printed by `request`.")],
    url: VerifierUrl = None,
) -> None:
    """Print a check's result as JSON; exit 0 valid, 1 not valid, 2 still pending."""
    import json

    from govchain.verifier import Pending, VerifierClient

    with VerifierClient(_verifier_url(url)) as client:
        result = client.result(request_id)
    if isinstance(result, Pending):
        typer.echo(json.dumps({"request_id": request_id, "status": "pending"}))
        raise typer.Exit(2)
    typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    if not result.valid:
        raise typer.Exit(1)


# --- issuer ----------------------------------------------------------------------------


def _issuer_settings() -> Any:
    from govchain.issuer.settings import IssuerSettings

    return _service_settings(IssuerSettings)


@issuer_app.command("serve")
@_fails_clearly
def issuer_serve(
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 8101).")] = None,
) -> None:
    """Serve the OID4VCI issuer (metadata, token, nonce, credential, offer pages) until Ctrl-C."""
    from govchain.issuer.app import create_app

    _serve(create_app, _issuer_settings(), "issuer", port, "Ausstellungsdienst")


@issuer_app.command("offer")
@_fails_clearly
def issuer_offer(
    credential_type: Annotated[
        str,
        typer.Option("--type", help="Configuration id (e.g. street_music_permit_sd_jwt) or vct."),
    ],
    claims: Annotated[Path, typer.Option("--claims", help="The credential's claims (JSON file).")],
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="Transaction code the holder must enter.")
    ] = None,
    by_reference: Annotated[
        bool, typer.Option("--by-reference", help="Put a credential_offer_uri in the offer.")
    ] = False,
) -> None:
    """Create a credential offer; prints the openid-credential-offer:// URI (tx code on stderr)."""
    from govchain.issuer import offer_from_file

    created = offer_from_file(
        _issuer_settings(), credential_type, claims, tx_code=tx_code, by_reference=by_reference
    )
    typer.echo(created.offer_uri)
    if created.tx_code:
        err_console.print(
            "Transaktionscode getrennt übermitteln / send the tx code separately: "
            f"{created.tx_code}",
            highlight=False,
        )


official_app = typer.Typer(
    help="Officials of the console per office (Sachbearbeitung, Leitung).", no_args_is_help=True
)
issuer_app.add_typer(official_app, name="official")


@contextlib.contextmanager
def _issuer_console() -> Iterator[Any]:
    """The issuer's console on its database, for the officials' admin commands (no office
    key, no login, no chain writer needed)."""
    from govchain.issuer.console import Console
    from govchain.issuer.service import IssuerService

    settings = _issuer_settings()
    service = IssuerService.open(settings, load_key=False)
    try:
        yield Console(settings, service, oidc=None, status_writer=None)
    finally:
        service.close()


def _say_official(row: Any, note: str = "") -> None:
    typer.echo(f"{row.id}  {row.office}  {row.role}  {row.given_name} {row.family_name}{note}")


@official_app.command("add")
@_fails_clearly
def issuer_official_add(
    office: Annotated[str, typer.Option("--office", help="Office id, e.g. ordnungsamt-aachen.")],
    role: Annotated[str, typer.Option("--role", help="sachbearbeitung or leitung.")],
    given_name: Annotated[
        str, typer.Option("--given-name", help="Given name (as in the BürgerID).")
    ],
    family_name: Annotated[
        str, typer.Option("--family-name", help="Family name (as in the BürgerID).")
    ],
    birth_date: Annotated[str, typer.Option("--birth-date", help="Birth date, YYYY-MM-DD.")],
) -> None:
    """Register an official and print a one-time activation code (shown only now): at
    the first login (BürgerID substanziell+) the official enters it to bind the entry."""
    with _issuer_console() as console_:
        row, code = console_.add_official(
            office=office,
            role=role,
            given_name=given_name,
            family_name=family_name,
            birth_date=birth_date,
            registered_by="cli/admin",
        )
    _say_official(row)
    typer.echo(f"Aktivierungscode (nur jetzt angezeigt / shown only now): {code}")


@official_app.command("code")
@_fails_clearly
def issuer_official_code(
    official_id: Annotated[str, typer.Argument(help="The official's id (see official list).")],
) -> None:
    """A new one-time activation code for an official not yet bound (the old one dies)."""
    with _issuer_console() as console_:
        row, code = console_.new_activation_code(official_id)
    _say_official(row)
    typer.echo(f"Aktivierungscode (nur jetzt angezeigt / shown only now): {code}")


@official_app.command("deactivate")
@_fails_clearly
def issuer_official_deactivate(
    official_id: Annotated[str, typer.Argument(help="The official's id (see official list).")],
) -> None:
    """Deactivate an official: their console access ends at once (audit-logged)."""
    with _issuer_console() as console_:
        row = console_.deactivate_official(official_id, by="cli/admin")
    _say_official(row, "  (deaktiviert)")


@official_app.command("list")
@_fails_clearly
def issuer_official_list(
    office: Annotated[str | None, typer.Option("--office", help="Only this office.")] = None,
) -> None:
    """List the registered officials and whether their BürgerID is bound."""
    with _issuer_console() as console_:
        rows = console_.officials(office)
    for row in rows:
        bound = "angemeldet" if row.sub else "noch nicht angemeldet"
        if not row.active:
            bound = "deaktiviert"
        _say_official(row, f"  ({bound})")


# --- wallet ----------------------------------------------------------------------------

PinOption = Annotated[
    str | None,
    typer.Option(
        "--pin",
        envvar="GOVCHAIN_WALLET_PIN",
        help="The wallet PIN (or GOVCHAIN_WALLET_PIN); asked for when not given.",
    ),
]


def _wallet(pin: str | None, *, create: bool = False) -> Any:
    from govchain.citizen_wallet.service import open_wallet
    from govchain.citizen_wallet.settings import WalletSettings

    wallet = open_wallet(_service_settings(WalletSettings))
    secret = pin or typer.prompt("PIN", hide_input=True, confirmation_prompt=create)
    if create:
        wallet.create(secret)
    else:
        wallet.unlock(secret)
    return wallet


@wallet_app.command("create")
@_fails_clearly
def wallet_create(pin: PinOption = None) -> None:
    """Create the wallet, protected by a PIN or passphrase (at least 6 characters)."""
    wallet = _wallet(pin, create=True)
    wallet.close()
    console.print("[green]✔[/] Wallet angelegt und verschlüsselt.")


@wallet_app.command("pin")
@_fails_clearly
def wallet_pin(
    pin: Annotated[
        str | None,
        typer.Option(
            "--pin",
            envvar="GOVCHAIN_WALLET_PIN",
            help="The current (old) PIN (or GOVCHAIN_WALLET_PIN); asked for when not given. "
            "The new PIN is always asked for, twice.",
        ),
    ] = None,
) -> None:
    """Change the wallet PIN: asks for the old PIN (or --pin / GOVCHAIN_WALLET_PIN) and
    the new one twice (at least 6 characters). A wrong old PIN counts like a wrong PIN
    at unlocking. Everything is re-encrypted in one atomic write: if it fails, the old
    PIN still opens the wallet."""
    from govchain.citizen_wallet.service import open_wallet
    from govchain.citizen_wallet.settings import WalletSettings

    wallet = open_wallet(_service_settings(WalletSettings))
    try:
        old = pin or typer.prompt("Bisherige PIN", hide_input=True)
        new = typer.prompt(
            "Neue PIN",
            hide_input=True,
            confirmation_prompt="Neue PIN wiederholen",
        )
        wallet.change_pin(old, new)
    finally:
        wallet.close()
    console.print("[green]✔[/] PIN geändert; die bisherige PIN öffnet die Wallet nicht mehr.")


@wallet_app.command("list")
@_fails_clearly
def wallet_list(pin: PinOption = None) -> None:
    """Show the credentials in the wallet with their live status."""
    wallet = _wallet(pin)
    try:
        for card in wallet.credentials():
            status = wallet.live_status(card.id).value
            console.print(
                f"{card.id}  {card.name_de}  ({card.issuer_name_de})  Status: {status}",
                highlight=False,
            )
    finally:
        wallet.close()


@wallet_app.command("receive")
@_fails_clearly
def wallet_receive(
    offer: Annotated[str, typer.Argument(help="The openid-credential-offer:// URI.")],
    tx_code: Annotated[str | None, typer.Option("--tx-code", help="The transaction code.")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Accept despite warnings (unknown issuer etc.).")
    ] = False,
    pin: PinOption = None,
) -> None:
    """Receive a credential by OID4VCI: shows issuer and type first, warns when unknown."""
    wallet = _wallet(pin)
    try:
        preview = wallet.preview_offer(offer)
        console.print(
            f"Aussteller: {preview.issuer_name_de} ({preview.issuer_url})", highlight=False
        )
        for warning in preview.warnings:
            err_console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
        stored = wallet.accept_offer(
            preview.id, tx_code, acknowledge_warnings=yes, accept_untrusted_issuer=yes
        )
    finally:
        wallet.close()
    for card in stored:
        console.print(f"[green]✔[/] {card.name_de} gespeichert ({card.id}).", highlight=False)


@wallet_app.command("present")
@_fails_clearly
def wallet_present(
    request: Annotated[str, typer.Argument(help="The openid4vp:// URI of the verifier.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Consent without asking (and despite warnings).")
    ] = False,
    pin: PinOption = None,
) -> None:
    """Present a credential by OID4VP: shows exactly which claims go to whom, then asks."""
    wallet = _wallet(pin)
    try:
        preview = wallet.preview_request(request)
        console.print(
            f"Prüfstelle: {preview.verifier_name_de} ({preview.client_id})", highlight=False
        )
        for warning in preview.warnings:
            err_console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
        console.print(f"Nachweis: {preview.credential.name_de}; offengelegt würden:")
        for claim in preview.claims:
            console.print(f"  {claim.label_de}: {claim.value}", highlight=False)
        consent = yes or typer.confirm("Freigeben?", default=False)
        outcome = wallet.respond(preview.id, consent=consent, acknowledge_warnings=yes)
    finally:
        wallet.close()
    console.print(outcome.message_de, highlight=False)
    if not consent:
        raise typer.Exit(1)


@wallet_app.command("log")
@_fails_clearly
def wallet_log(pin: PinOption = None) -> None:
    """Every presentation: who, when, which claims, and the outcome."""
    wallet = _wallet(pin)
    try:
        entries = wallet.log()
    finally:
        wallet.close()
    for entry in entries:
        console.print(
            f"{entry.when_de}  {entry.verifier_name_de}  {', '.join(entry.claims_de)}  "
            f"({entry.outcome.value})",
            highlight=False,
        )


@wallet_app.command("connect")
@_fails_clearly
def wallet_connect(
    invitation: Annotated[
        str, typer.Argument(help="The out-of-band invitation (didcomm://…?oob=… or …?oob=…).")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Connect without asking (and despite warnings).")
    ] = False,
    pin: PinOption = None,
) -> None:
    """Accept a DIDComm connection invitation: shows who invites first, warns when unknown."""
    wallet = _wallet(pin)
    try:
        preview = wallet.didcomm.preview_invitation(invitation)
        console.print(f"Einladung von: {preview.name_de}", highlight=False)
        for warning in preview.warnings:
            err_console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
        if not (yes or typer.confirm("Verbinden?", default=False)):
            console.print("Nicht verbunden.")
            raise typer.Exit(1)
        connection = wallet.didcomm.connect(preview.id, acknowledge_warnings=True)
    finally:
        wallet.close()
    console.print(
        f"[green]✔[/] Verbunden mit {connection.name_de} ({connection.connection_id}).",
        highlight=False,
    )


@wallet_app.command("didcomm")
@_fails_clearly
def wallet_didcomm(pin: PinOption = None) -> None:
    """List pending DIDComm credential offers and proof requests (the "Anfragen" page)."""
    wallet = _wallet(pin)
    try:
        inbox = wallet.didcomm.inbox()
    finally:
        wallet.close()
    if inbox.agent_answers_itself:
        err_console.print(
            "[yellow]Warnung:[/] Der DIDComm-Agent beantwortet Nachweisanfragen ohne Rückfrage.",
            highlight=False,
        )
    for offer in inbox.offers:
        console.print(
            f"Angebot {offer.id}  {offer.name_de}  von {offer.party.name_de}", highlight=False
        )
        for label, value in offer.claims:
            console.print(f"  {label}: {value}", highlight=False)
    for request in inbox.requests:
        shown = request.credential.name_de if request.credential else "kein passender Nachweis"
        console.print(
            f"Nachweisanfrage {request.id}  von {request.party.name_de}  ({shown})",
            highlight=False,
        )
    if not inbox.offers and not inbox.requests:
        console.print("Keine offenen Anfragen.")


@wallet_app.command("didcomm-answer")
@_fails_clearly
def wallet_didcomm_answer(
    exchange_id: Annotated[str, typer.Argument(help="The id `govchain wallet didcomm` shows.")],
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse instead of accepting.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Consent without asking (and despite warnings).")
    ] = False,
    pin: PinOption = None,
) -> None:
    """Accept or refuse one pending DIDComm offer or proof request, after showing it."""
    wallet = _wallet(pin)
    try:
        inbox = wallet.didcomm.inbox()
        offer = next((o for o in inbox.offers if o.id == exchange_id), None)
        request = next((r for r in inbox.requests if r.id == exchange_id), None)
        if offer is None and request is None:
            from govchain.citizen_wallet.errors import PendingNotFoundError

            raise PendingNotFoundError(exchange_id)
        shown: Any = offer if offer is not None else request
        console.print(f"Von: {shown.party.name_de}", highlight=False)
        for warning in shown.warnings:
            err_console.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
        if request is not None and request.credential is not None:
            console.print(f"Gezeigt würde {request.credential.name_de} mit allen Angaben:")
            for claim in request.disclosed:
                console.print(f"  {claim.label_de}: {claim.value}", highlight=False)
        consent = not refuse and (yes or typer.confirm("Zustimmen?", default=False))
        if offer is not None:
            if consent:
                card = wallet.didcomm.accept_offer(offer.id, acknowledge_warnings=True)
                console.print(f"[green]✔[/] {card.name_de} gespeichert ({card.id}).")
            else:
                wallet.didcomm.refuse_offer(offer.id)
                console.print("Angebot abgelehnt; nichts gespeichert.")
        else:
            _, message = wallet.didcomm.answer_request(
                exchange_id, consent=consent, acknowledge_warnings=True
            )
            console.print(message, highlight=False)
    finally:
        wallet.close()
    if not consent:
        raise typer.Exit(1)


@wallet_app.command("serve")
@_fails_clearly
def wallet_serve(
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 8103).")] = None,
) -> None:
    """Serve the mobile web wallet until Ctrl-C."""
    from govchain.citizen_wallet.app import create_app
    from govchain.citizen_wallet.settings import WalletSettings

    _serve(create_app, _service_settings(WalletSettings), "wallet", port, "Wallet")


# --- archive ---------------------------------------------------------------------------


@archive_app.command("handover")
@_fails_clearly
def archive_handover(
    bag: Annotated[Path, typer.Argument(help="A BagIt bag: its folder or a ZIP of it.")],
) -> None:
    """Hand a bag over to the archive (Aussonderung); it is validated, then stored as an AIP."""
    from govchain.platform.anchoring._wiring import open_service
    from govchain.platform.archive._wiring import open_archive

    settings = _platform_settings()
    anchoring = open_service(settings, None)
    archive = open_archive(settings, anchoring)
    try:
        if bag.is_dir():
            aip = archive.ingest_bag(bag)
        else:
            with bag.open("rb") as stream:
                aip = archive.ingest_zip(stream)
    finally:
        archive.close()
        anchoring.close()
    console.print(
        f"[green]✔[/] Übernommen als AIP {aip.aip_id} ({aip.office}, Aktenzeichen "
        f"{aip.file_plan_number}, Schutzfrist bis {aip.protection_end:%d.%m.%Y}); "
        "Verankerung und Beweissicherung folgen mit `govchain archive run`.",
        highlight=False,
    )


@archive_app.command("run")
@_fails_clearly
def archive_run() -> None:
    """One round of the archive's schedule: anchor, evidence, releases, fixity checks."""
    from govchain.platform.anchoring._wiring import connect_chain, open_service
    from govchain.platform.archive._wiring import open_archive

    settings = _platform_settings()
    anchoring = open_service(settings, connect_chain(settings))
    archive = open_archive(settings, anchoring)
    try:
        archive.run_due()
        anchoring.anchor_all()
        archive.run_due()
        summaries = archive.aips()
    finally:
        archive.close()
        anchoring.close()
    for aip in summaries:
        console.print(f"{aip.aip_id}: {aip.state.value}", highlight=False)


@archive_app.command("verify")
@_fails_clearly
def archive_verify(
    aip_id: Annotated[str, typer.Argument(help="The AIP to check.")],
) -> None:
    """Verify an AIP's evidence record step by step, on chain."""
    from govchain.platform.anchoring._wiring import connect_chain, open_service
    from govchain.platform.archive._wiring import open_archive

    settings = _platform_settings()
    anchoring = open_service(settings, connect_chain(settings))
    archive = open_archive(settings, anchoring)
    try:
        result = archive.verify_evidence(aip_id)
    finally:
        archive.close()
        anchoring.close()
    for step in result.steps:
        mark = {True: "[green]✔[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}[step.ok]
        console.print(f"{mark} {step.name}: {step.message_de}", highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)
    console.print("[bold green]Beweisdatensatz bestätigt. / Evidence record confirmed.[/]")


# --- audit -----------------------------------------------------------------------------


@audit_app.command("verify")
@_fails_clearly
def audit_verify(
    receipt_file: Annotated[Path, typer.Argument(help="The receipt (JSON).")],
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="A node of the consortium chain (default: settings)."),
    ] = None,
    document: Annotated[
        Path | None, typer.Option("--file", help="The document the receipt is for.")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Check only the hashes, not the chain.")
    ] = False,
) -> None:
    """Verify a receipt step by step: document, leaf, audit path, and the anchor on chain."""
    from govchain.chain.backends import RpcBackend
    from govchain.platform.anchoring.receipts import load_receipt, verify_receipt

    receipt = load_receipt(receipt_file.read_text(encoding="utf-8", errors="replace"))
    content = document.read_bytes() if document else None
    gateway = None
    if not offline:
        from govchain.chain.gateway import ChainGateway

        settings = _settings(rpc_url=rpc)
        gateway = ChainGateway(
            RpcBackend(settings.effective_rpc_url(), settings.rpc_timeout_seconds)
        )
    result = verify_receipt(receipt, document=content, gateway=gateway)
    for step in result.steps:
        mark = {True: "[green]✔[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}[step.ok]
        console.print(f"{mark} {step.name}: {step.message_de}", highlight=False, soft_wrap=True)
        console.print(f"   {step.message_en}", highlight=False, soft_wrap=True)
    if offline and result.failed is not None and result.failed.name == "chain":
        console.print("Offline-Prüfung bestanden. / Offline checks passed.")
        return
    if not result.ok:
        failed = result.failed
        name = failed.name if failed else "?"
        err_console.print(
            f"Quittung NICHT bestätigt, Schritt '{name}'. / "
            f"Receipt NOT confirmed at step '{name}'.",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print("[bold green]Quittung bestätigt. / Receipt confirmed.[/]")


@audit_app.command("consistency")
@_fails_clearly
def audit_consistency(
    namespace: Annotated[str, typer.Argument(help="The namespace whose anchors to check.")],
) -> None:
    """Show that each anchored root extends the one before (RFC 9162 consistency proofs),
    with the roots read from the chain."""
    from govchain.chain.clients.anchor_registry import namespace_id
    from govchain.platform.anchoring._wiring import connect_chain, open_service
    from govchain.platform.anchoring.errors import AnchoringError, UnknownNamespaceError
    from govchain.platform.anchoring.merkle import verify_consistency

    settings = _platform_settings()
    chain = connect_chain(settings)
    service = open_service(settings, chain)
    try:
        if not service.store.has_namespace(namespace):
            raise UnknownNamespaceError(namespace)
        ns = namespace_id(namespace)
        count = chain.registry.anchor_count(ns)
        anchors = [chain.registry.anchor_at(ns, i) for i in range(count)]
        levels = service.levels(namespace)
        failures = 0
        for old, new in itertools.pairwise(anchors):
            if new.tree_size > levels.size:
                raise AnchoringError(
                    f"The local log of {namespace} is shorter than the anchored size "
                    f"{new.tree_size}.",
                    f"Das lokale Log von {namespace} ist kürzer als die verankerte Größe "
                    f"{new.tree_size}.",
                )
            proof = levels.consistency_proof(old.tree_size, new.tree_size)
            ok = verify_consistency(old.tree_size, new.tree_size, old.root, new.root, proof)
            failures += not ok
            mark = "[green]✔[/]" if ok else "[red]✗[/]"
            console.print(
                f"{mark} Anker {old.index} → {new.index}: {old.tree_size} → {new.tree_size} "
                f"Einträge (Blöcke {old.block_number} → {new.block_number}), "
                f"Beweis aus {len(proof)} Hashes",
                highlight=False,
            )
    finally:
        service.close()
    if count < 2:
        console.print(f"{namespace}: {count} Anker, nichts zu vergleichen. / nothing to compare.")
    if failures:
        raise typer.Exit(1)


def main() -> None:
    """Entry point for the console script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
