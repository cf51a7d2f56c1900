"""Unit tests of the Python client against a scripted local HTTP stub (no Foley server)."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import tempfile
import threading
import time
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import foley_client  # noqa: E402
from foley_client import Client, RetryPolicy  # noqa: E402
from foley_client.cli import main as cli_main  # noqa: E402
from foley_client.retry import RateGate, parse_rate_limit  # noqa: E402

from stub_server import Recorded, Reply, StubServer, error_reply  # noqa: E402

FAST = RetryPolicy(deadline=10.0, max_attempts=10, base_backoff=0.01, max_backoff=0.05,
                   retry_after_jitter=0.01)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def wav_reply(seed: int = 42, extra: dict | None = None) -> Reply:
    headers = {"Content-Type": "audio/wav", "X-Request-Id": "req-ok", "X-Seed": str(seed),
               "RateLimit-Policy": '"default";q=10;w=60', "RateLimit": '"default";r=9;t=60'}
    headers.update(extra or {})
    return Reply(200, WAV, headers)


class ErrorMappingTest(unittest.TestCase):
    CASES = [
        (400, "BAD_REQUEST", foley_client.BadRequest),
        (401, "UNAUTHORIZED", foley_client.Unauthorized),
        (404, "NOT_FOUND", foley_client.NotFound),
        (405, "METHOD_NOT_ALLOWED", foley_client.MethodNotAllowed),
        (413, "PAYLOAD_TOO_LARGE", foley_client.PayloadTooLarge),
        (415, "UNSUPPORTED_MEDIA_TYPE", foley_client.UnsupportedMediaType),
        (422, "VALIDATION_ERROR", foley_client.ValidationError),
        (429, "RATE_LIMITED", foley_client.RateLimited),
        (503, "QUEUE_FULL", foley_client.QueueFull),
        (500, "INTERNAL", foley_client.InternalError),
    ]

    def test_every_code_raises_its_class_with_code_message_and_request_id(self) -> None:
        for status, code, cls in self.CASES:
            with self.subTest(code=code):
                reply = error_reply(status, code, f"{code} happened", "req-123", {"Retry-After": "0"})
                with StubServer([reply]) as stub:
                    client = Client("k", stub.url, retry=RetryPolicy(max_attempts=1))
                    with self.assertRaises(cls) as caught:
                        client.generate("door")
                    error = caught.exception
                    self.assertIsInstance(error, foley_client.APIError)
                    self.assertEqual((error.status, error.code, error.message, error.request_id),
                                     (status, code, f"{code} happened", "req-123"))
                    self.assertIn("req-123", str(error))

    def test_body_that_is_not_json_maps_by_status(self) -> None:
        html = Reply(502 + 1, b"<html>busy</html>", {"Content-Type": "text/html", "X-Request-Id": "r9"})
        with StubServer([html]) as stub:
            with self.assertRaises(foley_client.ServiceUnavailable) as caught:
                Client("k", stub.url, retry=RetryPolicy(max_attempts=1)).generate("x")
        self.assertEqual(caught.exception.request_id, "r9")

    def test_client_errors_are_not_retried(self) -> None:
        with StubServer([error_reply(422, "VALIDATION_ERROR"), wav_reply()]) as stub:
            with self.assertRaises(foley_client.ValidationError):
                Client("k", stub.url, retry=FAST).generate("x", cfg=12)
            self.assertEqual(len(stub.requests), 1)


class RetryTest(unittest.TestCase):
    def test_429_waits_retry_after_then_succeeds(self) -> None:
        script = [error_reply(429, "RATE_LIMITED", headers={"Retry-After": "1"}), wav_reply()]
        with StubServer(script) as stub:
            started = time.monotonic()
            audio = Client("k", stub.url, retry=FAST).generate("x")
            elapsed = time.monotonic() - started
        self.assertEqual(audio, WAV)
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertEqual(len(stub.requests), 2)

    def test_waiting_out_429s_does_not_use_up_attempts(self) -> None:
        script = [error_reply(429, "RATE_LIMITED", headers={"Retry-After": "0"})] * 6 + [wav_reply()]
        with StubServer(list(script)) as stub:
            policy = RetryPolicy(deadline=10.0, max_attempts=3, retry_after_jitter=0.01)
            self.assertEqual(Client("k", stub.url, retry=policy).generate("x"), WAV)
            self.assertEqual(len(stub.requests), 7)

    def test_503_backs_off_exponentially_then_succeeds(self) -> None:
        script = [error_reply(503, "QUEUE_FULL"), error_reply(503, "QUEUE_FULL"), wav_reply()]
        with StubServer(script) as stub:
            self.assertEqual(Client("k", stub.url, retry=FAST).generate("x"), WAV)
            self.assertEqual(len(stub.requests), 3)

    def test_503_waits_at_least_retry_after(self) -> None:
        script = [error_reply(503, "QUEUE_FULL", headers={"Retry-After": "1"}), wav_reply()]
        with StubServer(script) as stub:
            started = time.monotonic()
            Client("k", stub.url, retry=FAST).generate("x")
            self.assertGreaterEqual(time.monotonic() - started, 1.0)

    def test_network_error_is_retried(self) -> None:
        with StubServer([Reply(drop=True), wav_reply()]) as stub:
            self.assertEqual(Client("k", stub.url, retry=FAST).generate("x"), WAV)
            self.assertEqual(len(stub.requests), 2)

    def test_deadline_bounds_the_retries(self) -> None:
        policy = RetryPolicy(deadline=1.0, max_attempts=1000, base_backoff=0.05, max_backoff=0.2)
        with StubServer([error_reply(503, "QUEUE_FULL")]) as stub:
            started = time.monotonic()
            with self.assertRaises(foley_client.QueueFull):
                Client("k", stub.url, retry=policy).generate("x")
            self.assertLess(time.monotonic() - started, 1.5)
            self.assertGreater(len(stub.requests), 2)

    def test_retry_after_beyond_the_deadline_fails_at_once(self) -> None:
        reply = error_reply(429, "RATE_LIMITED", headers={"Retry-After": "30"})
        with StubServer([reply]) as stub:
            started = time.monotonic()
            with self.assertRaises(foley_client.RateLimited) as caught:
                Client("k", stub.url, retry=RetryPolicy(deadline=2.0)).generate("x")
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertEqual(caught.exception.retry_after, 30.0)

    def test_unreachable_server_raises_connection_error(self) -> None:
        with StubServer([wav_reply()]) as stub:
            url = stub.url  # the port is closed once the stub is gone
        policy = RetryPolicy(deadline=0.5, base_backoff=0.05, max_backoff=0.1)
        with self.assertRaises(foley_client.FoleyConnectionError):
            Client("k", url, retry=policy).generate("x")

    def test_backoff_grows_is_bounded_and_jittered(self) -> None:
        policy = RetryPolicy(base_backoff=0.5, max_backoff=4.0)
        self.assertEqual(policy.backoff(1, rng=lambda: 0.0), 0.25)
        self.assertEqual(policy.backoff(1, rng=lambda: 1.0), 0.5)
        self.assertEqual(policy.backoff(3, rng=lambda: 1.0), 2.0)
        self.assertEqual(policy.backoff(10, rng=lambda: 1.0), 4.0)
        self.assertIsNone(policy.wait_before_retry(400, None, 1))
        self.assertIsNone(RetryPolicy(max_attempts=2).wait_before_retry(503, None, 2))
        self.assertEqual(policy.wait_before_retry(429, 3.0, 1, rng=lambda: 0.0), 3.0)
        self.assertEqual(policy.wait_before_retry(503, 3.0, 1, rng=lambda: 0.0), 3.0)

    def test_rate_limit_header_parsing(self) -> None:
        self.assertEqual(parse_rate_limit('"default";r=0;t=42'), (0, 42.0))
        self.assertIsNone(parse_rate_limit('"default";q=10'))
        self.assertIsNone(parse_rate_limit(None))

    def test_rate_gate_holds_all_threads(self) -> None:
        now = [100.0]
        gate = RateGate(clock=lambda: now[0])
        gate.hold_until(5)
        gate.hold_until(2)  # a shorter hold never shortens a longer one
        self.assertEqual(gate.delay(), 5)
        now[0] = 106.0
        self.assertEqual(gate.delay(), 0)


class GenerateTest(unittest.TestCase):
    def test_request_shape_and_auth(self) -> None:
        with StubServer([wav_reply()]) as stub:
            Client("secret", stub.url).generate("door", cfg=3.0, seed=5, duration=1.5,
                                                negative_prompt="music", steps=4, format="wav",
                                                model="m1")
            request = stub.requests[0]
        self.assertEqual((request.method, request.path), ("POST", "/v1/audio/sound_effect_generate"))
        self.assertEqual(request.headers["Authorization"], "Bearer secret")
        self.assertEqual(request.headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(request.body), {
            "model": "m1", "args": {"prompt": "door", "cfg": 3.0, "seed": 5, "duration": 1.5,
                                    "negative_prompt": "music", "steps": 4, "format": "wav"}})

    def test_n_variants_decode_with_seeds(self) -> None:
        body = json.dumps({"count": 2, "sample_rate": 48000, "format": "wav", "seeds": [7, 8],
                           "audios": [base64.b64encode(b"one").decode(), base64.b64encode(b"two").decode()]})
        reply = Reply(200, body.encode(), {"Content-Type": "application/json", "X-Seed": "7"})
        with StubServer([reply]) as stub:
            clips = Client("k", stub.url).generate("x", n=2, seed=7)
        assert isinstance(clips, list)
        self.assertEqual([(c.seed, c.audio, c.format) for c in clips], [(7, b"one", "wav"), (8, b"two", "wav")])

    def test_random_seed_is_reported_from_x_seed(self) -> None:
        with StubServer([wav_reply(seed=-123)]) as stub:
            clips = Client("k", stub.url).generate_clips("x")
        self.assertEqual(clips[0].seed, -123)

    def test_environment_configures_the_client(self) -> None:
        with StubServer([wav_reply()]) as stub:
            saved = dict(os.environ)
            os.environ.update({"FOLEY_API_KEY": "from-env", "FOLEY_BASE_URL": stub.url + "/"})
            try:
                Client().generate("x")
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.assertEqual(stub.requests[0].headers["Authorization"], "Bearer from-env")

    def test_wrap_int32(self) -> None:
        self.assertEqual(foley_client.wrap_int32(2**31), -(2**31))
        self.assertEqual(foley_client.wrap_int32(5), 5)


class VariantsTest(unittest.TestCase):
    def test_burst_beyond_rate_limit_completes_with_distinct_seeds(self) -> None:
        # The stub allows 3 requests per 1 s window, like the server's limiter, and
        # answers 429 with Retry-After beyond that.
        window = {"start": time.monotonic(), "used": 0}
        lock = threading.Lock()

        def limited(request: Recorded) -> Reply:
            with lock:
                now = time.monotonic()
                if now - window["start"] >= 1.0:
                    window.update(start=now, used=0)
                if window["used"] >= 3:
                    return error_reply(429, "RATE_LIMITED", headers={"Retry-After": "1"})
                window["used"] += 1
                seed = json.loads(request.body)["args"]["seed"]
                return wav_reply(seed=seed)

        with StubServer(limited) as stub:
            clips = Client("k", stub.url, retry=FAST).generate_variants("x", 8, concurrency=8, seed=100)
        self.assertEqual([c.seed for c in clips], list(range(100, 108)))
        self.assertEqual(len({c.seed for c in clips}), 8)

    def test_variants_batch_with_per_request(self) -> None:
        def batch(request: Recorded) -> Reply:
            args = json.loads(request.body)["args"]
            seeds = [args["seed"] + i for i in range(args.get("n", 1))]
            if len(seeds) == 1:
                return wav_reply(seed=seeds[0])
            body = {"count": len(seeds), "sample_rate": 48000, "format": "wav", "seeds": seeds,
                    "audios": [base64.b64encode(b"a").decode()] * len(seeds)}
            return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

        with StubServer(batch) as stub:
            clips = Client("k", stub.url).generate_variants("x", 5, per_request=2, seed=2**31 - 2)
        self.assertEqual([c.seed for c in clips], [2**31 - 2, 2**31 - 1, -(2**31), -(2**31) + 1, -(2**31) + 2])

    def test_bad_arguments(self) -> None:
        client = Client("k", "http://127.0.0.1:9")
        with self.assertRaises(ValueError):
            client.generate_variants("x", 0)
        with self.assertRaises(ValueError):
            client.generate_variants("x", 2, per_request=5)


class CliTest(unittest.TestCase):
    def test_generate_writes_the_file(self) -> None:
        with StubServer([wav_reply()]) as stub, tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "door.wav")
            with redirect_stdout(io.StringIO()):
                code = cli_main(["--base-url", stub.url, "--api-key", "k", "generate", "door", "-o", out])
            self.assertEqual(code, 0)
            with open(out, "rb") as file:
                self.assertEqual(file.read(), WAV)

    def test_error_prints_code_and_request_id(self) -> None:
        with StubServer([error_reply(401, "UNAUTHORIZED", "bad key", "req-7")]) as stub:
            stderr = io.StringIO()
            with redirect_stderr(stderr):
                code = cli_main(["--base-url", stub.url, "--api-key", "k", "generate", "door"])
        self.assertEqual(code, 1)
        self.assertIn("UNAUTHORIZED", stderr.getvalue())
        self.assertIn("req-7", stderr.getvalue())


if __name__ == "__main__":
    unittest.main()
