#!/usr/bin/env python3
"""api/openapi.json against itself (structure) and against a live `foley serve` (routes).

- the document is valid OpenAPI 3.1 (openapi_check.py) and the server serves it unchanged;
- every documented operation answers on the live server (not 404), and a documented path
  with a method it does not document answers 405 with an Allow header;
- every API route the server registers is documented. Routes are read from the server's
  sources (`router.add("METHOD", "/path"...)`) and confirmed live, so a scan that drifts
  from the binary fails too. The web studio (its page at "/", its static files and its
  private backend under /studio/: cookie sessions, same-origin only, not part of the
  API-key contract of api.md) is outside this document by design.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import openapi_check  # noqa: E402
from live_server import REPO, LiveServer, foley_binary  # noqa: E402

DOC_PATH = os.path.join(REPO, "api", "openapi.json")
UNDOCUMENTED_PREFIXES = ("/studio/",)
UNDOCUMENTED_PAGES = {"/"}  # the web studio's HTML page
ROUTE_PATTERN = re.compile(r'\.add\(\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"')
SERVER: LiveServer


def setUpModule() -> None:
    global SERVER
    SERVER = LiveServer(foley_binary()).start()


def tearDownModule() -> None:
    SERVER.stop()


def load_doc() -> dict:
    with open(DOC_PATH, encoding="utf-8") as file:
        return json.load(file)


def call(method: str, path: str) -> tuple:
    """(status, headers) of a bare request: no key, no body."""
    request = urllib.request.Request(SERVER.base_url + path, method=method, data=b"" if method in ("POST", "PUT", "PATCH") else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            reply.read()
            return reply.status, dict(reply.headers.items())
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, dict(error.headers.items())


def server_routes() -> set:
    """(METHOD, /openapi/{style}) of every route registered in the server's C++ sources."""
    routes = set()
    for path in glob.glob(os.path.join(REPO, "server", "**", "*.cpp"), recursive=True):
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                if line.lstrip().startswith("//"):
                    continue
                for method, pattern in ROUTE_PATTERN.findall(line):
                    routes.add((method, re.sub(r":([A-Za-z_]\w*)", r"{\1}", pattern)))
    return routes


def concrete(path: str) -> str:
    return re.sub(r"{[^}]+}", "test-value", path)


class OpenApiTest(unittest.TestCase):
    def test_document_is_structurally_valid(self) -> None:
        self.assertEqual(openapi_check.check(load_doc()), [])

    def test_server_serves_this_document(self) -> None:
        with urllib.request.urlopen(SERVER.base_url + "/openapi.json", timeout=30) as reply:
            self.assertEqual(reply.headers.get_content_type(), "application/json")
            self.assertEqual(json.loads(reply.read()), load_doc())

    def test_every_documented_operation_answers(self) -> None:
        for path, item in load_doc()["paths"].items():
            for method in item:
                if method not in openapi_check.HTTP_METHODS:
                    continue
                with self.subTest(operation=f"{method.upper()} {path}"):
                    status, _ = call(method.upper(), concrete(path))
                    self.assertNotEqual(status, 404)
                    self.assertIn(str(status), item[method]["responses"], f"{status} is not documented")

    def test_undocumented_methods_answer_405_with_allow(self) -> None:
        for path, item in load_doc()["paths"].items():
            method = "DELETE" if "delete" not in item else "PUT"
            with self.subTest(path=path):
                status, headers = call(method, concrete(path))
                self.assertEqual(status, 405)
                allow = {h.lower(): v for h, v in headers.items()}.get("allow", "")
                documented = {m.upper() for m in item if m in openapi_check.HTTP_METHODS}
                self.assertTrue(documented <= {m.strip() for m in allow.split(",")}, allow)

    def test_every_server_route_is_documented(self) -> None:
        routes = server_routes()
        self.assertIn(("POST", "/v1/audio/sound_effect_generate"), routes, "the route scan found nothing")
        paths = load_doc()["paths"]
        by_path: dict = {}
        for method, path in routes:
            by_path.setdefault(path, set()).add(method)
        for path, methods in sorted(by_path.items()):
            if path.startswith(UNDOCUMENTED_PREFIXES) or path in UNDOCUMENTED_PAGES:
                continue  # the studio's, present or not depending on its configuration
            with self.subTest(path=path):
                # A method the route lacks answers 405 + Allow from the router itself, so this
                # proves the route exists even where a handler 404s an unknown id.
                status, headers = call("PATCH", concrete(path))
                self.assertEqual(status, 405, "the scanned route does not exist in the binary")
                allow = {h.lower(): v for h, v in headers.items()}.get("allow", "")
                self.assertTrue(methods <= {m.strip() for m in allow.split(",")}, f"Allow: {allow}")
                self.assertIn(path, paths, "route missing from api/openapi.json")
                for method in methods:
                    self.assertIn(method.lower(), paths[path], f"{method} missing from api/openapi.json")


if __name__ == "__main__":
    unittest.main(verbosity=2)
