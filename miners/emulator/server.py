"""The emulator's HTTP server: parses requests, counts them, injects generic faults, dispatches.

    with Emulator("corpus/", faults="429:0.1,seed=7") as emu:
        base = emu.base_url                  # e.g. http://127.0.0.1:54321
        ... praw (oauth_url=reddit_url=short_url=base) / googleapiclient (api_endpoint=base) ...
        emu.counters.snapshot()              # {"calls": {...}, "quota": {...}, "faults": {...}}
        emu.faults.set("500x2")              # switch faults at run time; emu.faults.enabled = False

Dispatch by path: `/youtube/v3/...` -> `YouTubeAPI` (module `miners.emulator.youtube_api`), everything
else -> `RedditAPI` (module `miners.emulator.reddit_api`); both imported lazily, a missing module
answers 501. Contract: `API(corpus, counters, *, quota, search_cost_model, faults)` with
`.handle(EmuRequest) -> EmuResponse`, optionally `.endpoint(EmuRequest) -> str` (the counter key) and
`.fault_response(kind, EmuRequest) -> EmuResponse | None` (a source-specific body for a generic fault).

Counting: the SERVER counts every request, faulted or not, in `counters.calls[<endpoint key>]`
(e.g. "reddit:search", "youtube:search.list"); API modules count quota units (and nothing in `calls`).
Injected faults are counted in `counters.faults[<kind>]`.

Control endpoints (never faulted, not counted), for subprocess tests and the CLI:
`GET /_emulator/counters` (JSON snapshot), `POST /_emulator/faults` (form `spec=...`).
"""

from __future__ import annotations

import importlib
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from miners.emulator.corpus import Corpus
from miners.emulator.faults import FaultSpec
from miners.emulator.types import Counters, EmuRequest, EmuResponse

log = logging.getLogger(__name__)
_KEY_PARAM = re.compile(r"([?&]key=)[^&\s\"]+")  # API keys travel in YouTube URLs: never log them

#: (path prefix, module, class, attribute on Emulator); first match wins
APIS = (
    ("/youtube/v3/", "miners.emulator.youtube_api", "YouTubeAPI", "youtube"),
    ("/", "miners.emulator.reddit_api", "RedditAPI", "reddit"),
)


def whoa_there(retry_after: int) -> bytes:
    """Reddit's 429 'whoa there, pardner!' HTML page, as recorded (R:25)."""
    return (
        "<!doctype html>\n<html>\n  <head>\n    <title>Too Many Requests</title>\n  </head>\n  <body>\n"
        "    <h1>whoa there, pardner!</h1>\n\n<p>we're sorry, but you appear to be a bot and we've seen too "
        "many requests\nfrom you lately. we enforce a hard speed limit on requests that appear to come\n"
        "from bots to prevent abuse.</p>\n\n"
        f"<p>please wait {retry_after} second(s) and try again.</p>\n  </body>\n</html>\n"
    ).encode()


def generic_fault_response(kind: str, api_name: str, retry_after: int, n: int) -> EmuResponse:
    """The default response of a status fault (429/5xx), shaped like the recordings."""
    if kind == "429":
        headers = {"retry-after": str(retry_after)}
        if api_name == "youtube":
            error = {
                "code": 429,
                "message": "Resource has been exhausted (e.g. check quota).",
                "errors": [
                    {
                        "message": "Resource has been exhausted (e.g. check quota).",
                        "domain": "global",
                        "reason": "rateLimitExceeded",
                    }
                ],
                "status": "RESOURCE_EXHAUSTED",
            }
            return EmuResponse.json({"error": error}, status=429, headers=headers)
        if n % 2:  # alternate the two recorded variants
            return EmuResponse.json(
                {"message": "Too Many Requests", "error": 429}, status=429, headers=headers
            )
        return EmuResponse(
            429, whoa_there(retry_after), {"content-type": "text/html; charset=UTF-8", **headers}
        )
    return EmuResponse(int(kind), b"", {"content-type": "application/json; charset=UTF-8"})  # R:31, R:32


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Disable Nagle: headers and body go out as separate writes, and delayed ACKs would add 40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet; never log tokens)
        log.debug("emulator: %s", _KEY_PARAM.sub(r"\1<redacted>", format % args))

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _parse(self, method: str) -> EmuRequest:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        form: dict[str, list[str]] = {}
        if method == "POST" and "x-www-form-urlencoded" in (self.headers.get("content-type") or ""):
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qs(parts.query, keep_blank_values=True)
        return EmuRequest(method=method, path=parts.path, query=query, form=form, headers=headers, body=body)

    def _serve(self, method: str) -> None:
        try:
            req = self._parse(method)
            self.server.emulator.serve(req, self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send(self, resp: EmuResponse, *, declared_length: int | None = None) -> None:
        """Write `resp`; `declared_length` larger than the body makes a cut-off response."""
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header(
            "content-length", str(declared_length if declared_length is not None else len(resp.body))
        )
        closing = declared_length is not None or (self.headers.get("connection") or "").lower() == "close"
        if closing:  # say so, or the client pools the connection and its next request hits a closed socket
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(resp.body)
        self.wfile.flush()
        self.close_connection = closing or self.close_connection


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    emulator: Emulator


class Emulator:
    """The local Reddit + YouTube API emulator (see the module docstring)."""

    def __init__(
        self,
        corpus_dir: str | Path,
        *,
        faults: str | FaultSpec | None = None,
        quota: int | None = None,
        search_cost_model: str = "legacy",
        port: int = 0,
        host: str = "127.0.0.1",
        reddit_window_s: float = 600.0,
    ) -> None:
        self.corpus = Corpus(corpus_dir)
        self.counters = Counters()
        self.faults = FaultSpec.parse(faults)
        self.quota = quota
        self.search_cost_model = search_cost_model
        self.reddit_window_s = reddit_window_s  # Reddit's rate-limit window (600 s real; short = no pacing)
        self.host, self.port = host, port
        self._apis: dict[str, Any] = {}
        self._api_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._fault_seq = 0

    # ---- lifecycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server."""
        if self._httpd is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving in a daemon thread; returns the base URL."""
        if self._httpd is None:
            self._httpd = _Server((self.host, self.port), _Handler)
            self._httpd.emulator = self
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="ugcminer-emulator", daemon=True
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- API modules ----------------------------------------------------------------------------
    def api(self, name: str) -> Any | None:
        """The API object `name` ("reddit" or "youtube"), created on first use; None if not built."""
        with self._api_lock:
            if name not in self._apis:
                _, module_name, class_name, _ = next(a for a in APIS if a[3] == name)
                try:
                    cls = getattr(importlib.import_module(module_name), class_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    return None
                self._apis[name] = cls(
                    self.corpus,
                    self.counters,
                    quota=self.quota,
                    search_cost_model=self.search_cost_model,
                    faults=self.faults,
                )
                rate = getattr(self._apis[name], "rate", None)
                if name == "reddit" and rate is not None:
                    rate.seconds = self.reddit_window_s
            return self._apis[name]

    @property
    def reddit(self) -> Any:
        """The RedditAPI object."""
        return self.api("reddit")

    @property
    def youtube(self) -> Any:
        """The YouTubeAPI object."""
        return self.api("youtube")

    # ---- serving --------------------------------------------------------------------------------
    def serve(self, req: EmuRequest, handler: _Handler) -> None:
        """Count, maybe fault, dispatch and answer one request."""
        if req.path.startswith("/_emulator/"):
            handler.send(self._control(req))
            return
        name = next(a[3] for a in APIS if req.path.startswith(a[0]))
        api = self.api(name)
        key = endpoint_key(name, api, req)
        self.counters.add_call(key)
        fault = self.faults.pick_generic(key)
        if fault:
            self.counters.add_fault(fault)
        if fault and fault not in ("timeout", "cut", "malformed"):
            handler.send(self._status_fault(fault, name, api, req))
            return
        resp = self._dispatch(api, name, req)
        self._answer(handler, resp, fault)

    def _dispatch(self, api: Any, name: str, req: EmuRequest) -> EmuResponse:
        if api is None:
            return EmuResponse.json(
                {"error": 501, "message": f"the {name} emulator is not built yet"}, status=501
            )
        try:
            return api.handle(req)
        except Exception as exc:  # noqa: BLE001  (a bug in an API module must not kill the server thread)
            log.exception("emulator %s API failed on %s", name, req.path)
            return EmuResponse.json(
                {"error": 500, "message": f"emulator error: {type(exc).__name__}"}, status=500
            )

    def _status_fault(self, kind: str, name: str, api: Any, req: EmuRequest) -> EmuResponse:
        custom = getattr(api, "fault_response", None)
        resp = custom(kind, req) if custom else None
        if resp is None:
            self._fault_seq += 1
            resp = generic_fault_response(kind, name, self.faults.retry_after, self._fault_seq)
        return resp

    def _answer(self, handler: _Handler, resp: EmuResponse, fault: str | None) -> None:
        if fault == "timeout":
            threading.Event().wait(self.faults.delay_s)  # the client has given up by now (not time.sleep:
            # tests patch that)
            handler.send(resp)
        elif fault == "cut":
            full = len(resp.body) or 64
            handler.send(
                EmuResponse(resp.status, resp.body[: full // 2], resp.headers), declared_length=full + 256
            )
        elif fault == "malformed":
            broken = (
                resp.body[: max(1, len(resp.body) // 2)] if len(resp.body) > 2 else b'{"kind": "Listing", "da'
            )
            handler.send(
                EmuResponse(200, broken, {**resp.headers, "content-type": "application/json; charset=UTF-8"})
            )
        else:
            handler.send(resp)

    def _control(self, req: EmuRequest) -> EmuResponse:
        if req.path == "/_emulator/counters":
            return EmuResponse.json(self.counters.snapshot())
        if req.path == "/_emulator/faults" and req.method == "POST":
            self.faults.set(req.arg("spec") or "")
            return EmuResponse.json({"ok": True})
        return EmuResponse.json({"error": 404}, status=404)


def endpoint_key(name: str, api: Any, req: EmuRequest) -> str:
    """The counter key of a request: the API's own `endpoint()` or `<api>:<last path segment>`."""
    own = getattr(api, "endpoint", None)
    if own is not None:
        return str(own(req))
    segment = [p for p in req.path.split("/") if p][-1:] or ["root"]
    if name == "youtube":
        return (
            f"youtube:{segment[0]}.list"
            if req.method == "GET"
            else f"youtube:{segment[0]}.{req.method.lower()}"
        )
    return f"{name}:{segment[0]}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def install_stop_handlers() -> None:
    """Make Ctrl-C and SIGTERM raise KeyboardInterrupt in the main thread.

    Explicit because a process started with SIGINT ignored (a background job of a non-interactive
    shell, or the child of a process that ignores it) inherits that and would never stop on Ctrl-C.
    """
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)


def serve_forever(emulator: Emulator, *, poll_s: float = 0.5) -> None:
    """Block until Ctrl-C or SIGTERM (for the CLI), then stop the emulator."""
    install_stop_handlers()
    emulator.start()
    try:
        while True:
            time.sleep(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
