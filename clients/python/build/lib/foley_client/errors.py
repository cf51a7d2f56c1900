"""Typed exceptions: one class per error code of the Foley API.

Every error body is ``{"code", "message", "request_id"}``; the class is chosen by ``code`` so
callers can write ``except foley_client.RateLimited`` instead of comparing strings.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Type


class FoleyError(Exception):
    """Base of every error this package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FoleyConnectionError(FoleyError):
    """The server could not be reached (refused, reset, timed out) within the deadline."""


class APIError(FoleyError):
    """The server answered with an error status. Subclasses name the error code."""

    #: The error code this class stands for (``None`` on the generic class).
    CODE: Optional[str] = None

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.headers: Dict[str, str] = dict(headers or {})

    @property
    def retry_after(self) -> Optional[float]:
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        return parse_retry_after(header(self.headers, "Retry-After"))

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message} (request_id={self.request_id})"


class BadRequest(APIError):
    CODE = "BAD_REQUEST"


class Unauthorized(APIError):
    CODE = "UNAUTHORIZED"


class NotFound(APIError):
    CODE = "NOT_FOUND"


class MethodNotAllowed(APIError):
    CODE = "METHOD_NOT_ALLOWED"


class PayloadTooLarge(APIError):
    CODE = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(APIError):
    CODE = "UNSUPPORTED_MEDIA_TYPE"


class ValidationError(APIError):
    CODE = "VALIDATION_ERROR"


class RateLimited(APIError):
    CODE = "RATE_LIMITED"


class QueueFull(APIError):
    CODE = "QUEUE_FULL"


class InternalError(APIError):
    CODE = "INTERNAL"


class ServiceUnavailable(APIError):
    """A 503 other than QUEUE_FULL (for example /readyz before a model is loaded)."""


ERROR_CLASSES: Dict[str, Type[APIError]] = {
    cls.CODE: cls
    for cls in (
        BadRequest,
        Unauthorized,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationError,
        RateLimited,
        QueueFull,
        InternalError,
    )
    if cls.CODE is not None
}

# When a body is missing or unreadable (a proxy's HTML page), the status still says enough.
_CLASS_BY_STATUS: Dict[int, Type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited,
    500: InternalError,
    503: ServiceUnavailable,
}


def header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """Case-insensitive header lookup on a plain mapping."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Retry-After in seconds; the API sends whole seconds (HTTP dates are not used)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(
    status: int, code: Optional[str], message: Optional[str], request_id: Optional[str],
    headers: Mapping[str, str],
) -> APIError:
    """Builds the exception for one error response."""
    cls = ERROR_CLASSES.get(code or "") or _CLASS_BY_STATUS.get(status, APIError)
    return cls(
        status=status,
        code=code or "UNKNOWN",
        message=message or f"HTTP {status} with no error body",
        request_id=request_id or header(headers, "X-Request-Id") or "",
        headers=headers,
    )
