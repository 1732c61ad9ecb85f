"""`omsync connection create|rotate-token|authorize|show|list|disable|enable|delete`: link a Ginee account to an
Accurate database, and manage the links.

Secrets go to Secrets Manager, the connection (with only the SHA-256 of its webhook token) to the Ledger.
The webhook URL with its token is printed once and never stored. Each command names its stack with
``--env``/``--stack`` (`omsync_ops.stacks`). A rotation builds the new URL from the stack before it
stores anything, and keeps the old token working for a grace period.

``create`` first checks that Ginee and Accurate answer and accept the credentials (`check_credentials`: one
cheap documented call each), and stores nothing when one refuses, unless ``--skip-check``.
"""

from __future__ import annotations

import argparse
import http.server
import math
import secrets
import threading
import webbrowser
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import ClientError

from omsync.accurate.auth import ACCOUNT_URL, ApiTokenAuth, CallbackKeeper, OAuthTokens, authorize_url, exchange_code
from omsync.accurate.client import AccurateClient, Database
from omsync.accurate.errors import AccurateError, AuthenticationFailed, InsufficientScope
from omsync.errors import RetryableError
from omsync.ginee.client import SHOP_LIST, GineeClient
from omsync.ginee.errors import GineeError, IamFailed
from omsync.ledger.connections import (
    Connection,
    ConnectionRepository,
    ConnectionStatus,
    hash_token,
    is_connection_id,
)
from omsync.ledger.credentials import (
    AccurateApiToken,
    AccurateOAuth,
    CredentialStore,
    GineeCredentials,
    SecretTokenKeeper,
    accurate_client,
    secret_name,
)
from omsync_ops.errors import CommandError, reporting_errors
from omsync_ops.stacks import DeployedStack, add_stack_options, use_stack

# Every scope omsync uses, asked for at once: a second consent replaces the first one's scopes.
OAUTH_SCOPE = " ".join(
    (
        "item_view item_save customer_view customer_save vendor_view warehouse_view branch_view glaccount_view",
        "tax_view unit_view item_category_view sales_invoice_view sales_invoice_save sales_receipt_view",
        "sales_receipt_save sales_return_view sales_return_save purchase_invoice_view purchase_invoice_save",
        "receive_item_view receive_item_save journal_voucher_view journal_voucher_save item_adjustment_view",
        "item_adjustment_save",
    )
)
CALLBACK_WAIT_SECONDS = 600.0
DEFAULT_GRACE_HOURS = 24.0
MAX_GRACE_HOURS = 30 * 24.0


def webhook_url(base: str, connection_id: str, token: str) -> str:
    """``{base}/webhooks/ginee/{id}/{token}``; a base that already ends in ``/webhooks/ginee`` is used as is."""
    base = base.rstrip("/")
    if not base.endswith("/webhooks/ginee"):
        base += "/webhooks/ginee"
    return f"{base}/{connection_id}/{token}"


def checked_url(value: str, option: str) -> str:
    """`value` when it is an http(s) URL with a host; else CommandError naming `option` (before anything is stored)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # urlsplit refuses e.g. an unclosed [IPv6 bracket
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise CommandError(
            f"{option} {value!r} is not a URL: give http:// or https:// and a host, e.g. https://host/path"
        )
    return value


def _webhook_base(args: argparse.Namespace, stack: DeployedStack | None) -> str:
    base: str | None = args.webhook_base
    if base:
        return checked_url(base, "--webhook-base")
    if stack is None:
        raise CommandError("give --webhook-base, or name the stack (--env or --stack) whose WebhookUrlBase to use")
    return stack.webhook_base


def _existing(connection_id: str) -> Connection:
    connection = ConnectionRepository().get(connection_id)
    if connection is None:
        raise CommandError(f"no connection {connection_id}")
    return connection


# --- create, rotate-token, show -----------------------------------------------------------------------

CHECK_RETRIES = 1
"""Retries of a busy answer during the check: an operator waits at the terminal, and may run it again."""
CHECK_TIMEOUT_SECONDS = 10.0
"""How long the check waits for each answer (a host that takes no connection must not hold the terminal)."""


def check_credentials(ginee: GineeCredentials, accurate: AccurateApiToken | None) -> None:
    """Refuse (`CommandError`, one line naming which side and why, never a secret) unless Ginee and Accurate
    answer and accept the credentials; Accurate is checked only for an API token (OAuth is checked by
    ``authorize``, which lists the databases).

    One documented call each: Ginee's ``POST /openapi/shop/v1/list`` for one store (page 0, size 1: reference
    ginee-api.md, "Shops"), signed with the keys; Accurate's ``api-token.do`` on the account host, which
    answers the token's database and host (reference accurate-api.md §3.3), signed with the token and secret.
    """
    client = GineeClient(
        ginee.base_url,
        ginee.access_key,
        ginee.secret_key,
        country=ginee.country,
        max_retries=CHECK_RETRIES,
        timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.call("POST", SHOP_LIST, {"page": 0, "size": 1})
    except IamFailed as error:
        raise CommandError(
            f"not created: Ginee refused the access key and secret key ({type(error).__name__}: {error}); "
            "check --ginee-access-key and --ginee-secret-key (or --skip-check)"
        ) from None
    except GineeError as error:
        raise CommandError(
            f"not created: Ginee at {ginee.base_url} refused the check ({type(error).__name__}: {error}); "
            "check --ginee-url (or --skip-check)"
        ) from None
    except RetryableError as error:
        raise CommandError(
            f"not created: Ginee did not answer at {ginee.base_url} ({type(error).__name__}); "
            "check --ginee-url and try again (or --skip-check)"
        ) from None
    if accurate is None:
        return
    checker = AccurateClient(
        ApiTokenAuth(accurate.api_token, accurate.signature_secret),
        account_url=accurate.account_url,
        timeout=(5.0, CHECK_TIMEOUT_SECONDS),
        rate_limit_retries=CHECK_RETRIES,
    )
    try:
        checker.open_database()
    except (AuthenticationFailed, InsufficientScope) as error:
        raise CommandError(
            f"not created: Accurate refused the API token ({type(error).__name__}: {error}); "
            "check --accurate-api-token and --accurate-signature-secret (or --skip-check)"
        ) from None
    except AccurateError as error:
        reason = type(error).__name__ if error.retryable else f"{type(error).__name__}: {error}"
        raise CommandError(
            f"not created: Accurate did not accept the check at {accurate.account_url} ({reason}); "
            "check --accurate-account-url and try again (or --skip-check)"
        ) from None


def create(args: argparse.Namespace) -> int:
    """Store the Ginee keys and (when given) the Accurate API token, the connection, and print its webhook URL."""
    checked_url(args.ginee_url, "--ginee-url")
    checked_url(args.accurate_account_url, "--accurate-account-url")
    if args.webhook_base:
        checked_url(args.webhook_base, "--webhook-base")
    stack = use_stack(args)
    connection_id: str = args.id or "conn-" + secrets.token_hex(6)
    if not is_connection_id(connection_id):
        raise CommandError(f"{connection_id!r} is not a valid connection id (letters, digits, - and _)")
    if ConnectionRepository().get(connection_id) is not None:
        raise CommandError(f"connection {connection_id} exists already")
    if (args.accurate_api_token is None) != (args.accurate_signature_secret is None):
        raise CommandError("give --accurate-api-token and --accurate-signature-secret together")
    base = _webhook_base(args, stack)
    ginee = GineeCredentials(
        base_url=args.ginee_url, access_key=args.ginee_access_key, secret_key=args.ginee_secret_key
    )
    if args.accurate_api_token is not None:
        accurate: AccurateApiToken | None = AccurateApiToken(
            api_token=args.accurate_api_token,
            signature_secret=args.accurate_signature_secret,
            account_url=args.accurate_account_url,
        )
    else:
        accurate = None
    if not args.skip_check:
        check_credentials(ginee, accurate)
    store = CredentialStore()
    ginee_secret = store.put_ginee(connection_id, ginee)
    # With OAuth the secret is written by `authorize`; until then the connection names where it will be.
    accurate_secret = (
        store.put_accurate(connection_id, accurate) if accurate is not None else secret_name(connection_id, "accurate")
    )
    token = secrets.token_urlsafe(32)
    ConnectionRepository().put(
        Connection(
            id=connection_id,
            name=args.name,
            token_sha256=hash_token(token),
            ginee_secret=ginee_secret,
            accurate_secret=accurate_secret,
        )
    )
    print(f"connection {connection_id} created")
    if accurate is None:
        print(f"next: omsync connection authorize {connection_id} --client-id … --client-secret …")
    print(f"webhook URL (give it to Ginee; it is shown only now): {webhook_url(base, connection_id, token)}")
    return 0


def rotate_token(args: argparse.Namespace) -> int:
    """Give the connection a new webhook token; the old one keeps working for ``--grace-hours`` (default 24).

    The new URL is built first (the stack's WebhookUrlBase read): when it cannot be, nothing is stored
    and the old URL keeps working. A rotation during another's grace period drops the token before the
    current one. ``--grace-hours 0`` refuses the old token at once (for a URL that leaked).
    """
    grace_hours: float = args.grace_hours
    if not (math.isfinite(grace_hours) and 0 <= grace_hours <= MAX_GRACE_HOURS):
        raise CommandError(f"--grace-hours must be between 0 and {MAX_GRACE_HOURS:g}")
    if args.webhook_base:
        checked_url(args.webhook_base, "--webhook-base")
    stack = use_stack(args)
    base = _webhook_base(args, stack)
    connection = _existing(args.connection_id)
    token = secrets.token_urlsafe(32)
    url = webhook_url(base, connection.id, token)
    now = datetime.now(UTC)
    rotated = connection.with_new_token(hash_token(token), grace=timedelta(hours=grace_hours), now=now)
    ConnectionRepository().put(rotated)
    print(f"new webhook URL (give it to Ginee; it is shown only now): {url}")
    if rotated.previous_token_expires_at is not None:
        until = rotated.previous_token_expires_at.isoformat(timespec="seconds")
        print(f"the old URL keeps working until {until} ({grace_hours:g} h); give Ginee the new one before then")
    else:
        print("the old URL no longer works")
    if connection.previous_token_valid(now):
        print("the URL before the old one (from the rotation before this one) no longer works")
    return 0


def show(args: argparse.Namespace) -> int:
    """Print the connection and what kind of credentials it has (never the secrets themselves)."""
    use_stack(args)
    connection = _existing(args.connection_id)
    store = CredentialStore()
    accurate = _accurate_credentials(store, connection)
    accurate_kind = accurate.kind if accurate is not None else "not authorized yet"
    database = accurate.database_id if accurate is not None else None
    ginee = store.ginee(connection.ginee_secret)
    print(f"id:             {connection.id}")
    print(f"name:           {connection.name}")
    print(f"status:         {connection.status.value}")
    print(f"created:        {connection.created_at.isoformat()}")
    if connection.previous_token_valid() and connection.previous_token_expires_at is not None:
        until = connection.previous_token_expires_at.isoformat(timespec="seconds")
        print(f"webhook token:  rotated; the previous URL is accepted until {until}")
    print(f"ginee:          {ginee.base_url} (country {ginee.country})")
    print(f"accurate:       {accurate_kind}" + (f", database {database}" if database is not None else ""))
    print(f"ginee secret:   {connection.ginee_secret}")
    print(f"accurate secret: {connection.accurate_secret}")
    return 0


def list_connections(args: argparse.Namespace) -> int:
    """One line per connection: id, status, created, name (never a secret)."""
    use_stack(args)
    repository = ConnectionRepository()
    connections = [c for c in (repository.get(cid) for cid in repository.ids()) if c is not None]
    if not connections:
        print("no connections: create one with `omsync connection create NAME --ginee-url …`")
        return 0
    print(f"{'id':<28} {'status':<9} {'created':<26} name")
    for connection in sorted(connections, key=lambda c: c.id):
        created = connection.created_at.isoformat(timespec="seconds")
        print(f"{connection.id:<28} {connection.status.value:<9} {created:<26} {connection.name}")
    return 0


def set_status(args: argparse.Namespace) -> int:
    """Disable a connection (its webhooks are refused, its reconciler runs skipped) or enable it again."""
    use_stack(args)
    connection = _existing(args.connection_id)
    status = ConnectionStatus.DISABLED if args.connection_command == "disable" else ConnectionStatus.ACTIVE
    ConnectionRepository().put(connection.model_copy(update={"status": status}))
    if status is ConnectionStatus.DISABLED:
        print(f"connection {connection.id} disabled: Ginee's webhooks for it are refused and nothing of it is synced")
        print(f"enable it again with: omsync connection enable {connection.id} (the reconciler then catches up)")
    else:
        print(f"connection {connection.id} enabled")
    return 0


def delete(args: argparse.Namespace) -> int:
    """Delete a connection and schedule its secrets' deletion (recoverable for 7 days), after confirmation.

    The operator confirms by typing the connection's id (or passes ``--yes`` with that id in a script). What
    omsync recorded of its orders stays in the Ledger, and its documents stay in Accurate.
    """
    use_stack(args)
    connection = _existing(args.connection_id)
    if not args.yes:
        try:
            typed = input(f"delete connection {connection.id} ({connection.name}) and its secrets? type its id: ")
        except EOFError:  # no terminal to answer (a script, a closed stdin): nothing is deleted
            raise CommandError("not deleted: no answer to confirm with; type its id, or pass --yes") from None
        if typed.strip() != connection.id:
            raise CommandError(f"not deleted: {typed.strip()!r} is not {connection.id}")
    ConnectionRepository().delete(connection.id)
    CredentialStore().delete(connection.ginee_secret, connection.accurate_secret)
    print(f"connection {connection.id} deleted; its secrets are scheduled for deletion in 7 days")
    print("its orders' records stay in the Ledger and its documents in Accurate")
    return 0


# --- authorize (OAuth authorization code) ----------------------------------------------------------------


@dataclass
class _Callback:
    """What the loopback callback received."""

    state: str
    done: threading.Event = field(default_factory=threading.Event)
    code: str | None = None
    error: str | None = None


def _callback_server(callback: _Callback) -> http.server.HTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if query.get("state") != callback.state:
                callback.error = "the callback's state does not match (not our authorization)"
            elif "code" not in query:
                callback.error = f"Accurate refused: {query.get('error', 'no code in the callback')}"
            else:
                callback.code = query["code"]
            text = b"omsync: authorization received, you can close this tab.\n"
            self.send_response(200 if callback.error is None else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            callback.done.set()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return http.server.HTTPServer(("127.0.0.1", 0), Handler)


def pick_database(databases: list[Database], wanted: str | None) -> Database:
    """The database named by id or alias, or the only one there is."""
    if wanted is not None:
        for database in databases:
            if wanted in (str(database.id), database.alias):
                return database
        raise CommandError(f"no database {wanted!r}; the token sees: {_names(databases)}")
    if len(databases) == 1:
        return databases[0]
    raise CommandError(
        f"choose one with --database: {_names(databases)}" if databases else "the token sees no database"
    )


def _names(databases: list[Database]) -> str:
    return ", ".join(f"{d.id} ({d.alias})" for d in databases) or "none"


def authorize(args: argparse.Namespace) -> int:
    """Run the OAuth authorization-code flow and store the tokens with the chosen database."""
    checked_url(args.account_url, "--account-url")
    use_stack(args)
    connection = _existing(args.connection_id)
    account_url: str = args.account_url.rstrip("/")
    callback = _Callback(state=secrets.token_urlsafe(16))
    server = _callback_server(callback)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, name="oauth-callback", daemon=True)
    thread.start()
    try:
        url = authorize_url(args.client_id, redirect_uri, OAUTH_SCOPE, callback.state, account_url)
        print(f"open this URL to approve omsync in Accurate: {url}", flush=True)
        if args.open_browser:
            webbrowser.open(url)
        if not callback.done.wait(args.wait_seconds):
            raise CommandError("no answer from Accurate in time; run authorize again")
    finally:
        server.shutdown()
        server.server_close()
    if callback.error is not None or callback.code is None:
        raise CommandError(callback.error or "no code received")
    try:
        issued = [exchange_code(callback.code, redirect_uri, args.client_id, args.client_secret, account_url)]
        # Listing databases needs no database; the client is only used on the account host here. A pair
        # renewed meanwhile is the one to store: the first refresh token is dead once traded in.
        lister = accurate_client(_oauth(args, issued[0], 0, account_url), keeper=CallbackKeeper(issued.append))
        database = pick_database(lister.list_databases(), args.database)
    except AccurateError as error:
        raise CommandError(f"Accurate refused: {error}") from None
    creds = _oauth(args, issued[-1], database.id, account_url)
    secret = CredentialStore().put_accurate(connection.id, creds)
    if secret != connection.accurate_secret:
        ConnectionRepository().put(connection.model_copy(update={"accurate_secret": secret}))
    print(f"connection {connection.id} authorized for database {database.id} ({database.alias})")
    return 0


def _oauth(args: argparse.Namespace, tokens: OAuthTokens, database_id: int, account_url: str) -> AccurateOAuth:
    return AccurateOAuth(
        client_id=args.client_id,
        client_secret=args.client_secret,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        database_id=database_id,
        account_url=account_url,
    )


def required_credentials(store: CredentialStore, connection: Connection) -> AccurateApiToken | AccurateOAuth:
    """The connection's Accurate credentials; CommandError when it has none yet."""
    creds = _accurate_credentials(store, connection)
    if creds is None:
        raise CommandError(
            f"connection {connection.id} has no Accurate credentials yet: run omsync connection authorize"
        )
    return creds


def connection_client(
    connection: Connection,
    store: CredentialStore | None = None,
    creds: AccurateApiToken | AccurateOAuth | None = None,
) -> AccurateClient:
    """An Accurate client for a connection whose OAuth pair is renewed and kept as the workers do it.

    `creds` are the connection's credentials when the caller has read them already (else they are read).
    """
    store = store or CredentialStore()
    creds = creds or required_credentials(store, connection)
    return accurate_client(creds, keeper=SecretTokenKeeper(connection.id, connection.accurate_secret, store))


def _accurate_credentials(store: CredentialStore, connection: Connection) -> AccurateApiToken | AccurateOAuth | None:
    try:
        return store.accurate(connection.accurate_secret)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


# --- wiring -----------------------------------------------------------------------------------------------


def _webhook_options(parser: argparse.ArgumentParser) -> None:
    add_stack_options(parser)
    parser.add_argument("--webhook-base", help="the API's base URL (default: the stack's WebhookUrlBase output)")


def register(subparsers: Any) -> None:
    """Add ``omsync connection …``."""
    parser = subparsers.add_parser("connection", help="create and manage connections (Ginee account → Accurate)")
    commands = parser.add_subparsers(dest="connection_command", metavar="ACTION", required=True)

    make = commands.add_parser("create", help="store credentials and the connection; print its webhook URL")
    make.add_argument("name")
    make.add_argument("--id", help="connection id (default: conn-<random>)")
    make.add_argument("--ginee-url", required=True, help="Ginee OpenAPI base URL")
    make.add_argument("--ginee-access-key", required=True)
    make.add_argument("--ginee-secret-key", required=True)
    make.add_argument("--accurate-api-token", help="Accurate API token (else run `connection authorize` for OAuth)")
    make.add_argument("--accurate-signature-secret", help="the API token's signature secret")
    make.add_argument("--accurate-account-url", default=ACCOUNT_URL)
    make.add_argument(
        "--skip-check",
        action="store_true",
        help="store without checking that Ginee and Accurate answer and accept the credentials",
    )
    _webhook_options(make)
    make.set_defaults(func=reporting_errors(create))

    rotate = commands.add_parser(
        "rotate-token", help="new webhook token; the old URL keeps working for a grace period, then stops"
    )
    rotate.add_argument("connection_id", metavar="ID")
    rotate.add_argument(
        "--grace-hours",
        type=float,
        default=DEFAULT_GRACE_HOURS,
        metavar="HOURS",
        help=f"how long the old URL keeps working (default {DEFAULT_GRACE_HOURS:g}; 0: stop it now, for a leaked URL)",
    )
    _webhook_options(rotate)
    rotate.set_defaults(func=reporting_errors(rotate_token))

    auth = commands.add_parser("authorize", help="Accurate OAuth: approve omsync, pick the database, store tokens")
    auth.add_argument("connection_id", metavar="ID")
    auth.add_argument("--client-id", required=True)
    auth.add_argument("--client-secret", required=True)
    auth.add_argument("--account-url", default=ACCOUNT_URL)
    auth.add_argument("--database", help="database id or name (default: the only one)")
    auth.add_argument("--open-browser", action="store_true", help="open the authorize URL in a browser")
    auth.add_argument("--wait-seconds", type=float, default=CALLBACK_WAIT_SECONDS, help=argparse.SUPPRESS)
    add_stack_options(auth)
    auth.set_defaults(func=reporting_errors(authorize))

    view = commands.add_parser("show", help="the connection, without its secrets")
    view.add_argument("connection_id", metavar="ID")
    add_stack_options(view)
    view.set_defaults(func=reporting_errors(show))

    listing = commands.add_parser("list", help="every connection: id, status, created, name")
    add_stack_options(listing)
    listing.set_defaults(func=reporting_errors(list_connections))
    for action, text in (
        ("disable", "refuse its webhooks and sync nothing of it until it is enabled"),
        ("enable", "accept its webhooks again (the reconciler catches up what came meanwhile)"),
    ):
        toggle = commands.add_parser(action, help=text)
        toggle.add_argument("connection_id", metavar="ID")
        add_stack_options(toggle)
        toggle.set_defaults(func=reporting_errors(set_status))
    remove = commands.add_parser("delete", help="delete the connection and its secrets (asks for its id)")
    remove.add_argument("connection_id", metavar="ID")
    remove.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    add_stack_options(remove)
    remove.set_defaults(func=reporting_errors(delete))
