"""The Accurate Online client: hosts, sessions, envelopes, rate limits and typed errors in one place.

Two hosts: the account host (``https://account.accurate.id``: OAuth, database list, sessions, API-token
info) and the data host of the company's database (``https://zeus.accurate.id`` …), learnt at run time
from ``open-db.do`` (OAuth) or ``api-token.do`` (API token). Data calls go to
``{host}/accurate/api/{module}/{action}.do``.

What the client heals by itself, invisibly to the caller:
- "Data Session Key tidak tepat" → ``db-refresh-session.do`` (or ``open-db.do``) and the call again;
- ``invalid_token`` → OAuth refresh (the new pair goes to the caller's callback) and the call again;
- HTTP 307/308 (database moved) → the same method, body and Authorization to the new location, which
  becomes the data host from then on — only inside Accurate's hosts (`host_allowed`); a redirect
  elsewhere raises `ForeignHost` and nothing is sent there;
- a rate-limit answer (HTTP 429 whatever its body, or Accurate's text) → wait the larger of an
  exponential backoff with jitter and ``Retry-After`` and try again, within a retry budget and only if
  the wait ends before the invocation's deadline (`omsync.deadline`); otherwise `RateLimited` is raised.

What it surfaces: `Transient` after a 5xx, a timeout, a dropped connection, or an answer that is cut
short, unreadable or not shaped as documented. A write may have taken effect anyway, so **the caller**
must look the document up by number (`find_by_number`) before retrying: the client never retries a write
blindly, and exactly-once is the caller's job. Other failures are the typed errors of
`omsync.accurate.errors`; no error text carries a URL's query, a header or an answer's body.

Every request first takes a slot of the token's `Governor` (≤ 8 per second, ≤ 8 in flight).
"""

from __future__ import annotations

import decimal
import ipaddress
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from omsync.accurate.auth import ACCOUNT_URL, Auth
from omsync.accurate.documents import AccurateDocument, format_accurate_date, from_json, to_json
from omsync.accurate.errors import (
    AccurateError,
    AuthenticationFailed,
    DuplicateNumber,
    ForeignHost,
    InsufficientScope,
    NotFound,
    RateLimited,
    Rejected,
    SessionExpired,
    TokenExpired,
    Transient,
    classify,
    scope_name,
)
from omsync.accurate.governor import Governor, in_process_governor
from omsync.deadline import Waits, parse_retry_after, request_timeout
from omsync.errors import describe_answer

BULK_LIMIT = 100
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({307, 308})
ACCURATE_DOMAIN = "accurate.id"
_HOST_NAME = re.compile(r"[A-Za-z0-9.:\[\]-]{1,253}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_accurate(host: str) -> bool:
    return host == ACCURATE_DOMAIN or host.endswith("." + ACCURATE_DOMAIN)


def host_allowed(account_url: str, url: str) -> bool:
    """Whether omsync may send its credentials to ``url``, for a client configured with ``account_url``.

    The rule (docs/ARCHITECTURE.md, "Accurate hosts"): with Accurate's own account host, only https hosts
    of ``accurate.id`` and its subdomains; with a loopback account host (the local sandbox), only loopback
    hosts over the same scheme; with any other account host, only that host over the same scheme. A URL
    carrying a user name or password never is.
    """
    try:
        account, target = urlsplit(account_url), urlsplit(url)
        account_host, host = (account.hostname or "").lower(), (target.hostname or "").lower()
        credentials = target.username is not None or target.password is not None
    except ValueError:
        return False
    if not host or credentials:
        return False
    if _is_accurate(account_host):
        return target.scheme == "https" and _is_accurate(host)
    if _is_loopback(account_host):
        return target.scheme == account.scheme and _is_loopback(host)
    return target.scheme == account.scheme and host == account_host


def _host_of(url: str) -> str:
    """The host name of ``url`` for an error text, or a placeholder when it is not a plain host name."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return host if _HOST_NAME.fullmatch(host) else "(unreadable host)"


def _path_of(url: str) -> str:
    """The path of ``url`` for an error text: never its query (which may carry numbers) or its host."""
    try:
        return urlsplit(url).path
    except ValueError:
        return "(unreadable path)"


@dataclass(frozen=True)
class SavedRecord:
    """What Accurate answered for one saved record: its id, number and the full record (``r``)."""

    id: int
    number: str | None
    record: Mapping[str, Any]


@dataclass(frozen=True)
class BulkRowResult:
    """The outcome of one row of a bulk save, at the row's index in the caller's input."""

    index: int
    document: AccurateDocument
    saved: SavedRecord | None = None
    error: AccurateError | None = None

    @property
    def ok(self) -> bool:
        """True when Accurate saved this row."""
        return self.saved is not None


@dataclass(frozen=True)
class Database:
    """A company database ("Data Usaha") the token can open."""

    id: int
    alias: str


@dataclass
class _Session:
    host: str | None = None
    session_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _module_of(module: str | type[AccurateDocument]) -> tuple[str, str]:
    if isinstance(module, str):
        return module, "number"
    return module.module, module.key_param


def _saved(record: object) -> SavedRecord:
    """The saved record of an ``s:true`` answer; one without a usable ``id`` is ambiguous (`Transient`)."""
    if not isinstance(record, Mapping):
        raise Transient("saved, but the answer carries no record")
    record_id = record.get("id")
    if isinstance(record_id, bool) or not isinstance(record_id, int | str | Decimal):
        raise Transient("saved, but the answer's record has no id")
    try:
        id_value = int(record_id)
    except (ValueError, ArithmeticError):
        raise Transient("saved, but the answer's record has no readable id") from None
    number = record.get("number") or record.get("no") or record.get("customerNo") or record.get("vendorNo")
    return SavedRecord(id=id_value, number=str(number) if number is not None else None, record=record)


def _decimal(value: object, what: str) -> Decimal:
    """A number of Accurate's answer as Decimal; anything else is a malformed answer (`Transient`)."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise Transient(f"{what}: the answer carries no number")
    try:
        number = Decimal(str(value))
    except decimal.InvalidOperation:
        raise Transient(f"{what}: the answer carries no number") from None
    if not number.is_finite():
        raise Transient(f"{what}: the answer carries no number")
    return number


class AccurateClient:
    """One company database of Accurate Online, through one token.

    ``database_id`` is required with OAuth (which database to open); with an API token the token names it.
    ``governor`` defaults to an in-process one; Lambdas pass `omsync.accurate.governor.dynamodb_governor`.
    ``on_refused`` is told of every refusal only the seller can cure by authorising omsync again, as it is
    raised: `AuthenticationFailed` (HTTP 401, a refresh refused, an API token refused), `InsufficientScope`,
    and `TokenExpired` still answered after a refresh. The workers count it (``AccurateAuthFailed``, alarmed).
    """

    def __init__(
        self,
        auth: Auth,
        *,
        account_url: str = ACCOUNT_URL,
        database_id: int | None = None,
        governor: Governor | None = None,
        http: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        rate_limit_retries: int = 8,
        backoff_base: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        on_refused: Callable[[AccurateError], None] | None = None,
    ) -> None:
        if auth.uses_session and database_id is None:
            raise ValueError("OAuth needs the database_id to open")
        self._auth = auth
        self._account_url = account_url.rstrip("/")
        self._database_id = database_id
        self._governor = governor or in_process_governor()
        self._http = http or requests.Session()
        self._timeout = timeout
        self._rate_limit_retries = rate_limit_retries
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._on_refused = on_refused
        self._session = _Session()

    # --- account host ---------------------------------------------------------------------------------

    def list_databases(self) -> list[Database]:
        """The databases this (OAuth) token may open: ``db-list.do``. Raises `Transient` on a malformed list."""
        body = self._account_call("GET", "/api/db-list.do")
        rows = body.get("d", [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise Transient("db-list: the answer is not a list of databases")
        return [Database(id=int(_decimal(row.get("id"), "db-list")), alias=str(row.get("alias", ""))) for row in rows]

    def open_database(self) -> str:
        """Open the database (OAuth) or discover its host (API token); returns the data host.

        Raises `Transient` when the answer lacks the session or host, `ForeignHost` when the announced
        host is outside Accurate's hosts (`host_allowed`).
        """
        if self._auth.uses_session:
            body = self._account_call("GET", "/api/open-db.do", {"id": str(self._database_id)})
            # open-db puts session and host beside `d`, not inside it.
            session, host = body.get("session"), body.get("host")
            if not isinstance(session, str | int) or not isinstance(host, str) or not session or not host:
                raise Transient("open-db: the answer lacks the session or the host")
            self._session.host = self._checked_host(host)
            self._session.session_id = str(session)
        else:
            body = self._account_call("GET", "/api/api-token.do")
            data = body.get("d")
            data = data if isinstance(data, dict) else {}
            database = data.get("database") or data.get("data usaha")
            database = database if isinstance(database, dict) else {}
            host = database.get("host") or data.get("host")
            if not isinstance(host, str) or not host:
                raise Transient("api-token: the answer lacks the database host")
            self._session.host = self._checked_host(host)
        return self._session.host

    def _checked_host(self, host: str) -> str:
        """A data host Accurate announced, if it is one of Accurate's hosts (else `ForeignHost`)."""
        if not host_allowed(self._account_url, host):
            raise ForeignHost(_host_of(host))
        return host.rstrip("/")

    def _refresh_session(self) -> None:
        if not self._auth.uses_session or self._session.session_id is None:
            self.open_database()
            return
        try:
            body = self._account_call(
                "GET", "/api/db-refresh-session.do", {"id": str(self._database_id), "session": self._session.session_id}
            )
        except AccurateError:
            self.open_database()
            return
        data = body.get("d")
        # db-refresh-session nests session (and maybe host) inside `d`, unlike open-db.
        if not isinstance(data, dict) or not isinstance(data.get("session"), str | int) or not data.get("session"):
            self.open_database()
            return
        if data.get("host"):
            self._session.host = self._checked_host(str(data["host"]))
        self._session.session_id = str(data["session"])

    def _account_call(self, method: str, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        refreshed = False
        rate_limited = 0
        waits = Waits(self._sleep)
        while True:
            response = self._send(method, self._account_url + path, params, None, self._auth.headers())
            try:
                return self._envelope(response)
            except RateLimited as limited:
                rate_limited += 1
                self._wait_out(limited, rate_limited, waits)
            except TokenExpired as expired:
                if refreshed:
                    self._report_refusal(expired)
                    raise
                refreshed = True
                self._refresh_credentials()
            except (AuthenticationFailed, InsufficientScope) as refusal:
                self._report_refusal(refusal)
                raise

    # --- data host -------------------------------------------------------------------------------------

    def _data_call(
        self, method: str, module: str, action: str, params: Mapping[str, str] | None = None, body: object = None
    ) -> dict[str, Any]:
        healed: set[type[AccurateError]] = set()
        rate_limited = 0
        waits = Waits(self._sleep)
        while True:
            with self._session.lock:
                if self._session.host is None:
                    self.open_database()
            headers = self._auth.headers()
            if self._auth.uses_session and self._session.session_id:
                headers["X-Session-ID"] = self._session.session_id
            url = f"{self._session.host}/accurate/api/{module}/{action}.do"
            try:
                response = self._send(method, url, params, body, headers)
                return self._envelope(response, bulk=action == "bulk-save")
            except RateLimited as limited:
                rate_limited += 1
                self._wait_out(limited, rate_limited, waits)
            except SessionExpired:
                if SessionExpired in healed:
                    raise
                healed.add(SessionExpired)
                with self._session.lock:
                    self._refresh_session()
            except TokenExpired as expired:
                if TokenExpired in healed:
                    self._report_refusal(expired)
                    raise
                healed.add(TokenExpired)
                self._refresh_credentials()
            except (AuthenticationFailed, InsufficientScope) as refusal:
                self._report_refusal(refusal)
                raise

    def _refresh_credentials(self) -> None:
        """A fresh credential after ``invalid_token`` (`Auth.refresh`); a refusal is reported, then raised."""
        try:
            self._auth.refresh()
        except AuthenticationFailed as refusal:
            self._report_refusal(refusal)
            raise

    def _report_refusal(self, refusal: AccurateError) -> None:
        """Tell ``on_refused`` of a refusal only a new authorisation cures (once, where it is raised)."""
        if self._on_refused is not None:
            self._on_refused(refusal)

    def _wait_out(self, limited: RateLimited, attempt: int, waits: Waits) -> None:
        """Wait before the ``attempt``-th retry of a rate-limited request, or raise ``limited`` if not allowed.

        The wait (seconds) is the larger of the backoff and Accurate's ``Retry-After``; it is not started
        when retries are used up or it would pass the deadline (`Waits`).
        """
        if attempt > self._rate_limit_retries:
            raise limited
        delay = self._backoff(attempt, limited.retry_after)
        if not waits.sleep(delay):
            raise RateLimited(
                f"{limited}; not retried: a wait of {delay:.1f} s would pass the deadline",
                limited.messages,
                retry_after=limited.retry_after,
            ) from limited

    def _backoff(self, attempt: int, retry_after: float | None = None) -> float:
        # Full jitter: spreads the callers that were refused together; never sooner than Accurate asked.
        jittered = random.uniform(0, self._backoff_base * 2 ** min(attempt, 5))
        return max(jittered, retry_after) if retry_after is not None else jittered

    def _send(
        self, method: str, url: str, params: Mapping[str, str] | None, body: object, headers: dict[str, str]
    ) -> requests.Response:
        data = None
        if body is not None:
            data = to_json(body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        for _ in range(MAX_REDIRECTS + 1):
            if not host_allowed(self._account_url, url):
                raise ForeignHost(_host_of(url))
            connect, read = self._timeout
            try:
                with self._governor.slot():
                    response = self._http.request(
                        method,
                        url,
                        params=params,
                        data=data,
                        headers=headers,
                        timeout=(request_timeout(connect), request_timeout(read)),
                        allow_redirects=False,
                    )
            except (requests.RequestException, ValueError) as exc:
                # Sending, or reading the body (cut mid-answer, broken chunked encoding, bad compression).
                # ValueError: requests (2.34) prepares the next hop of a redirect even when not following
                # it, and urlsplit raises on a malformed Location. The text names the kind and the path: a
                # requests message repeats the URL with its query.
                raise Transient(f"{method} {_path_of(url)}: {type(exc).__name__}") from exc
            if response.status_code not in REDIRECT_STATUSES:
                return response
            # The database moved: same method, body and Authorization to the new place, and stay there —
            # but only inside Accurate's hosts: anywhere else would receive the token and the signature.
            location = response.headers.get("Location")
            try:
                target = urljoin(url, location) if location else ""
            except ValueError:  # e.g. an unclosed IPv6 bracket
                target = ""
            if not target:
                raise Transient(f"{method} {_path_of(url)}: HTTP {response.status_code} without a usable Location")
            url = target
            if not host_allowed(self._account_url, url):
                raise ForeignHost(_host_of(url))
            moved = urlsplit(url)
            if "/accurate/api/" in moved.path:
                self._session.host = f"{moved.scheme}://{moved.netloc}"
        raise Transient(f"too many redirects for {_path_of(url)}")

    @staticmethod
    def _envelope(response: requests.Response, bulk: bool = False) -> dict[str, Any]:
        """Classify an answer: transport facts first (status, readability), then Accurate's envelope."""
        status = response.status_code
        if status == 429:
            raise RateLimited(
                f"HTTP 429 ({describe_answer(response)})",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise Transient(f"HTTP {status} ({describe_answer(response)})")
        if status == 403 and b"insufficient_scope" in response.content:
            raise InsufficientScope(scope_name(response.content.decode("utf-8", "replace")))
        try:
            body = from_json(response.content)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            raise Transient(f"HTTP {status}: not an Accurate envelope ({describe_answer(response)})")
        if "error" in body and "s" not in body:
            # An OAuth error object: ``error`` is the code (invalid_token …); the description is not read.
            raise classify([str(body["error"])])
        if body.get("s") is True:
            return body
        messages = body.get("d")
        if bulk and isinstance(messages, list) and messages and all(isinstance(row, dict) for row in messages):
            return body  # per-row results; the caller reads each row
        texts = (
            [str(m) for m in messages]
            if isinstance(messages, list)
            else [str(messages or body.get("message") or f"HTTP {status}")]
        )
        error = classify(texts)
        if status == 401 and isinstance(error, Rejected):
            raise AuthenticationFailed(error.args[0], error.messages)
        raise error

    # --- operations -------------------------------------------------------------------------------------

    def save(self, document: AccurateDocument) -> SavedRecord:
        """Create (or, with ``id``, update) one record: ``save.do``. Returns Accurate's record (``r``)."""
        try:
            body = self._data_call("POST", document.module, "save", body=document.request_body())
            return _saved(body.get("r"))
        except AccurateError as error:
            raise _with_number(error, document) from None

    def bulk_save(self, documents: Sequence[AccurateDocument]) -> list[BulkRowResult]:
        """Save many records of one kind, ≤100 per request; one result per input row, in input order.

        A failed row does not fail the others. A failure of a whole request (`Transient` after the
        request left, say) is raised: some rows of that chunk may have been saved, so look them up.
        """
        if not documents:
            return []
        modules = {d.module for d in documents}
        if len(modules) != 1:
            raise ValueError(f"bulk_save takes one kind of document, got {sorted(modules)}")
        (module,) = modules
        results: list[BulkRowResult] = []
        for start in range(0, len(documents), BULK_LIMIT):
            chunk = documents[start : start + BULK_LIMIT]
            body = self._data_call("POST", module, "bulk-save", body={"data": [d.request_body() for d in chunk]})
            rows = body.get("d", [])
            if not isinstance(rows, list) or len(rows) != len(chunk):
                raise Transient(
                    f"bulk-save answered {len(rows) if isinstance(rows, list) else 0} rows for {len(chunk)}"
                )
            for offset, (document, row) in enumerate(zip(chunk, rows, strict=True)):
                index = start + offset
                if isinstance(row, dict) and row.get("s") is True:
                    results.append(BulkRowResult(index, document, saved=_saved(row.get("r"))))
                else:
                    messages = row.get("d", []) if isinstance(row, dict) else [row]
                    texts = [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
                    error = _with_number(classify(texts), document)
                    results.append(BulkRowResult(index, document, error=error))
        return results

    def detail(
        self, module: str | type[AccurateDocument], id: int | None = None, number: str | None = None
    ) -> dict[str, Any]:
        """One record by id or by its business key: ``detail.do``. Raises `NotFound`."""
        name, key_param = _module_of(module)
        if (id is None) == (number is None):
            raise ValueError("give exactly one of id or number")
        params = {"id": str(id)} if id is not None else {key_param: str(number)}
        body = self._data_call("GET", name, "detail", params)
        record = body.get("d")
        if not isinstance(record, dict):
            raise NotFound(f"{name} {id if id is not None else number} not found")
        return record

    def find_by_number(self, module: str | type[AccurateDocument], number: str) -> dict[str, Any] | None:
        """The record with this number, or None: the look-up to do after an ambiguous failure."""
        try:
            return self.detail(module, number=number)
        except NotFound:
            return None

    def list(
        self,
        module: str | type[AccurateDocument],
        filters: Mapping[str, object] | None = None,
        fields: Sequence[str] = ("id", "number"),
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Every matching record, page by page: ``list.do``.

        ``filters`` maps a field to a value (``EQUAL``) or to ``(operator, value)``, e.g.
        ``{"transDate": ("BETWEEN", [d1, d2])}``; dates are written as dd/MM/yyyy.
        """
        name, _ = _module_of(module)
        params: dict[str, str] = {"fields": ",".join(fields), "sp.pageSize": str(page_size)}
        for field_name, condition in (filters or {}).items():
            op, value = condition if isinstance(condition, tuple) else ("EQUAL", condition)
            params[f"filter.{field_name}.op"] = str(op)
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                text = format_accurate_date(v) if isinstance(v, date) else str(v)
                params[f"filter.{field_name}.val[{i}]" if len(values) > 1 else f"filter.{field_name}.val"] = text
        page = 1
        while True:
            body = self._data_call("GET", name, "list", {**params, "sp.page": str(page)})
            rows = body.get("d", [])
            paging = body.get("sp") or {}
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise Transient(f"{name} list: the answer is not a list of records")
            if not isinstance(paging, dict):
                raise Transient(f"{name} list: the answer's paging is not readable")
            page_count = _decimal(paging.get("pageCount", 1), f"{name} list page count")
            yield from rows
            # An empty page ends the list too: a page count that never ends must not page forever.
            if not rows or page >= page_count:
                return
            page += 1

    def delete(self, module: str | type[AccurateDocument], id: int | None = None, number: str | None = None) -> None:
        """Delete a record by id or number: ``delete.do`` (HTTP DELETE)."""
        name, key_param = _module_of(module)
        if (id is None) == (number is None):
            raise ValueError("give exactly one of id or number")
        params = {"id": str(id)} if id is not None else {key_param: str(number)}
        self._data_call("DELETE", name, "delete", params)

    def delete_if_present(
        self, module: str | type[AccurateDocument], id: int | None = None, number: str | None = None
    ) -> bool:
        """`delete`, where a record already gone is what was wanted: True when this call deleted it, False when
        Accurate has none by that key (deleted by an earlier attempt that died before recording it, or by
        hand). Raises what `delete` raises otherwise."""
        try:
            self.delete(module, id=id, number=number)
        except NotFound:
            return False
        return True

    def get_balance(self, account_no: str, as_of: date | None = None) -> Decimal:
        """A GL account's balance (debit positive for debit-normal accounts): ``glaccount/get-balance.do``."""
        params = {"no": account_no}
        if as_of is not None:
            params["asOfDate"] = format_accurate_date(as_of)
        body = self._data_call("GET", "glaccount", "get-balance", params)
        data = body.get("d")
        value = data.get("balance") if isinstance(data, dict) else data
        return _decimal(value, "get-balance")

    def get_stock(self, item_no: str, warehouse_name: str | None = None) -> Decimal:
        """Available stock of an item, in one warehouse or all: ``item/get-stock.do``."""
        params = {"no": item_no}
        if warehouse_name is not None:
            params["warehouseName"] = warehouse_name
        body = self._data_call("GET", "item", "get-stock", params)
        data = body.get("d")
        return _decimal(data.get("availableStock") if isinstance(data, dict) else None, "get-stock")

    def list_stock(self, warehouse_name: str, page_size: int = 100) -> dict[str, Decimal]:
        """Item code → quantity on hand in one warehouse, page by page: ``item/list-stock.do``.

        Rows are read as ``{"no", "quantity"}`` (docs/ARCHITECTURE.md, stock). Raises `Transient` for an
        answer that is not a page of such rows.
        """
        stock: dict[str, Decimal] = {}
        page = 1
        while True:
            params = {"warehouseName": warehouse_name, "sp.page": str(page), "sp.pageSize": str(page_size)}
            body = self._data_call("GET", "item", "list-stock", params)
            rows, paging = body.get("d", []), body.get("sp") or {}
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows) or not isinstance(paging, dict):
                raise Transient("item list-stock: the answer is not a page of stock rows")
            for row in rows:
                stock[str(row.get("no"))] = _decimal(row.get("quantity"), "list-stock quantity")
            if not rows or page >= _decimal(paging.get("pageCount", 1), "list-stock page count"):
                return stock
            page += 1


def _with_number(error: AccurateError, document: AccurateDocument) -> AccurateError:
    """A duplicate answer names the number in prose; prefer the number the document carried."""
    if isinstance(error, DuplicateNumber) and document.key:
        return DuplicateNumber(document.key, error.messages)
    return error
