#!/usr/bin/env python3
"""The code in docs/integration-prompt.md and in the SDK READMEs runs as written against a
live `foley serve`.

Each fenced block tagged python, typescript or bash is extracted and run in a fresh
directory with only FOLEY_API_KEY and FOLEY_BASE_URL set, as a developer would. The
TypeScript block is type-checked strictly with the SDK's pinned tsc, then run on Node. The
READMEs' first examples run against the SDKs (the TypeScript one against the build in
$FOLEY_TS_DIST, installed as @foley/client).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from live_server import REPO, LiveServer, foley_binary  # noqa: E402

PROMPT_PATH = os.path.join(REPO, "docs", "integration-prompt.md")
TS_DIR = os.path.join(REPO, "clients", "typescript")
TSC = os.path.join(TS_DIR, "node_modules", "typescript", "bin", "tsc")
SERVER: LiveServer


def code_blocks(language: str, path: str = PROMPT_PATH) -> list:
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def setUpModule() -> None:
    global SERVER
    SERVER = LiveServer(foley_binary()).start()


def tearDownModule() -> None:
    SERVER.stop()


class InFreshDirectory(unittest.TestCase):
    """Runs examples in an empty directory with only the documented environment."""

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="foley-prompt-")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.dir,
                    "FOLEY_API_KEY": SERVER.key, "FOLEY_BASE_URL": SERVER.base_url}

    def tearDown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_in_dir(self, args: list) -> None:
        result = subprocess.run(args, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def assert_wavs(self, *names: str) -> None:
        for name in names:
            path = os.path.join(self.dir, name)
            self.assertTrue(os.path.exists(path), f"{name} was not written; files: {os.listdir(self.dir)}")
            with wave.open(path) as reader:
                self.assertEqual((reader.getframerate(), reader.getnchannels(), reader.getsampwidth()), (48000, 2, 2))


class IntegrationPromptTest(InFreshDirectory):

    def test_is_short_enough_to_paste(self) -> None:
        with open(PROMPT_PATH, encoding="utf-8") as file:
            self.assertLess(len(file.read().split()), 2000)

    def test_python_scaffold(self) -> None:
        blocks = code_blocks("python")
        self.assertEqual(len(blocks), 1)
        with open(os.path.join(self.dir, "foley_scaffold.py"), "w", encoding="utf-8") as file:
            file.write(blocks[0])
        self.run_in_dir([sys.executable, "foley_scaffold.py"])
        self.assert_wavs("door.wav")
        names = os.listdir(self.dir)
        self.assertEqual(len([n for n in names if n.startswith("thunder-")]), 2)
        self.assertEqual(len([n for n in names if n.startswith("steps-")]), 3)

    def test_python_scaffold_raises_typed_errors(self) -> None:
        source = code_blocks("python")[0].split('if __name__ == "__main__":')[0]
        source += (
            "try:\n    generate('x', cfg=12)\nexcept FoleyError as e:\n"
            "    assert (e.status, e.code) == (422, 'VALIDATION_ERROR'), e\n    assert e.request_id\n"
            "    print('ok')\n")
        with open(os.path.join(self.dir, "errors.py"), "w", encoding="utf-8") as file:
            file.write(source)
        self.run_in_dir([sys.executable, "errors.py"])

    def test_typescript_scaffold(self) -> None:
        if not os.path.exists(TSC):
            self.skipTest("clients/typescript/node_modules is missing: run `npm ci` there")
        blocks = code_blocks("typescript")
        self.assertEqual(len(blocks), 1)
        with open(os.path.join(self.dir, "foley.ts"), "w", encoding="utf-8") as file:
            file.write(blocks[0])
        with open(os.path.join(self.dir, "package.json"), "w", encoding="utf-8") as file:
            json.dump({"type": "module"}, file)
        with open(os.path.join(self.dir, "tsconfig.json"), "w", encoding="utf-8") as file:
            json.dump({"compilerOptions": {
                "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": True,
                "lib": ["ES2022", "DOM"], "types": ["node"],
                "typeRoots": [os.path.join(TS_DIR, "node_modules", "@types")], "skipLibCheck": True},
                "files": ["foley.ts"]}, file)
        self.run_in_dir(["node", TSC, "-p", "tsconfig.json"])
        self.run_in_dir(["node", "foley.js"])
        self.assert_wavs("door.wav")
        self.assertEqual(len([n for n in os.listdir(self.dir) if n.startswith("steps-")]), 3)

    def test_curl_example(self) -> None:
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        blocks = code_blocks("bash")
        self.assertEqual(len(blocks), 1)
        self.run_in_dir(["bash", "-euo", "pipefail", "-c", blocks[0]])
        self.assert_wavs("glass.wav")
        with open(os.path.join(self.dir, "headers.txt"), encoding="utf-8") as file:
            headers = file.read().lower()
        for name in ("x-request-id:", "x-seed: 7", "ratelimit-policy:", "ratelimit:"):
            self.assertIn(name, headers)

    def test_example_body_is_accepted(self) -> None:
        with open(PROMPT_PATH, encoding="utf-8") as file:
            example = json.loads(re.search(r"^```json\n(.*?)^```", file.read(), flags=re.S | re.M).group(1))
        sys.path.insert(0, os.path.join(REPO, "clients", "python", "src"))
        from foley_client import Client
        response = Client(SERVER.key, SERVER.base_url).request(
            "POST", "/v1/audio/sound_effect_generate", json_body=example)
        self.assertEqual(response.content_type, "audio/wav")
        with wave.open(io.BytesIO(response.body)) as reader:
            self.assertEqual(reader.getnframes(), 5 * 48000)



class ReadmeExamplesTest(InFreshDirectory):
    def test_python_readme_example(self) -> None:
        example = code_blocks("python", os.path.join(REPO, "clients", "python", "README.md"))[0]
        self.assertLessEqual(len(example.strip().splitlines()), 5)
        with open(os.path.join(self.dir, "example.py"), "w", encoding="utf-8") as file:
            file.write(example + "\nassert len(clips) == 6 and len({c.seed for c in clips}) == 6\n")
        self.env["PYTHONPATH"] = os.path.join(REPO, "clients", "python", "src")
        self.run_in_dir([sys.executable, "example.py"])
        self.assert_wavs("door.wav")

    def test_typescript_readme_example(self) -> None:
        dist = os.environ.get("FOLEY_TS_DIST", "")
        if not os.path.exists(os.path.join(dist, "src", "index.js")):
            self.skipTest("no built TypeScript SDK in $FOLEY_TS_DIST")
        example = code_blocks("ts", os.path.join(TS_DIR, "README.md"))[0]
        self.assertLessEqual(len(example.strip().splitlines()), 5)
        package = os.path.join(self.dir, "node_modules", "@foley", "client")
        os.makedirs(package)
        shutil.copytree(os.path.join(dist, "src"), os.path.join(package, "dist", "src"))
        shutil.copy(os.path.join(TS_DIR, "package.json"), package)
        with open(os.path.join(self.dir, "example.mjs"), "w", encoding="utf-8") as file:
            file.write(example)
        result = subprocess.run(["node", "example.mjs"], cwd=self.dir, env=self.env, capture_output=True,
                                text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        numbers = [int(n) for n in re.findall(r"-?\d+", result.stdout)]
        self.assertGreater(numbers[0], 44, result.stdout)  # the WAV's size
        self.assertEqual(len(set(numbers[1:])), 6, result.stdout)  # the variants' seeds


if __name__ == "__main__":
    unittest.main(verbosity=2)
