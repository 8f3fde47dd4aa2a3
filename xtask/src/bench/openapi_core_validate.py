"""The openapi-core side of `cargo xtask bench --only validation`.

Loads the spec once, then validates the request and the response of every
fixture file (`*.json`, `*.yaml`, `*.yml`) of a folder with openapi-core, as
a maintainer would script it without np6-rs. YAML is read with PyYAML's C
loader when it has one (the fastest), with YAML 1.1's implicit timestamps
off (a date-time stays text, as in JSON). Prints one JSON line: files,
valid, and the first few rejections. The Rust side times the whole run,
start-up included.

Usage: python openapi_core_validate.py SPEC FOLDER
"""

import json
import sys
from pathlib import Path

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

HOST = "https://api-cm.np6.com"
SUFFIXES = (".json", ".yaml", ".yml")


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader without YAML 1.1's timestamps: fixtures hold
    date-times as text, as JSON does."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path):
    with open(path, "rb") as file:
        if path.suffix == ".json":
            return json.load(file)
        return yaml.load(file, Loader=Loader)


def exchange(fixture):
    request = fixture["request"]
    query = {}
    for name, value in request.get("query", {}).items():
        query[name] = value if isinstance(value, list) else [value]
    body = request.get("body")
    mock_request = MockRequest(
        HOST,
        request["method"].lower(),
        request["path"],
        args=query,
        headers=request.get("headers", {}),
        data=None if body is None else json.dumps(body).encode(),
    )
    response = fixture["response"]
    headers = response.get("headers", {})
    if "body" in response:
        data = json.dumps(response["body"]).encode()
    else:
        data = response.get("body_text", "").encode()
    mock_response = MockResponse(
        data,
        status_code=response["status"],
        headers=headers,
        content_type=headers.get("content-type", "application/json"),
    )
    return mock_request, mock_response


def main():
    spec_path, folder = sys.argv[1], sys.argv[2]
    openapi = OpenAPI.from_file_path(spec_path)
    files = sorted(p for p in Path(folder).iterdir() if p.suffix in SUFFIXES)
    valid = 0
    rejected = []
    for path in files:
        try:
            mock_request, mock_response = exchange(load(path))
            openapi.validate_request(mock_request)
            openapi.validate_response(mock_request, mock_response)
            valid += 1
        except Exception as error:  # every rejection counts, whatever its type
            if len(rejected) < 3:
                rejected.append(f"{path.name}: {type(error).__name__}: {error}")
    print(json.dumps({"files": len(files), "valid": valid, "rejected": rejected}))


if __name__ == "__main__":
    main()
