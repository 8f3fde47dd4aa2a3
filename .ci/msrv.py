#!/usr/bin/env python3
"""CI: the published crates' `rust-version` is true of what they build on.

Reads `cargo metadata --format-version 1` (all features, the lock file's
versions) and walks, from each published crate (np6-client, np6-spec), the
normal and build dependencies a consumer compiles, any feature on. Fails,
naming each one, when a package there declares a `rust-version` above the
crate's own. Only the declarations are compared: no second toolchain is
installed. (A consumer's fresh resolution may pick newer versions; cargo's
MSRV-aware resolver then prefers ones that fit their toolchain.)
"""

import json
import subprocess
import sys

PUBLISHED = ["np6-client", "np6-spec"]


def version_tuple(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    meta = json.loads(out)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    failures = []
    for name in PUBLISHED:
        [root] = [p for p in meta["packages"] if p["name"] == name and p["source"] is None]
        msrv = root.get("rust_version")
        if not msrv:
            failures.append(f"{name} declares no rust-version")
            continue
        seen, todo = set(), [root["id"]]
        while todo:
            node = nodes[todo.pop()]
            for dep in node["deps"]:
                kinds = {k["kind"] for k in dep["dep_kinds"]}
                # None is a normal dependency; dev-dependencies are not built by consumers.
                if not kinds & {None, "build"} or dep["pkg"] in seen:
                    continue
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
        checked = 0
        for pkg_id in sorted(seen):
            pkg = packages[pkg_id]
            checked += 1
            declared = pkg.get("rust_version")
            if declared and version_tuple(declared) > version_tuple(msrv):
                failures.append(
                    f"{name} (rust-version {msrv}) builds {pkg['name']} {pkg['version']}, "
                    f"which needs rust {declared}"
                )
        print(f"{name}: rust-version {msrv}, {checked} dependencies checked")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
