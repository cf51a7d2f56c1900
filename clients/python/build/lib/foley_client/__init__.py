"""Python client for the Foley text-to-sound-effects API (standard library only).

    from foley_client import Client
    client = Client()  # FOLEY_API_KEY, FOLEY_BASE_URL
    wav = client.generate("heavy wooden door creaks open, then slams", seed=42)
"""

__version__ = "0.1.0"

from .client import Client, Clip, Model, Response, wrap_int32  # noqa: E402
from .errors import (  # noqa: E402
    APIError,
    BadRequest,
    FoleyConnectionError,
    FoleyError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    QueueFull,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
)
from .retry import RetryPolicy  # noqa: E402

__all__ = [
    "APIError", "BadRequest", "Client", "Clip", "FoleyConnectionError", "FoleyError",
    "InternalError", "MethodNotAllowed", "Model", "NotFound", "PayloadTooLarge", "QueueFull",
    "RateLimited", "Response", "RetryPolicy", "ServiceUnavailable", "Unauthorized",
    "UnsupportedMediaType", "ValidationError", "wrap_int32", "__version__",
]
