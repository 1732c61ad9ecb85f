"""`omsync mapping validate|apply|show`: the per-store mapping (DESIGN §6), from YAML to a stored version.

`apply` stores nothing unless every Accurate record the mapping names exists; an unchanged mapping is
recognised by its content hash and creates no new version.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from omsync.accurate.client import AccurateClient
from omsync.accurate.errors import AccurateError, AuthenticationFailed, TokenExpired, Transient
from omsync.config.mapping import LoadedMapping, MappingError, load_mapping
from omsync.ledger.connections import ConnectionRepository
from omsync.ledger.credentials import CredentialStore
from omsync.ledger.mappings import MappingRepository
from omsync.sync.references import check_references
from omsync_ops.connections import connection_client, required_credentials
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import add_stack_options, use_stack


def read_mapping_text(path: str | Path) -> str:
    """The mapping file's text; CommandError (one line) when it cannot be read or is not UTF-8.

    Shared by `omsync mapping` and `omsync demo --mapping`, so both answer a bad file alike.
    """
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text: save the mapping as UTF-8 YAML") from None


def _load(path: str) -> tuple[str, LoadedMapping]:
    text = read_mapping_text(path)
    try:
        return text, load_mapping(text)
    except MappingError as error:
        raise CommandError(
            "\n".join([f"{path} is not a valid mapping:", *(f"  {p}" for p in error.problems)])
        ) from None


def validate(args: argparse.Namespace) -> int:
    """Check the file's shape and rules (no Accurate look-ups)."""
    _, loaded = _load(args.file)
    stores = len(loaded.mapping.stores)
    print(f"{args.file}: valid ({stores} store{'s' if stores != 1 else ''}, {len(loaded.references())} references)")
    return 0


def apply(args: argparse.Namespace) -> int:
    """Validate, check every reference against the connection's Accurate database, then store a new version."""
    text, loaded = _load(args.file)
    use_stack(args)
    connection = ConnectionRepository().get(args.connection)
    if connection is None:
        raise CommandError(f"no connection {args.connection}")
    store = CredentialStore()
    creds = required_credentials(store, connection)
    client = connection_client(connection, store, creds)
    # One call first, so an unreachable Accurate or a refused token is one answer, not the same failure
    # repeated for every kind of record the check would then ask about.
    _reach(client, connection.id, creds.account_url)
    try:
        problems = check_references(loaded, client)
    except AccurateError as error:
        raise CommandError(f"Accurate could not be asked: {error}") from None
    if problems:
        raise CommandError(
            "\n".join([f"{args.file} names records Accurate does not have:", *(f"  {p}" for p in problems)])
        )
    applied = MappingRepository().apply(connection.id, loaded.mapping, text)
    if applied.created:
        print(f"mapping version {applied.version} applied to {connection.id} (sha256 {applied.content_hash})")
        # Imported here: the worker modules bring the functions' logger and metrics, which read the
        # environment once; other commands (`omsync demo`) set that environment up first.
        from omsync.sync.holds import release_holds

        released = release_holds(connection.id)
        if released:
            counts = ", ".join(f"{cause} {n}" for cause, n in sorted(released.items()))
            print(f"released held orders to be posted again: {counts}")
    else:
        print(
            f"unchanged: version {applied.version} of {connection.id} is this mapping (sha256 {applied.content_hash})"
        )
    return 0


def _reach(client: AccurateClient, connection_id: str, account_url: str) -> None:
    """Open the connection's Accurate database; CommandError in one line when Accurate is unreachable or refuses."""
    host = urlsplit(account_url).hostname or account_url
    try:
        client.open_database()
    except (AuthenticationFailed, TokenExpired):
        raise CommandError(
            f"Accurate ({host}) refused connection {connection_id}'s token: authorize it again "
            f"(omsync connection authorize {connection_id}) or give it a new API token; nothing was stored"
        ) from None
    except Transient as error:
        # The error's own text is long (the whole urllib3 chain); the host and what to do are what help.
        status = f", {error}" if str(error).startswith("HTTP ") else ""
        raise CommandError(
            f"cannot reach Accurate ({host}{status}) for connection {connection_id}: check the network and the "
            "connection's Accurate account URL, then retry; nothing was stored"
        ) from None
    except AccurateError as error:
        raise CommandError(
            f"Accurate ({host}) would not open connection {connection_id}'s database: {error}; nothing was stored"
        ) from None


def show(args: argparse.Namespace) -> int:
    """Print a stored version (default: the current one) as YAML, with its version and hash."""
    use_stack(args)
    repository = MappingRepository()
    stored = (
        repository.latest(args.connection) if args.version is None else repository.get(args.connection, args.version)
    )
    if stored is None:
        which = "no mapping" if args.version is None else f"no mapping version {args.version}"
        raise CommandError(f"{which} for connection {args.connection}")
    print(f"# connection {args.connection}, mapping version {stored.version}")
    print(f"# sha256 {stored.content_hash}, applied {stored.applied_at.isoformat()}")
    print(yaml.safe_dump(stored.mapping.model_dump(mode="json"), sort_keys=False, allow_unicode=True), end="")
    return 0


def register(subparsers: Any) -> None:
    """Add ``omsync mapping …``."""
    parser = subparsers.add_parser("mapping", help="validate, apply and show a connection's store mapping")
    commands = parser.add_subparsers(dest="mapping_command", metavar="ACTION", required=True)

    check = commands.add_parser("validate", help="check a mapping file (line-numbered errors)")
    check.add_argument("file")
    check.set_defaults(func=reporting_errors(validate))

    store = commands.add_parser("apply", help="check every reference against Accurate, store a new version")
    store.add_argument("file")
    store.add_argument("--connection", required=True, metavar="ID")
    add_stack_options(store)
    store.set_defaults(func=reporting_errors(apply))

    view = commands.add_parser("show", help="print the current (or a given) version as YAML")
    view.add_argument("--connection", required=True, metavar="ID")
    view.add_argument("--version", type=int)
    add_stack_options(view)
    view.set_defaults(func=reporting_errors(show))
