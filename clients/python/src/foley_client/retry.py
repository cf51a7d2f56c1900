"""When and how long to wait before retrying a request.

The API asks clients to honour ``Retry-After`` on 429 (the rate-limit window tells exactly
when a request will be allowed) and to back off exponentially on 503 (a saturated queue
drains at an unknown pace). Network errors are treated like 503. Every wait is bounded by an
overall deadline so a caller never blocks longer than it asked for.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple


@dataclass(frozen=True)
class RetryPolicy:
    #: Give up once this many seconds have passed since the call started.
    deadline: float = 120.0
    #: Attempts in all for 503s and network errors, the first included; 1 disables every
    #: retry. Waiting out a 429's Retry-After does not use up attempts (the server said
    #: exactly when to come back): only the deadline bounds those waits.
    max_attempts: int = 10
    #: First backoff step in seconds; doubles per attempt up to ``max_backoff``.
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    #: Extra random wait added to Retry-After so parallel clients do not return in lockstep.
    retry_after_jitter: float = 0.25

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with "equal jitter" for the given 1-based attempt:
        half the step fixed, half random, so waits grow but never synchronise."""
        step = min(self.max_backoff, self.base_backoff * (2 ** (attempt - 1)))
        return step / 2 + rng() * step / 2

    def wait_before_retry(
        self, status: Optional[int], retry_after: Optional[float], attempt: int,
        rng: Callable[[], float] = random.random,
    ) -> Optional[float]:
        """Seconds to wait before retrying, or None when the failure is final.

        ``status`` is the HTTP status, or None for a network error; ``attempt`` counts the
        attempts that failed other than by a 429 with Retry-After (1 after the first).
        """
        if self.max_attempts <= 1:
            return None
        if status == 429 and retry_after is not None:
            return retry_after + rng() * self.retry_after_jitter
        if attempt >= self.max_attempts:
            return None
        if status == 429:
            return self.backoff(attempt, rng)
        if status == 503 or status is None:
            backoff = self.backoff(attempt, rng)
            return max(backoff, retry_after) if retry_after is not None else backoff
        return None


@dataclass
class RateGate:
    """Shared by every request of one Client: when the server says the window is spent
    (429, or ``RateLimit: r=0``), all threads hold back until it resets instead of each
    one spending a request to learn the same thing."""

    _not_before: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    clock: Callable[[], float] = time.monotonic

    def hold_until(self, seconds_from_now: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, self.clock() + seconds_from_now)

    def delay(self) -> float:
        with self._lock:
            return max(0.0, self._not_before - self.clock())


def parse_rate_limit(value: Optional[str]) -> Optional[Tuple[int, float]]:
    """Parses the IETF draft header ``"default";r=<left>;t=<reset seconds>`` into (r, t)."""
    if not value:
        return None
    remaining: Optional[int] = None
    reset: Optional[float] = None
    for part in value.split(";"):
        key, _, raw = part.strip().partition("=")
        try:
            if key == "r":
                remaining = int(raw)
            elif key == "t":
                reset = float(raw)
        except ValueError:
            return None
    if remaining is None or reset is None:
        return None
    return remaining, reset
