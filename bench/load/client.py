"""A salesperson's web session: JSON-RPC over HTTP, as the web client talks to Odoo.

Logs in with ``/web/session/authenticate`` (a session cookie, like the browser), then
calls ``/web/dataset/call_kw``. Every call is timed and its outcome classified:
``ok``, a by-design refusal (``UserError``/``ValidationError``/``RedirectWarning``
raised by the stage gate or an input check), or an error kind that fails the run
(server exception class, HTTP status, connection reset...).
"""

import http.cookiejar
import itertools
import json
import time
import urllib.error
import urllib.request

# exception classes the addon raises by design (gate refusals, bad input)
BY_DESIGN = {
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.RedirectWarning",
}
TIMEOUT_S = 120


class RpcError(Exception):
    """A JSON-RPC call that did not succeed; ``kind`` classifies it."""

    def __init__(self, kind, message, by_design=False, full=None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.full = full or message
        self.by_design = by_design


def short_reason(message):
    """First line of an error message without record-specific details (ids, names)."""
    line = (message or "").strip().splitlines()[0] if message else ""
    for sep in ("“", '"', ":"):
        if sep in line:
            line = line.split(sep)[0]
    return line.strip()[:60]


class Session:
    _ids = itertools.count(1)

    def __init__(self, base_url, db, login, password):
        self.base_url = base_url.rstrip("/")
        self.db = db
        self.login = login
        self.password = password
        self.uid = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _post(self, path, params):
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params}
        ).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RpcError(f"HTTP {exc.code}", exc.reason) from None
        except (TimeoutError, ConnectionError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RpcError("connection", f"{type(reason).__name__}: {reason}") from None
        except ValueError as exc:
            raise RpcError("bad response", str(exc)) from None
        error = payload.get("error")
        if error:
            data = error.get("data") or {}
            name = data.get("name") or error.get("message") or "?"
            message = data.get("message") or error.get("message") or ""
            raise RpcError(name, short_reason(message), by_design=name in BY_DESIGN, full=message)
        return payload.get("result")

    def authenticate(self):
        result = self._post(
            "/web/session/authenticate",
            {"db": self.db, "login": self.login, "password": self.password},
        )
        self.uid = result["uid"]
        self.partner_id = result.get("partner_id")
        return self.uid

    def call(self, model, method, args=(), kwargs=None):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs or {}},
        )


class Recorder:
    """Latencies and outcomes of one client's operations (merged by the runner)."""

    def __init__(self):
        self.samples = []  # (operation, seconds, outcome)  outcome: "ok" | error kind
        self.by_design = []  # (operation, error kind, reason)
        self.errors = []  # (operation, error kind, reason)

    def timed(self, op, func, *args, **kwargs):
        """Run ``func``; returns ``(True, result)``, or ``(False, None)`` when it raised
        an RpcError (recorded)."""
        start = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except RpcError as exc:
            elapsed = time.perf_counter() - start
            self.samples.append((op, elapsed, "refused" if exc.by_design else "error"))
            target = self.by_design if exc.by_design else self.errors
            target.append((op, exc.kind, exc.message))
            return False, None
        self.samples.append((op, time.perf_counter() - start, "ok"))
        return True, result
