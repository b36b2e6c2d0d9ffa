"""The YouTube Data API's error answers, as data: each reason's status, domain and message.

Bodies follow the recordings: the classic envelope `{"error": {"code", "message", "errors": [...]}}`
(Y13, Y15, Y16), newer ones adding `"status"` (Y14); Google's JSON style comes from `google_json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from miners.emulator.types import EmuResponse
from miners.emulator.youtube_resources import google_json

_QUOTA_MSG = (
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">'
    "quota</a>."
)
_DISABLED_MSG = (
    'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId</a></code> '
    "parameter has disabled comments."
)
_NOT_FOUND_MSG = (
    'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId</a></code> '
    "parameter could not be found."
)


@dataclass(frozen=True)
class ErrorKind:
    """One API error: status, domain, the top-level message, and whether it names a parameter."""

    status: int
    domain: str
    message: str
    located: bool = True
    status_name: str | None = None  # newer bodies add "status" (Y14)


#: reason -> how the API answers it (bodies as Y13, Y15, Y16; `{}` fields filled per request)
ERRORS: dict[str, ErrorKind] = {
    "keyInvalid": ErrorKind(400, "usageLimits", "Bad Request", located=False),
    "quotaExceeded": ErrorKind(403, "youtube.quota", _QUOTA_MSG, located=False),
    "commentsDisabled": ErrorKind(403, "youtube.commentThread", _DISABLED_MSG),
    "videoNotFound": ErrorKind(404, "youtube.commentThread", _NOT_FOUND_MSG),
    "required": ErrorKind(400, "global", "Required parameter: {param}"),
    "unknownPart": ErrorKind(400, "youtube.part", "'{value}'"),
    "invalidValue": ErrorKind(
        400, "global", "Invalid value '{value}'. Values must be within the range: {range}"
    ),
    "invalidPageToken": ErrorKind(400, "youtube.parameter", "The request specifies an invalid page token."),
    "invalidParameter": ErrorKind(400, "youtube.parameter", "Invalid value '{value}' for parameter {param}."),
    "notFound": ErrorKind(404, "global", "Not Found", located=False),
    "backendError": ErrorKind(
        500, "global", "Internal error encountered.", located=False, status_name="INTERNAL"
    ),
    "serviceUnavailable": ErrorKind(
        503, "global", "The service is currently unavailable.", located=False, status_name="UNAVAILABLE"
    ),
}

#: generic status faults answered with a YouTube-shaped body (429 keeps the server's own)
FAULT_REASONS = {"500": "backendError", "502": "backendError", "503": "serviceUnavailable"}


class ApiError(Exception):
    """Raised inside a handler: answered with the error envelope for `reason`."""

    def __init__(self, reason: str, param: str | None = None, **fmt: Any) -> None:
        super().__init__(reason)
        self.reason, self.param, self.fmt = reason, param, fmt


def error_response(reason: str, param: str | None = None, **fmt: Any) -> EmuResponse:
    """The `{"error": {...}}` envelope of `reason` (Google's classic layout)."""
    kind = ERRORS[reason]
    message = kind.message.format(**{"param": param, **fmt})
    item: dict[str, Any] = {"message": message, "domain": kind.domain, "reason": reason}
    if kind.located and param:
        item.update({"location": param, "locationType": "parameter"})
    if reason == "keyInvalid":
        item = {"domain": kind.domain, "reason": reason, "message": message}  # Y13's key order
        body: dict[str, Any] = {"errors": [item], "code": kind.status, "message": message}
    else:
        body = {"code": kind.status, "message": message, "errors": [item]}
    if kind.status_name:
        body["status"] = kind.status_name
    return EmuResponse(
        kind.status, google_json({"error": body}), {"content-type": "application/json; charset=UTF-8"}
    )
