#!/usr/bin/env python3
"""Structural checks of api/openapi.json, with no third-party validator.

Checks that the document is OpenAPI 3.1, that every $ref resolves, that the objects the
specification requires have their required fields, and that it covers the contract of
api.md (every endpoint, every error code with the error schema, the documented headers).

    openapi_check.py api/openapi.json      # exit 0 when valid, 1 with one line per problem
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Iterator, List, Tuple

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The contract of /work/shared/spec/api.md: paths and the methods they answer.
CONTRACT_PATHS = {
    "/v1/audio/sound_effect_generate": {"post"},
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/metrics": {"get"},
    "/v1/models": {"get"},
    "/openapi.json": {"get"},
    "/v1/integration-prompt": {"get"},
}
GENERATE_ERRORS = {
    "400": "BAD_REQUEST", "401": "UNAUTHORIZED", "404": "NOT_FOUND", "405": "METHOD_NOT_ALLOWED",
    "413": "PAYLOAD_TOO_LARGE", "415": "UNSUPPORTED_MEDIA_TYPE", "422": "VALIDATION_ERROR",
    "429": "RATE_LIMITED", "500": "INTERNAL", "503": "QUEUE_FULL",
}
GENERATE_ARGS = {"prompt", "cfg", "seed", "n", "duration", "negative_prompt", "steps", "format"}
GENERATE_HEADERS = {"X-Request-Id", "X-Seed", "RateLimit-Policy", "RateLimit"}


def walk(node: Any, pointer: str = "#") -> Iterator[Tuple[str, Any]]:
    """Every (JSON pointer, value) pair of the document, depth first."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def resolve(doc: Any, ref: str) -> Any:
    """Resolves a local reference "#/a/b~1c"; raises KeyError when it does not exist."""
    if not ref.startswith("#"):
        raise KeyError(f"{ref}: only local references are used in this document")
    node = doc
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def deref(doc: Any, node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
        seen += 1
        if seen > 32:
            raise KeyError("reference cycle")
    return node


def check(doc: Any) -> List[str]:
    problems: List[str] = []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    need(isinstance(doc.get("openapi"), str) and re.fullmatch(r"3\.1\.\d+", doc["openapi"]) is not None,
         f"openapi must be 3.1.x, got {doc.get('openapi')!r}")
    info = doc.get("info")
    need(isinstance(info, dict) and isinstance(info.get("title"), str) and isinstance(info.get("version"), str),
         "info needs string title and version")
    if isinstance(info, dict) and "license" in info:
        need("name" in info["license"], "info.license needs a name")
    paths = doc.get("paths")
    need(isinstance(paths, dict) and bool(paths), "paths must be a non-empty object")
    paths = paths if isinstance(paths, dict) else {}

    # Every $ref resolves.
    unresolved = len(problems)
    for pointer, node in walk(doc):
        if isinstance(node, dict) and "$ref" in node:
            try:
                resolve(doc, node["$ref"])
            except (KeyError, ValueError, IndexError):
                problems.append(f"{pointer}: $ref {node['$ref']} does not resolve")
    if len(problems) > unresolved:
        return problems  # everything below dereferences

    # Schemas: "required" names declared properties; arrays have items.
    for pointer, node in walk(doc):
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("required"), list) and isinstance(node.get("properties"), dict):
            for name in node["required"]:
                need(name in node["properties"], f"{pointer}: required '{name}' is not a property")
        if node.get("type") == "array" and pointer.count("/schemas") + pointer.count("/schema"):
            need("items" in node or "prefixItems" in node, f"{pointer}: array schema without items")

    security_schemes = doc.get("components", {}).get("securitySchemes", {})
    for name, scheme in security_schemes.items():
        need(scheme.get("type") in ("apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"),
             f"securitySchemes.{name}: bad type")
        if scheme.get("type") == "http":
            need("scheme" in scheme, f"securitySchemes.{name}: http needs scheme")

    operation_ids = set()
    for path, item in paths.items():
        need(path.startswith("/"), f"path {path} must start with /")
        template_params = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            responses = operation.get("responses")
            need(isinstance(responses, dict) and bool(responses), f"{where}: no responses")
            for status, response in (responses or {}).items():
                need(re.fullmatch(r"[1-5](\d\d|XX)|default", status) is not None, f"{where}: bad status {status}")
                response = deref(doc, response)
                need(isinstance(response.get("description"), str), f"{where} {status}: response needs description")
                for header_name, header_obj in response.get("headers", {}).items():
                    header_obj = deref(doc, header_obj)
                    need("schema" in header_obj or "content" in header_obj,
                         f"{where} {status}: header {header_name} needs schema")
                for media, content in response.get("content", {}).items():
                    need("/" in media, f"{where} {status}: bad media type {media}")
                    need(isinstance(content, dict), f"{where} {status} {media}: not an object")
            op_id = operation.get("operationId")
            if op_id is not None:
                need(op_id not in operation_ids, f"{where}: duplicate operationId {op_id}")
                operation_ids.add(op_id)
            declared = set()
            for parameter in operation.get("parameters", []) + item.get("parameters", []):
                parameter = deref(doc, parameter)
                need({"name", "in"} <= parameter.keys(), f"{where}: parameter needs name and in")
                need(parameter.get("in") in ("query", "header", "path", "cookie"), f"{where}: bad parameter location")
                need("schema" in parameter or "content" in parameter, f"{where}: parameter {parameter.get('name')} needs schema")
                if parameter.get("in") == "path":
                    need(parameter.get("required") is True, f"{where}: path parameter must be required")
                    declared.add(parameter.get("name"))
            need(template_params <= declared, f"{where}: path parameters {template_params - declared} not declared")
            if "requestBody" in operation:
                body = deref(doc, operation["requestBody"])
                need(isinstance(body.get("content"), dict) and bool(body["content"]), f"{where}: requestBody needs content")
            for requirement in operation.get("security", []):
                for name in requirement:
                    need(name in security_schemes, f"{where}: unknown security scheme {name}")

    # Coverage of the contract.
    for path, methods in CONTRACT_PATHS.items():
        need(path in paths, f"contract path {path} is not documented")
        for method in methods:
            need(method in paths.get(path, {}), f"contract operation {method.upper()} {path} is not documented")
    generate = paths.get("/v1/audio/sound_effect_generate", {}).get("post", {})
    if generate:
        responses = generate.get("responses", {})
        error_schema = doc.get("components", {}).get("schemas", {}).get("Error", {})
        need(set(error_schema.get("required", [])) == {"code", "message", "request_id"},
             "components.schemas.Error must require exactly code, message, request_id")
        for status, code in GENERATE_ERRORS.items():
            need(status in responses, f"generate: error {status} {code} is not documented")
            if status not in responses:
                continue
            response = deref(doc, responses[status])
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            need(schema.get("$ref") == "#/components/schemas/Error", f"generate {status}: must use the Error schema")
            example = response.get("content", {}).get("application/json", {}).get("example", {})
            need(example.get("code") == code, f"generate {status}: example code should be {code}")
            need("X-Request-Id" in response.get("headers", {}), f"generate {status}: X-Request-Id header missing")
        for status in ("429", "503"):
            need("Retry-After" in deref(doc, responses.get(status, {})).get("headers", {}),
                 f"generate {status}: Retry-After header missing")
        need("Allow" in deref(doc, responses.get("405", {})).get("headers", {}), "generate 405: Allow header missing")
        ok = deref(doc, responses.get("200", {}))
        need({"audio/wav", "audio/flac", "application/json"} <= set(ok.get("content", {})),
             "generate 200: needs audio/wav, audio/flac and application/json content")
        need(GENERATE_HEADERS <= set(ok.get("headers", {})), f"generate 200: headers {GENERATE_HEADERS} needed")
        body = deref(doc, generate.get("requestBody", {}))
        schema = deref(doc, body.get("content", {}).get("application/json", {}).get("schema", {}))
        args = deref(doc, schema.get("properties", {}).get("args", {}))
        need(set(args.get("properties", {})) == GENERATE_ARGS, f"generate args must be exactly {sorted(GENERATE_ARGS)}")
        need(args.get("required") == ["prompt"], "generate args: prompt is the only required field")
        need(args.get("additionalProperties") is False, "generate args: unknown fields are rejected (additionalProperties false)")
        need(generate.get("security") == [{"bearerAuth": []}], "generate: needs bearer auth")
    return problems


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        try:
            doc = json.load(file)
        except ValueError as error:
            print(f"{argv[1]}: not JSON: {error}")
            return 1
    problems = check(doc)
    for problem in problems:
        print(f"{argv[1]}: {problem}")
    if not problems:
        print(f"{argv[1]}: valid OpenAPI {doc['openapi']}, {len(doc['paths'])} paths")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
