"""The Accurate Online client: hosts, sessions, envelopes, rate limits and typed errors in one place.

Two hosts: the account host (``https://account.accurate.id``: OAuth, database list, sessions, API-token
info) and the data host of the company's database (``https://zeus.accurate.id`` …), learnt at run time
from ``open-db.do`` (OAuth) or ``api-token.do`` (API token). Data calls go to
``{host}/accurate/api/{module}/{action}.do``.

What the client heals by itself, invisibly to the caller:
- "Data Session Key tidak tepat" → ``db-refresh-session.do`` (or ``open-db.do``) and the call again;
- ``invalid_token`` → OAuth refresh (the new pair goes to the caller's callback) and the call again;
- HTTP 308 (database moved) → the same method, body and Authorization to the new location, which becomes
  the data host from then on;
- a rate-limit answer → wait with exponential backoff and jitter and try again, within a budget.

What it surfaces: `Transient` after a 5xx, a timeout or a dropped connection. A write may have taken
effect anyway, so **the caller** must look the document up by number (`find_by_number`) before retrying:
the client never retries a write blindly, and exactly-once is the caller's job. Other failures are the
typed errors of `omsync.accurate.errors`.

Every request first takes a slot of the token's `Governor` (≤ 8 per second, ≤ 8 in flight).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from omsync.accurate.auth import ACCOUNT_URL, Auth
from omsync.accurate.documents import AccurateDocument, format_accurate_date, from_json, to_json
from omsync.accurate.errors import (
    AccurateError,
    AuthenticationFailed,
    DuplicateNumber,
    InsufficientScope,
    NotFound,
    RateLimited,
    Rejected,
    SessionExpired,
    TokenExpired,
    Transient,
    classify,
)
from omsync.accurate.governor import Governor, in_process_governor

BULK_LIMIT = 100
MAX_REDIRECTS = 3


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


def _saved(record: Mapping[str, Any]) -> SavedRecord:
    number = record.get("number") or record.get("no") or record.get("customerNo") or record.get("vendorNo")
    return SavedRecord(id=int(record["id"]), number=str(number) if number is not None else None, record=record)


class AccurateClient:
    """One company database of Accurate Online, through one token.

    ``database_id`` is required with OAuth (which database to open); with an API token the token names it.
    ``governor`` defaults to an in-process one; Lambdas pass `omsync.accurate.governor.dynamodb_governor`.
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
        self._session = _Session()

    # --- account host ---------------------------------------------------------------------------------

    def list_databases(self) -> list[Database]:
        """The databases this (OAuth) token may open: ``db-list.do``."""
        body = self._account_call("GET", "/api/db-list.do")
        return [Database(id=int(row["id"]), alias=str(row.get("alias", ""))) for row in body.get("d", [])]

    def open_database(self) -> str:
        """Open the database (OAuth) or discover its host (API token); returns the data host."""
        if self._auth.uses_session:
            body = self._account_call("GET", "/api/open-db.do", {"id": str(self._database_id)})
            # open-db puts session and host beside `d`, not inside it.
            self._session.session_id = str(body["session"])
            self._session.host = str(body["host"]).rstrip("/")
        else:
            body = self._account_call("GET", "/api/api-token.do")
            data = body.get("d", {})
            database = data.get("database") or data.get("data usaha") or {}
            self._session.host = str(database.get("host") or data.get("host")).rstrip("/")
        return self._session.host

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
        data = body.get("d", {})
        # db-refresh-session nests session (and maybe host) inside `d`, unlike open-db.
        self._session.session_id = str(data["session"])
        if data.get("host"):
            self._session.host = str(data["host"]).rstrip("/")

    def _account_call(self, method: str, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        refreshed = False
        rate_limited = 0
        while True:
            response = self._send(method, self._account_url + path, params, None, self._auth.headers())
            try:
                return self._envelope(response)
            except RateLimited:
                rate_limited += 1
                if rate_limited > self._rate_limit_retries:
                    raise
                self._sleep(self._backoff(rate_limited))
            except TokenExpired:
                if refreshed:
                    raise
                refreshed = True
                self._auth.refresh()

    # --- data host -------------------------------------------------------------------------------------

    def _data_call(
        self, method: str, module: str, action: str, params: Mapping[str, str] | None = None, body: object = None
    ) -> dict[str, Any]:
        healed: set[type[AccurateError]] = set()
        rate_limited = 0
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
            except RateLimited:
                rate_limited += 1
                if rate_limited > self._rate_limit_retries:
                    raise
                self._sleep(self._backoff(rate_limited))
            except SessionExpired:
                if SessionExpired in healed:
                    raise
                healed.add(SessionExpired)
                with self._session.lock:
                    self._refresh_session()
            except TokenExpired:
                if TokenExpired in healed:
                    raise
                healed.add(TokenExpired)
                self._auth.refresh()

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads the callers that were refused together.
        return random.uniform(0, self._backoff_base * 2 ** min(attempt, 5))

    def _send(
        self, method: str, url: str, params: Mapping[str, str] | None, body: object, headers: dict[str, str]
    ) -> requests.Response:
        data = None
        if body is not None:
            data = to_json(body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self._governor.slot():
                    response = self._http.request(
                        method,
                        url,
                        params=params,
                        data=data,
                        headers=headers,
                        timeout=self._timeout,
                        allow_redirects=False,
                    )
            except requests.RequestException as exc:
                raise Transient(f"{method} {urlsplit(url).path}: {type(exc).__name__}: {exc}") from exc
            if response.status_code != 308:
                return response
            # The database moved: same method, body and Authorization to the new place, and stay there.
            url = response.headers["Location"]
            moved = urlsplit(url)
            if "/accurate/api/" in moved.path:
                self._session.host = f"{moved.scheme}://{moved.netloc}"
        raise Transient(f"too many redirects for {urlsplit(url).path}")

    @staticmethod
    def _envelope(response: requests.Response, bulk: bool = False) -> dict[str, Any]:
        status = response.status_code
        if status == 403 and b"insufficient_scope" in response.content:
            text = response.text
            scope = text.split("<scope>", 1)[1].split("</scope>", 1)[0] if "<scope>" in text else ""
            raise InsufficientScope(scope)
        if status >= 500:
            raise Transient(f"HTTP {status}")
        try:
            body = from_json(response.content)
        except ValueError as exc:
            raise Transient(f"HTTP {status}: unreadable answer") from exc
        if not isinstance(body, dict):
            raise Transient(f"HTTP {status}: unexpected answer")
        if "error" in body and "s" not in body:
            raise classify([str(body["error"]), str(body.get("error_description", ""))])
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
        except AccurateError as error:
            raise _with_number(error, document) from None
        return _saved(body["r"])

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
                    results.append(BulkRowResult(index, document, saved=_saved(row["r"])))
                else:
                    messages = row.get("d", []) if isinstance(row, dict) else [str(row)]
                    error = _with_number(classify([str(m) for m in messages]), document)
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
            raise NotFound(f"{name} {id or number} not found")
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
            yield from body.get("d", [])
            paging = body.get("sp") or {}
            if page >= int(paging.get("pageCount", 1)):
                return
            page += 1

    def delete(self, module: str | type[AccurateDocument], id: int | None = None, number: str | None = None) -> None:
        """Delete a record by id or number: ``delete.do`` (HTTP DELETE)."""
        name, key_param = _module_of(module)
        if (id is None) == (number is None):
            raise ValueError("give exactly one of id or number")
        params = {"id": str(id)} if id is not None else {key_param: str(number)}
        self._data_call("DELETE", name, "delete", params)

    def get_balance(self, account_no: str, as_of: date | None = None) -> Decimal:
        """A GL account's balance (debit positive for debit-normal accounts): ``glaccount/get-balance.do``."""
        params = {"no": account_no}
        if as_of is not None:
            params["asOfDate"] = format_accurate_date(as_of)
        body = self._data_call("GET", "glaccount", "get-balance", params)
        data = body.get("d")
        value = data.get("balance") if isinstance(data, dict) else data
        return Decimal(str(value))

    def get_stock(self, item_no: str, warehouse_name: str | None = None) -> Decimal:
        """Available stock of an item, in one warehouse or all: ``item/get-stock.do``."""
        params = {"no": item_no}
        if warehouse_name is not None:
            params["warehouseName"] = warehouse_name
        body = self._data_call("GET", "item", "get-stock", params)
        return Decimal(str(body["d"]["availableStock"]))


def _with_number(error: AccurateError, document: AccurateDocument) -> AccurateError:
    """A duplicate answer names the number in prose; prefer the number the document carried."""
    if isinstance(error, DuplicateNumber) and document.key:
        return DuplicateNumber(document.key, error.messages)
    return error
