"""The Foley API client: standard library only (urllib, json, concurrent.futures)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, Union, overload

from . import __version__
from .errors import APIError, FoleyConnectionError, error_from_response, header
from .retry import RateGate, RetryPolicy, parse_rate_limit

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
GENERATE_PATH = "/v1/audio/sound_effect_generate"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

AudioFormat = Literal["wav", "flac"]


@dataclass(frozen=True)
class Clip:
    """One generated audio file and the seed that reproduces it alone with n = 1."""

    seed: int
    audio: bytes
    format: str
    request_id: str = ""


def _empty_dict() -> Dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Model:
    id: str
    sample_rate: int
    channels: int
    max_duration: float
    default_steps: int
    raw: Dict[str, Any] = field(default_factory=_empty_dict, compare=False, repr=False)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        value = header(self.headers, "Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)


def wrap_int32(value: int) -> int:
    """Seeds of variants wrap in int32, as the server's do (seed + i)."""
    return (value - INT32_MIN) % 2**32 + INT32_MIN


class Client:
    """A client for one API key.

    ``api_key`` and ``base_url`` default to the ``FOLEY_API_KEY`` and ``FOLEY_BASE_URL``
    environment variables. Instances are thread-safe; share one per key so parallel calls
    share what the server says about the rate limit.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        retry: Optional[RetryPolicy] = None,
        user_agent: str = f"foley-client-python/{__version__}",
    ) -> None:
        self.api_key = api_key if api_key is not None else os.environ.get("FOLEY_API_KEY", "")
        self.base_url = (base_url or os.environ.get("FOLEY_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent
        self._gate = RateGate()

    # ------------------------------------------------------------------ generation

    @overload
    def generate(
        self, prompt: str, *, cfg: Optional[float] = ..., seed: Optional[int] = ...,
        n: Optional[Literal[1]] = ..., duration: Optional[float] = ...,
        negative_prompt: Optional[str] = ..., steps: Optional[int] = ...,
        format: Optional[AudioFormat] = ..., model: Optional[str] = ...,
    ) -> bytes: ...

    @overload
    def generate(
        self, prompt: str, *, cfg: Optional[float] = ..., seed: Optional[int] = ...,
        n: int, duration: Optional[float] = ...,
        negative_prompt: Optional[str] = ..., steps: Optional[int] = ...,
        format: Optional[AudioFormat] = ..., model: Optional[str] = ...,
    ) -> Union[bytes, List[Clip]]: ...

    def generate(
        self, prompt: str, *, cfg: Optional[float] = None, seed: Optional[int] = None,
        n: Optional[int] = None, duration: Optional[float] = None,
        negative_prompt: Optional[str] = None, steps: Optional[int] = None,
        format: Optional[AudioFormat] = None, model: Optional[str] = None,
    ) -> Union[bytes, List[Clip]]:
        """Generates audio. n = 1 (default): the audio file's bytes (WAV unless
        ``format="flac"``). n >= 2: a list of :class:`Clip` with their seeds."""
        clips = self.generate_clips(
            prompt, cfg=cfg, seed=seed, n=n, duration=duration,
            negative_prompt=negative_prompt, steps=steps, format=format, model=model)
        if n is None or n == 1:
            return clips[0].audio
        return clips

    def generate_clips(
        self, prompt: str, *, cfg: Optional[float] = None, seed: Optional[int] = None,
        n: Optional[int] = None, duration: Optional[float] = None,
        negative_prompt: Optional[str] = None, steps: Optional[int] = None,
        format: Optional[AudioFormat] = None, model: Optional[str] = None,
    ) -> List[Clip]:
        """Like :meth:`generate` but always a list of clips, each with its seed
        (for n = 1 the seed comes from the ``X-Seed`` header, so random seeds are known)."""
        args: Dict[str, Any] = {"prompt": prompt}
        for name, value in (("cfg", cfg), ("seed", seed), ("n", n), ("duration", duration),
                            ("negative_prompt", negative_prompt), ("steps", steps),
                            ("format", format)):
            if value is not None:
                args[name] = value
        body: Dict[str, Any] = {"args": args}
        if model is not None:
            body["model"] = model
        response = self.request("POST", GENERATE_PATH, json_body=body)
        request_id = header(response.headers, "X-Request-Id") or ""
        if response.content_type == "application/json":
            data = response.json()
            return [
                Clip(seed=int(s), audio=base64.b64decode(a), format=str(data.get("format", "wav")),
                     request_id=request_id)
                for s, a in zip(data["seeds"], data["audios"])
            ]
        seed_header = header(response.headers, "X-Seed")
        first_seed = int(seed_header) if seed_header is not None else (seed if seed is not None else 0)
        audio_format = "flac" if response.content_type == "audio/flac" else "wav"
        return [Clip(seed=first_seed, audio=response.body, format=audio_format, request_id=request_id)]

    def generate_variants(
        self, prompt: str, count: int, concurrency: int = 4, *, seed: Optional[int] = None,
        per_request: int = 1, **params: Any,
    ) -> List[Clip]:
        """``count`` variants with seeds seed, seed+1, ... (random first seed if omitted),
        generated by up to ``concurrency`` parallel requests of ``per_request`` clips each.

        Requests that hit the rate limit wait for the window to reset (the client shares
        the server's ``Retry-After``/``RateLimit`` across threads) and are retried, so a
        burst larger than the quota completes, only later."""
        if count < 1:
            raise ValueError("count must be at least 1")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not 1 <= per_request <= 4:
            raise ValueError("per_request must be between 1 and 4 (the API's n)")
        first = seed if seed is not None else random.randint(0, INT32_MAX)
        batches = [(offset, min(per_request, count - offset)) for offset in range(0, count, per_request)]

        def run(batch: Tuple[int, int]) -> List[Clip]:
            offset, size = batch
            clips = self.generate_clips(prompt, seed=wrap_int32(first + offset), n=size, **params)
            return clips

        with ThreadPoolExecutor(max_workers=min(concurrency, len(batches))) as pool:
            results = list(pool.map(run, batches))
        return [clip for batch in results for clip in batch]

    # ------------------------------------------------------------------ other endpoints

    def models(self) -> List[Model]:
        data = self.request("GET", "/v1/models").json()
        return [
            Model(id=str(m.get("id", "")), sample_rate=int(m.get("sample_rate", 0)),
                  channels=int(m.get("channels", 0)), max_duration=float(m.get("max_duration", 0)),
                  default_steps=int(m.get("default_steps", 0)), raw=m)
            for m in data.get("models", [])
        ]

    def healthz(self) -> bool:
        return self.request("GET", "/healthz", retry=False).status == 200

    def readyz(self) -> bool:
        try:
            return self.request("GET", "/readyz", retry=False).status == 200
        except APIError as error:
            if error.status == 503:
                return False
            raise

    def openapi(self) -> Dict[str, Any]:
        return self.request("GET", "/openapi.json").json()

    def integration_prompt(self) -> str:
        return self.request("GET", "/v1/integration-prompt").body.decode("utf-8")

    # ------------------------------------------------------------------ transport

    def request(
        self, method: str, path: str, *, json_body: Any = None, body: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None, retry: bool = True,
    ) -> Response:
        """Sends one API request, retrying 429/503/network errors per :attr:`retry`.
        Returns 2xx responses; raises an :class:`APIError` subclass for error statuses
        and :class:`FoleyConnectionError` when the server cannot be reached in time."""
        all_headers = {"User-Agent": self.user_agent}
        if self.api_key:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})

        policy = self.retry
        started = time.monotonic()
        deadline = started + policy.deadline
        failures = 0  # attempts that count against max_attempts (see RetryPolicy)
        while True:
            gate_delay = self._gate.delay()
            if gate_delay > 0 and retry:
                time.sleep(min(gate_delay, max(0.0, deadline - time.monotonic())))
            remaining = max(1.0, deadline - time.monotonic())
            status: Optional[int]
            try:
                response = self._send(method, path, body, all_headers, timeout=remaining)
            except _NetworkError as network:
                failure: FoleyError_ = FoleyConnectionError(
                    f"cannot reach {self.base_url}{path}: {network.cause}")
                status, retry_after = None, None
            else:
                self._note_rate_limit(response)
                if response.status < 400:
                    return response
                failure = _error_of(response)
                status, retry_after = response.status, failure.retry_after
                if status == 429 and retry_after is not None:
                    self._gate.hold_until(retry_after)
            if not (status == 429 and retry_after is not None):
                failures += 1
            wait = policy.wait_before_retry(status, retry_after, max(failures, 1)) if retry else None
            if wait is None or time.monotonic() + wait > deadline:
                raise failure
            time.sleep(wait)

    def _note_rate_limit(self, response: Response) -> None:
        parsed = parse_rate_limit(header(response.headers, "RateLimit"))
        if parsed is not None and parsed[0] <= 0 and response.status < 400:
            self._gate.hold_until(parsed[1])

    def _send(self, method: str, path: str, body: Optional[bytes], headers: Mapping[str, str],
              timeout: float) -> Response:
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return Response(reply.status, dict(reply.headers.items()), reply.read())
        except urllib.error.HTTPError as error:
            try:
                data = error.read()
            except (OSError, http.client.HTTPException):
                data = b""
            return Response(error.code, dict(error.headers.items()) if error.headers else {}, data)
        except (urllib.error.URLError, OSError, http.client.HTTPException, socket.timeout) as error:
            cause = getattr(error, "reason", error)
            raise _NetworkError(cause) from error


FoleyError_ = Union[APIError, FoleyConnectionError]


class _NetworkError(Exception):
    def __init__(self, cause: object) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _error_of(response: Response) -> APIError:
    fields: Dict[str, Optional[str]] = {"code": None, "message": None, "request_id": None}
    try:
        data: Any = json.loads(response.body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        body: Dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
        for name in fields:
            value = body.get(name)
            fields[name] = value if isinstance(value, str) else None
    code, message, request_id = fields["code"], fields["message"], fields["request_id"]
    return error_from_response(response.status, code, message, request_id, response.headers)
