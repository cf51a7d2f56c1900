"""Starts a real `foley serve` on loopback for the client tests, with its own data
directory, API keys created by `foley keys create`, and the tiny test model.

    with LiveServer(foley_bin, rate_limit=5, rate_window=4) as server:
        Client(server.key, server.base_url)...
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import List, Optional

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY_MODEL = os.path.join(REPO, "tests", "data", "tiny-pipeline")
KEY_PATTERN = re.compile(r"(?<![A-Za-z0-9_-])fk_[0-9a-f]+_[A-Za-z0-9_-]+")

# The API's default duration is 5 s, and the integration examples use it. The tiny model's
# training length is far shorter; its DiT (RoPE) and VAE (convolutional) take any length,
# so the tests give it a longer sample_size in a copy of its config. Weights are untouched.
TEST_SAMPLE_SIZE = 108 * 2048  # 5.016 s at 44.1 kHz; a multiple of the VAE's stride


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_model(into: str, source: str = TINY_MODEL) -> str:
    """A copy of the tiny model whose config allows 5 s clips."""
    target = os.path.join(into, "model")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.py", "captions.txt", "reference*"))
    config_path = os.path.join(target, "model_config.json")
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    config["sample_size"] = max(int(config["sample_size"]), TEST_SAMPLE_SIZE)
    with open(config_path, "w", encoding="utf-8") as file:
        json.dump(config, file, indent=2)
    return target


class LiveServer:
    def __init__(self, foley_bin: str, *, rate_limit: int = 1000, rate_window: int = 60,
                 queue_capacity: int = 16, max_batch_clips: int = 4, extra_args: Optional[List[str]] = None,
                 startup_timeout: float = 120.0) -> None:
        self.foley_bin = foley_bin
        self.options = {
            "rate-limit": rate_limit, "rate-window": rate_window,
            "queue-capacity": queue_capacity, "max-batch-clips": max_batch_clips,
        }
        self.extra_args = extra_args or []
        self.startup_timeout = startup_timeout
        self.process: Optional[subprocess.Popen] = None
        self.tmp = tempfile.mkdtemp(prefix="foley-clients-")
        self.data_dir = os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.tmp, "server.log")
        self.key = ""

    def create_key(self, name: str = "test", extra: Optional[List[str]] = None) -> str:
        result = subprocess.run(
            [self.foley_bin, "keys", "create", "--name", name, "--data-dir", self.data_dir, *(extra or [])],
            capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"foley keys create failed ({result.returncode}): {result.stderr}{result.stdout}")
        found = KEY_PATTERN.findall(result.stdout)
        if not found:
            raise RuntimeError(f"no API key in the output of foley keys create: {result.stdout!r}")
        return found[0]

    def revoke_key(self, key: str) -> None:
        key_id = key.split("_")[1]
        subprocess.run([self.foley_bin, "keys", "revoke", key_id, "--data-dir", self.data_dir],
                       capture_output=True, text=True, timeout=60, check=True)

    def start(self) -> "LiveServer":
        model = prepare_model(self.tmp)
        self.key = self.create_key("clients-test")
        args = [self.foley_bin, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", self.data_dir, "--model", model, "--threads", "2"]
        for name, value in self.options.items():
            args += [f"--{name}", str(value)]
        args += self.extra_args
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"foley serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"foley serve was not ready within {self.startup_timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as file:
                return "".join(file.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def foley_binary() -> str:
    """The `foley` executable: $FOLEY_BIN (CTest passes $<TARGET_FILE:foley>)."""
    path = os.environ.get("FOLEY_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set FOLEY_BIN to the foley executable (CTest does)")
    return path


class TestServers:
    """The two servers the client suites use, with one key per concern so their rate-limit
    windows never interfere:

    - main: generous limits; key ``key``, and ``revoked`` (revoked before start).
    - tight: 3 requests per 2 s per key, a queue of 2 clips, batches of 1; keys ``burst``
      (a burst beyond the limit), ``rate`` (a 429 that surfaces), ``queue`` (a 503).
    """

    def __init__(self, foley_bin: str) -> None:
        self.main = LiveServer(foley_bin)
        self.tight = LiveServer(foley_bin, rate_limit=3, rate_window=2, queue_capacity=2, max_batch_clips=1)

    def __enter__(self) -> "TestServers":
        try:
            self.main.start()
            self.revoked = self.main.create_key("revoked")
            self.main.revoke_key(self.revoked)
            self.tight.start()
            self.burst = self.tight.create_key("burst")
            self.rate = self.tight.create_key("rate")
            self.queue = self.tight.create_key("queue")
            self.variants = self.tight.create_key("variants")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.tight.stop()
        self.main.stop()

    def environment(self) -> dict:
        """For suites in other languages: where the servers are and the keys to use."""
        return {
            "FOLEY_BASE_URL": self.main.base_url, "FOLEY_API_KEY": self.main.key,
            "FOLEY_REVOKED_KEY": self.revoked,
            "FOLEY_TIGHT_URL": self.tight.base_url, "FOLEY_BURST_KEY": self.burst,
            "FOLEY_RATE_KEY": self.rate, "FOLEY_QUEUE_KEY": self.queue,
            "FOLEY_VARIANTS_KEY": self.variants,
        }
