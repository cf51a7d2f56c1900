#!/usr/bin/env python3
"""The Python client against a real `foley serve` (tiny model) on loopback.

Run by CTest with FOLEY_BIN=$<TARGET_FILE:foley>. Every error code the server can produce on
demand surfaces as its exception class; a burst beyond the rate limit completes; variants
come back with distinct seeds and reproduce alone.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import unittest
import wave
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python", "src"))

import foley_client  # noqa: E402
from foley_client import Client, RetryPolicy  # noqa: E402
from foley_client.client import GENERATE_PATH  # noqa: E402
from live_server import REPO, TestServers, foley_binary  # noqa: E402

SERVERS: TestServers
NO_RETRY = RetryPolicy(max_attempts=1)
DURATION = 1.0  # short clips keep the suite fast on a shared machine


def setUpModule() -> None:
    global SERVERS
    SERVERS = TestServers(foley_binary()).__enter__()


def tearDownModule() -> None:
    SERVERS.__exit__()


def assert_wav(test: unittest.TestCase, audio: bytes, duration: float) -> None:
    with wave.open(io.BytesIO(audio)) as reader:
        test.assertEqual(reader.getframerate(), 48000)
        test.assertEqual(reader.getnchannels(), 2)
        test.assertEqual(reader.getsampwidth(), 2)
        test.assertEqual(reader.getnframes(), round(duration * 48000))


class ErrorTypesTest(unittest.TestCase):
    def client(self, key: str | None = None) -> Client:
        return Client(key if key is not None else SERVERS.main.key, SERVERS.main.base_url, retry=NO_RETRY)

    def assert_error(self, cls: type, call, code: str) -> foley_client.APIError:
        with self.assertRaises(cls) as caught:
            call()
        error = caught.exception
        self.assertEqual(error.code, code)
        self.assertTrue(error.message)
        self.assertTrue(error.request_id.startswith("req"), error.request_id)
        self.assertEqual(error.request_id, error.headers.get("X-Request-Id", error.headers.get("x-request-id")))
        return error

    def test_bad_request(self) -> None:
        client = self.client()
        self.assert_error(foley_client.BadRequest, lambda: client.request(
            "POST", GENERATE_PATH, body=b"{not json", headers={"Content-Type": "application/json"}), "BAD_REQUEST")
        error = self.assert_error(foley_client.BadRequest, lambda: client.request(
            "POST", GENERATE_PATH, json_body={"args": {"prompt": "x", "colour": 1}}), "BAD_REQUEST")
        self.assertIn("colour", error.message)

    def test_unauthorized(self) -> None:
        self.assert_error(foley_client.Unauthorized, lambda: self.client("").generate("x"), "UNAUTHORIZED")
        self.assert_error(foley_client.Unauthorized, lambda: self.client("fk_0000_nope").generate("x"), "UNAUTHORIZED")
        self.assert_error(foley_client.Unauthorized, lambda: self.client(SERVERS.revoked).generate("x"), "UNAUTHORIZED")

    def test_not_found(self) -> None:
        self.assert_error(foley_client.NotFound, lambda: self.client().request("GET", "/v1/no-such-thing"), "NOT_FOUND")
        self.assert_error(foley_client.NotFound, lambda: self.client().generate("x", model="no-such-model", duration=DURATION), "NOT_FOUND")

    def test_method_not_allowed(self) -> None:
        error = self.assert_error(foley_client.MethodNotAllowed,
                                  lambda: self.client().request("GET", GENERATE_PATH), "METHOD_NOT_ALLOWED")
        self.assertIn("POST", foley_client.errors.header(error.headers, "Allow") or "")

    def test_payload_too_large(self) -> None:
        self.assert_error(foley_client.PayloadTooLarge, lambda: self.client().generate("x" * 70000), "PAYLOAD_TOO_LARGE")

    def test_unsupported_media_type(self) -> None:
        self.assert_error(foley_client.UnsupportedMediaType, lambda: self.client().request(
            "POST", GENERATE_PATH, body=b'{"args": {"prompt": "x"}}', headers={"Content-Type": "text/plain"}),
            "UNSUPPORTED_MEDIA_TYPE")

    def test_validation_error_names_the_field(self) -> None:
        client = self.client()
        error = self.assert_error(foley_client.ValidationError, lambda: client.generate("x", cfg=12), "VALIDATION_ERROR")
        self.assertIn("cfg", error.message)
        self.assert_error(foley_client.ValidationError, lambda: client.generate("x", n=5), "VALIDATION_ERROR")
        self.assert_error(foley_client.ValidationError, lambda: client.generate("   "), "VALIDATION_ERROR")
        self.assert_error(foley_client.ValidationError, lambda: client.generate("x", seed=2**31), "VALIDATION_ERROR")

    def test_rate_limited_surfaces_with_retry_after(self) -> None:
        client = Client(SERVERS.rate, SERVERS.tight.base_url, retry=NO_RETRY)
        with self.assertRaises(foley_client.RateLimited) as caught:
            for _ in range(10):  # 3 per window are allowed; invalid requests count too
                try:
                    client.generate("x", cfg=12)
                except foley_client.ValidationError:
                    pass
        self.assertEqual(caught.exception.code, "RATE_LIMITED")
        self.assertIsNotNone(caught.exception.retry_after)
        self.assertGreaterEqual(caught.exception.retry_after, 0)

    def test_queue_full_surfaces_and_retries_end_at_the_deadline(self) -> None:
        # The tight server queues 2 clips at most, so a request for 3 is never admitted.
        client = Client(SERVERS.queue, SERVERS.tight.base_url, retry=NO_RETRY)
        error = self.assert_error(foley_client.QueueFull, lambda: client.generate("x", n=3, duration=DURATION), "QUEUE_FULL")
        self.assertIsNotNone(error.retry_after)
        patient = Client(SERVERS.queue, SERVERS.tight.base_url,
                         retry=RetryPolicy(deadline=3.0, max_attempts=1000, base_backoff=0.2, max_backoff=0.5))
        started = time.monotonic()
        with self.assertRaises((foley_client.QueueFull, foley_client.RateLimited)):
            patient.generate("x", n=3, duration=DURATION)
        self.assertLess(time.monotonic() - started, 8.0)  # the deadline, not the attempts, ended it


class GenerationTest(unittest.TestCase):
    def test_generate_returns_a_wav_of_the_requested_length(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        assert_wav(self, client.generate("heavy wooden door creaks open", seed=42, duration=DURATION), DURATION)

    def test_flac_format(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        clips = client.generate_clips("rain", seed=1, duration=DURATION, format="flac")
        self.assertEqual(clips[0].format, "flac")
        self.assertEqual(clips[0].audio[:4], b"fLaC")

    def test_n_variants_have_consecutive_seeds_and_reproduce_alone(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        clips = client.generate("footsteps on gravel", seed=100, n=3, duration=DURATION)
        assert isinstance(clips, list)
        self.assertEqual([c.seed for c in clips], [100, 101, 102])
        self.assertEqual(len({c.audio for c in clips}), 3)
        for clip in clips:
            assert_wav(self, clip.audio, DURATION)
        alone = client.generate("footsteps on gravel", seed=101, duration=DURATION)
        self.assertEqual(alone, clips[1].audio)

    def test_random_seed_is_reported(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        clip = client.generate_clips("wind", duration=DURATION)[0]
        self.assertEqual(client.generate("wind", seed=clip.seed, duration=DURATION), clip.audio)

    def test_variants_have_distinct_seeds(self) -> None:
        client = Client(SERVERS.variants, SERVERS.tight.base_url)
        clips = client.generate_variants("glass shatters", 4, concurrency=2, duration=DURATION)
        seeds = [c.seed for c in clips]
        self.assertEqual(len(set(seeds)), 4)
        self.assertEqual(seeds, [foley_client.wrap_int32(seeds[0] + i) for i in range(4)])
        self.assertEqual(len({c.audio for c in clips}), 4)

    def test_burst_beyond_the_rate_limit_completes(self) -> None:
        # 9 requests at once against 3 per 2 s and a queue of 2: 429s and 503s, all retried.
        client = Client(SERVERS.burst, SERVERS.tight.base_url, retry=RetryPolicy(deadline=300, max_attempts=100))
        started = time.monotonic()
        clips = client.generate_variants("thunder", 9, concurrency=9, seed=7, duration=DURATION)
        self.assertEqual([c.seed for c in clips], list(range(7, 16)))
        for clip in clips:
            assert_wav(self, clip.audio, DURATION)
        self.assertGreaterEqual(time.monotonic() - started, 2.0)  # it did have to wait

    def test_independent_clients_in_parallel(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda s: client.generate("bell", seed=s, duration=DURATION), range(4)))
        self.assertEqual(len(set(results)), 4)


class DiscoveryTest(unittest.TestCase):
    def test_models_health_and_served_documents(self) -> None:
        client = Client(SERVERS.main.key, SERVERS.main.base_url)
        self.assertTrue(client.healthz())
        self.assertTrue(client.readyz())
        models = client.models()
        self.assertGreaterEqual(len(models), 1)
        self.assertEqual(models[0].sample_rate, 48000)
        self.assertEqual(models[0].channels, 2)
        self.assertGreaterEqual(models[0].max_duration, 5.0)
        with open(os.path.join(REPO, "docs", "integration-prompt.md"), encoding="utf-8") as file:
            self.assertEqual(client.integration_prompt(), file.read())
        import json
        with open(os.path.join(REPO, "api", "openapi.json"), encoding="utf-8") as file:
            self.assertEqual(client.openapi(), json.load(file))


class CliTest(unittest.TestCase):
    def test_python_m_foley_client_generates_a_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, FOLEY_API_KEY=SERVERS.main.key, FOLEY_BASE_URL=SERVERS.main.base_url,
                       PYTHONPATH=os.path.join(REPO, "clients", "python", "src"))
            out = os.path.join(tmp, "door.wav")
            result = subprocess.run([sys.executable, "-m", "foley_client", "generate", "door",
                                     "--seed", "3", "--duration", str(DURATION), "-o", out],
                                    env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(out, "rb") as file:
                assert_wav(self, file.read(), DURATION)
            result = subprocess.run([sys.executable, "-m", "foley_client", "generate", "door", "--cfg", "12"],
                                    env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 1)
            self.assertIn("VALIDATION_ERROR", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
