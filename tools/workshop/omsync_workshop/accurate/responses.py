"""HTTP of the Accurate sandbox: routes, credentials, sessions, rate limits, faults and envelopes.

Turns a request into calls on `omsync_workshop.accurate.models.Company` and the answer into Accurate's
envelope ``{s, d, r, sp}``. The account host (``/oauth/*``, ``/api/*.do``) and the data host
(``/accurate/api/<module>/<action>.do``) are served by the same server; ``/sandbox/*`` are the sandbox's
own reads for tests and the demo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from omsync.accurate.documents import from_json, to_json
from omsync_workshop.accurate.models import Company, Refused, parse_date

RATE_LIMIT_TEXT = (
    "Jumlah request API melebihi toleransi yang diperbolehkan. Batas maksimum yang diperbolehkan yaitu "
    "8 proses paralel per Token dan 8 request/detik."
)
SESSION_TEXT = "Data Session Key tidak tepat"
MAX_PER_SECOND = 8
MAX_IN_FLIGHT = 8
TIMESTAMP_TOLERANCE_SECONDS = 600
ACCESS_TOKEN_SECONDS = 15 * 24 * 3600
WIB = timezone(timedelta(hours=7))


@dataclass
class Faults:
    """Faults of one run, deterministic under the sandbox's seed."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_after_commit_rate: float = 0.0
    session_expiry_seconds: float | None = None
    enforce_rate_limit: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Faults:
        """Read a faults file (JSON object with these field names)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Answer:
    """What to send back; ``drop`` closes the connection without any answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def envelope(ok: bool, d: object, status: int = 200, **extra: object) -> Answer:
    """Accurate's JSON envelope."""
    return Answer(status, to_json({"s": ok, "d": d, **extra}).encode())


class Violations:
    """Rule violations by clients: requests beyond 8/s and beyond 8 in flight per token."""

    def __init__(self) -> None:
        self.rate = 0
        self.parallel = 0


class RateLimiter:
    """Sliding one-second window and in-flight count per token, as Accurate counts them."""

    def __init__(self, faults: Faults, violations: Violations) -> None:
        self._faults = faults
        self._violations = violations
        self._lock = threading.Lock()
        self._starts: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    def enter(self, token: str, arrived: float) -> bool:
        """Admit a request that arrived at ``arrived`` (monotonic) or refuse it as rate-limited (False)."""
        now = arrived
        with self._lock:
            starts = self._starts[token]
            while starts and starts[0] <= now - 1.0:
                starts.popleft()
            # Arrivals are stamped before the lock, so they can reach here slightly out of order.
            starts_in_window = sum(1 for start in starts if start > now - 1.0)
            violated = False
            if starts_in_window >= MAX_PER_SECOND:
                self._violations.rate += 1
                violated = True
            if self._in_flight[token] >= MAX_IN_FLIGHT:
                self._violations.parallel += 1
                violated = True
            if violated and self._faults.enforce_rate_limit:
                return False
            starts.append(now)
            self._in_flight[token] += 1
            return True

    def leave(self, token: str) -> None:
        with self._lock:
            self._in_flight[token] -= 1


class AccurateResponses:
    """The contract: who may call, what they get back, and which faults strike."""

    def __init__(
        self,
        company: Company,
        faults: Faults,
        seed: int,
        api_token: str | None,
        signature_secret: str | None,
        client_id: str | None,
        client_secret: str | None,
    ) -> None:
        self.company = company
        self.faults = faults
        self.api_token = api_token
        self.signature_secret = signature_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = ""
        self.data_host = ""
        self.violations = Violations()
        self.limiter = RateLimiter(faults, self.violations)
        self.request_count = 0
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._codes: dict[str, str] = {}
        self._access: dict[str, float] = {}
        self._refresh: set[str] = set()
        self._sessions: dict[str, float] = {}
        self.issued: list[str] = []
        """Every OAuth access and refresh token handed out (secrets a log line must never carry)."""

    # --- test controls --------------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Every open database session becomes invalid ("Data Session Key tidak tepat")."""
        with self._lock:
            self._sessions.clear()

    def expire_access_tokens(self) -> None:
        """Every OAuth access token becomes invalid (``invalid_token``); refresh tokens stay valid."""
        with self._lock:
            self._access.clear()

    def _chance(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._random.random() < rate

    # --- dispatch -------------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        arrived: float | None = None,
    ) -> Answer:
        """Answer one HTTP request that arrived at ``arrived`` (monotonic; now if not given)."""
        arrived = time.monotonic() if arrived is None else arrived
        with self._lock:
            self.request_count += 1
        try:
            if path == "/oauth/authorize":
                return self._authorize(query)
            if path == "/oauth/token":
                return self._token(headers, body)
            if path.startswith("/sandbox/"):
                return self._sandbox(path, query)
            if path.startswith("/api/"):
                return self._guarded(headers, arrived, lambda: self._account(path, query, headers))
            if path.startswith("/accurate/api/"):
                host = headers.get("Host", "")
                if self.data_host and host != urlsplit(self.data_host).netloc:
                    target = self.data_host + path + ("?" + urlencode(query) if query else "")
                    return Answer(308, b"", headers={"Location": target})
                return self._guarded(
                    headers, arrived, lambda: self._data(method, path, query, headers, body), data=True
                )
            return envelope(False, [f"Path {path} tidak dikenal"], 404)
        except Refused as refused:
            return envelope(False, refused.messages, refused.status)

    # --- credentials ----------------------------------------------------------------------------------

    def _authorize(self, query: Mapping[str, str]) -> Answer:
        if self.client_id is None or query.get("client_id") != self.client_id:
            return envelope(False, ["client_id tidak dikenal"], 400)
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = query.get("redirect_uri", "")
        params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return Answer(302, b"", headers={"Location": f"{query.get('redirect_uri', '')}?{urlencode(params)}"})

    def _token(self, headers: Mapping[str, str], body: bytes) -> Answer:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if self.client_id is None or headers.get("Authorization", "") != f"Basic {expected}":
            return Answer(401, to_json({"error": "invalid_client"}).encode())
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                redirect = self._codes.pop(form.get("code", ""), None)
                if redirect is None or redirect != form.get("redirect_uri", ""):
                    return Answer(400, to_json({"error": "invalid_grant"}).encode())
            elif form.get("grant_type") == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in self._refresh:
                    return Answer(400, to_json({"error": "invalid_grant"}).encode())
                self._refresh.discard(old)  # a refresh token works once: the new one replaces it
            else:
                return Answer(400, to_json({"error": "unsupported_grant_type"}).encode())
            access, refresh = secrets.token_hex(16), secrets.token_hex(16)
            self._access[access] = time.time() + ACCESS_TOKEN_SECONDS
            self._refresh.add(refresh)
            self.issued += [access, refresh]
        answer = {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": "sandbox",
            "user": {"id": 1, "email": "pemilik@contoh.co.id", "name": "Pemilik Toko"},
        }
        return Answer(200, to_json(answer).encode())

    def _identify(self, headers: Mapping[str, str]) -> tuple[str, bool] | Answer:
        """(token, is_oauth) of the caller, or the refusal to send."""
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return Answer(401, to_json({"s": False, "message": "Unauthorized"}).encode())
        token = authorization[len("Bearer ") :]
        if self.api_token is not None and token == self.api_token:
            problem = self._check_signature(headers)
            if problem:
                return Answer(401, to_json({"s": False, "message": problem}).encode())
            return token, False
        with self._lock:
            expires = self._access.get(token)
        if expires is None or expires < time.time():
            body = {"error": "invalid_token", "error_description": "Invalid access token"}
            return Answer(401, to_json(body).encode())
        return token, True

    def _check_signature(self, headers: Mapping[str, str]) -> str | None:
        timestamp = headers.get("X-Api-Timestamp")
        signature = headers.get("X-Api-Signature")
        if not timestamp:
            return "Header X-Api-Timestamp is required"
        if not signature:
            return "Header X-Api-Signature is required"
        moment = _parse_timestamp(timestamp)
        if moment is None:
            return "Header X-Api-Timestamp invalid"
        if abs(time.time() - moment) > TIMESTAMP_TOLERANCE_SECONDS:
            return "Header X-Api Timestamp difference more than 600 seconds"
        digest = hmac.new(str(self.signature_secret).encode(), timestamp.encode(), hashlib.sha256).digest()
        # Official examples send lowercase hex, some clients Base64: both are accepted.
        if not (
            hmac.compare_digest(signature, digest.hex())
            or hmac.compare_digest(signature, base64.b64encode(digest).decode())
        ):
            return "Header X-Api-Signature invalid"
        return None

    def _guarded(self, headers: Mapping[str, str], arrived: float, work: Any, data: bool = False) -> Answer:
        identity = self._identify(headers)
        if isinstance(identity, Answer):
            return identity
        token, is_oauth = identity
        if data and is_oauth:
            session = headers.get("X-Session-ID", "")
            with self._lock:
                opened = self._sessions.get(session)
            expiry = self.faults.session_expiry_seconds
            if opened is None or (expiry is not None and time.monotonic() - opened > expiry):
                return envelope(False, [SESSION_TEXT], 401)
        if not self.limiter.enter(token, arrived):
            return envelope(False, [RATE_LIMIT_TEXT], 400)
        try:
            if self.faults.latency_ms:
                time.sleep(self.faults.latency_ms / 1000)
            answer: Answer = work()
            return answer
        except Refused as refused:
            return envelope(False, refused.messages, refused.status)
        finally:
            self.limiter.leave(token)

    # --- account host ---------------------------------------------------------------------------------

    def _account(self, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        company = self.company
        database = {"id": company.database_id, "alias": company.database_alias, "trial": False, "expired": False}
        if path == "/api/db-list.do":
            return envelope(True, [database])
        if path == "/api/open-db.do":
            if query.get("id") != str(company.database_id):
                return envelope(False, ["Data Usaha tidak ditemukan"])
            session = self._new_session()
            return envelope(True, ["Proses Berhasil Dilakukan"], session=session, host=self.data_host, admin=True)
        if path == "/api/db-refresh-session.do":
            if query.get("id") != str(company.database_id):
                return envelope(False, ["Data Usaha tidak ditemukan"])
            return envelope(True, {"session": self._new_session(), "host": self.data_host})
        if path == "/api/db-check-session.do":
            with self._lock:
                return envelope(True, query.get("session", "") in self._sessions)
        if path == "/api/api-token.do":
            return envelope(True, {"database": {**database, "host": self.data_host}, "tokenType": "api"})
        return envelope(False, [f"Path {path} tidak dikenal"], 404)

    def _new_session(self) -> str:
        session = secrets.token_hex(16)
        with self._lock:
            self._sessions[session] = time.monotonic()
        return session

    # --- data host ------------------------------------------------------------------------------------

    def _data(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Answer:
        parts = path[len("/accurate/api/") :].removesuffix(".do").split("/")
        if len(parts) != 2:
            return envelope(False, [f"Path {path} tidak dikenal"], 404)
        module, action = parts
        if self._chance(self.faults.error_rate):
            return Answer(500, b"<html><body>500 Internal Server Error</body></html>", "text/html")
        company = self.company
        if action in ("save", "bulk-save"):
            if method != "POST":
                return envelope(False, ["Method tidak didukung"], 405)
            payload = from_json(body or b"{}")
            if not isinstance(payload, dict):
                return envelope(False, ["Format data tidak valid"])
            if action == "save":
                record = company.save(module, payload)
                answer = envelope(True, [company.saved_message(module, record)], r=record)
            else:
                rows = payload.get("data") or []
                results = company.bulk_save(module, rows)
                answer = envelope(
                    all(ok for ok, _, _ in results),
                    [{"s": ok, "d": messages, **({"r": record} if ok else {})} for ok, messages, record in results],
                )
            if self._chance(self.faults.timeout_after_commit_rate):
                return Answer(drop=True)
            return answer
        if action == "delete":
            if method != "DELETE":
                return envelope(False, ["Method tidak didukung"], 405)
            ident, key = _identity(query)
            posted = company.delete(module, ident, key)
            return envelope(True, [f"{posted.key} berhasil dihapus"])
        if action == "detail":
            ident, key = _identity(query)
            return envelope(True, company.public(company.find(module, ident, key)))
        if action == "list":
            return self._list(module, query)
        if module == "glaccount" and action == "get-balance":
            as_of = parse_date(query["asOfDate"], "asOfDate") if query.get("asOfDate") else None
            account_no = query.get("no", "")
            return envelope(True, {"no": account_no, "balance": company.balance(account_no, as_of)})
        if module == "item" and action == "list-stock":
            rows = self.company.stock_rows(query.get("warehouseName") or None)
            page, size = int(query.get("sp.page", "1")), int(query.get("sp.pageSize", "20"))
            pages = max(1, -(-len(rows) // size))
            return envelope(
                True,
                rows[(page - 1) * size : page * size],
                sp={"page": page, "pageSize": size, "pageCount": pages, "rowCount": len(rows)},
            )
        if module == "item" and action == "get-stock":
            quantity = company.item_stock(query.get("no", ""), query.get("warehouseName"))
            return envelope(True, {"availableStock": quantity})
        return envelope(False, [f"Modul {module}/{action} tidak didukung"], 404)

    def _list(self, module: str, query: Mapping[str, str]) -> Answer:
        fields = [f for f in query.get("fields", "id").split(",") if f]
        page = int(query.get("sp.page", "1"))
        size = int(query.get("sp.pageSize", "20"))
        filters: dict[str, tuple[str, list[str]]] = {}
        for name, value in query.items():
            if not name.startswith("filter."):
                continue
            field_name, _, rest = name[len("filter.") :].partition(".")
            op, values = filters.get(field_name, ("EQUAL", []))
            if rest == "op":
                op = value
            elif rest.startswith("val") or rest == "":
                values = [*values, value]
            filters[field_name] = (op, values)
        rows, pages, count = self.company.list_records(module, filters, fields, page, size)
        return envelope(True, rows, sp={"page": page, "pageSize": size, "pageCount": pages, "rowCount": count})

    # --- sandbox-only reads ---------------------------------------------------------------------------

    def _sandbox(self, path: str, query: Mapping[str, str]) -> Answer:
        if path == "/sandbox/trial-balance":
            rows = self.company.trial_balance()
            total_debit = sum((Decimal(r["debit"]) for r in rows), Decimal(0))
            total_credit = sum((Decimal(r["credit"]) for r in rows), Decimal(0))
            return envelope(True, rows, totalDebit=total_debit, totalCredit=total_credit)
        if path == "/sandbox/journal":
            return envelope(True, self.company.journal(query.get("number")))
        if path == "/sandbox/violations":
            return envelope(True, {"rate": self.violations.rate, "parallel": self.violations.parallel})
        return envelope(False, [f"Path {path} tidak dikenal"], 404)


def _identity(query: Mapping[str, str]) -> tuple[int | None, str | None]:
    if query.get("id"):
        return int(query["id"]), None
    for name in ("number", "no", "customerNo", "vendorNo"):
        if query.get(name):
            return None, query[name]
    raise Refused('"id" harus diisi')


def _parse_timestamp(text: str) -> float | None:
    """Epoch seconds or millis, ``dd/MM/yyyy HH:mm:ss`` (WIB) or ISO 8601 (local WIB if no offset)."""
    if text.isdigit():
        value = int(text)
        return value / 1000 if value > 10**11 else float(value)
    for candidate, pattern in ((text, "%d/%m/%Y %H:%M:%S"), (text.replace("Z", "+00:00"), None)):
        try:
            moment = datetime.fromisoformat(candidate) if pattern is None else datetime.strptime(candidate, pattern)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=WIB)
        return moment.timestamp()
    return None
