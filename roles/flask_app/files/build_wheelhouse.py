#!/usr/bin/env python3
"""Build (or reuse) one content-addressed wheelhouse per target Python version.

Run on the controller by the flask_app role (tasks/build.yml, delegate_to localhost,
run_once) with the controller's own Python. Hashes the app source (a project
directory, a wheel or a wheelhouse directory) and its constraints file; for every
requested target Python builds the wheelhouse once (`pip wheel --no-deps` for the
app, `pip download --only-binary=:all:` for manylinux x86_64 dependencies) into
BUILD_DIR/<digest>/cpXY and packs it as a deterministic tar. Prints one JSON
object; `changed` is false when everything came from the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

import argparse
import sys

SKIP_DIRS = {".git", ".hg", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox",
             ".nox", ".venv", "venv", "build", "dist", "instance", "tests", "node_modules"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite", ".swp")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_files(root: str, only_wheels: bool = False) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in filenames:
            if name.endswith(SKIP_SUFFIXES) or (only_wheels and not name.endswith(".whl")):
                continue
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def source_digest(kind: str, source: str, constraints: str | None) -> str:
    digest = hashlib.sha256(f"flask_app-wheelhouse-v1:{kind}\0".encode())
    if kind == "wheel":
        digest.update(os.path.basename(source).encode() + b"\0" + sha256_file(source).encode())
    else:
        for rel in tree_files(source, only_wheels=(kind == "wheelhouse")):
            digest.update(rel.encode() + b"\0" + sha256_file(os.path.join(source, rel)).encode() + b"\n")
    if constraints:
        digest.update(b"constraints\0" + sha256_file(constraints).encode())
    return digest.hexdigest()


def classify(source: str) -> str:
    if os.path.isfile(source) and source.endswith(".whl"):
        return "wheel"
    if os.path.isdir(source):
        if any(os.path.exists(os.path.join(source, f)) for f in ("pyproject.toml", "setup.py", "setup.cfg")):
            return "project"
        if any(name.endswith(".whl") for _, _, files in os.walk(source) for name in files):
            return "wheelhouse"
    return "unknown"


def dist_name(wheel_file: str) -> str:
    return re.sub(r"[-_.]+", "-", os.path.basename(wheel_file).split("-")[0]).lower()


def deterministic_tar(src_dir: str, dest: str) -> None:
    """Pack src_dir with sorted names, zero mtimes and root ownership: same input, same bytes."""
    tmp = dest + ".tmp"
    with open(tmp, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(os.listdir(src_dir)):
            path = os.path.join(src_dir, rel)
            info = tar.gettarinfo(path, arcname=rel)
            info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = 0, 0, 0, "root", "root", 0o644
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
    os.replace(tmp, dest)


def run(module: "Module", args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        module.fail_json(msg=f"{' '.join(args[:4])} ... failed (rc={proc.returncode})",
                         cmd=args, stdout=proc.stdout[-4000:], stderr=proc.stderr[-4000:])


class Module:
    """The two exits: one JSON object on stdout either way."""

    @staticmethod
    def fail_json(**result) -> None:
        print(json.dumps({"failed": True, **result}))
        sys.exit(1)

    @staticmethod
    def exit_json(**result) -> None:
        print(json.dumps(result))
        sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--constraints", default="")
    parser.add_argument("--python-version", dest="python_versions", action="append", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--release-id", default="")
    parser.add_argument("--package", default="")
    parser.add_argument("--pip-python", default=sys.executable)
    parser.add_argument("--platform", dest="platforms", action="append", default=None)
    p = vars(parser.parse_args())
    p["platforms"] = p["platforms"] or ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"]
    p["build_dir"] = os.path.abspath(os.path.expanduser(p["build_dir"]))
    p["constraints"] = os.path.abspath(os.path.expanduser(p["constraints"])) if p["constraints"] else ""
    module = Module()
    source = os.path.realpath(os.path.expanduser(p["source"]))
    kind = classify(source)
    if kind == "unknown":
        module.fail_json(msg=f"flask_app_source: {source} is neither a project directory (pyproject.toml/setup.py), "
                             "a .whl file nor a directory of wheels")
    constraints = p["constraints"] or None
    if constraints and not os.path.isfile(constraints):
        module.fail_json(msg=f"flask_app_constraints: {constraints} does not exist")
    for version in p["python_versions"]:
        if not re.match(r"^3\.[0-9]+$", version):
            module.fail_json(msg=f"target Python version {version!r} is not of the form 3.Y")

    digest = source_digest(kind, source, constraints)
    base = os.path.join(p["build_dir"], digest[:32])
    changed = False
    artifacts = {}
    package = p["package"]
    for version in sorted(set(p["python_versions"])):
        tag = "cp" + version.replace(".", "")
        wheel_dir = os.path.join(base, tag)
        tar_path = wheel_dir + ".tar"
        meta_path = wheel_dir + ".json"
        if not os.path.isfile(meta_path):
            changed = True
            os.makedirs(base, exist_ok=True)
            work = tempfile.mkdtemp(prefix=f".{tag}-", dir=base)
            try:
                out = os.path.join(work, "wheels")
                os.makedirs(out)
                if kind == "wheelhouse":
                    src = os.path.join(source, tag) if os.path.isdir(os.path.join(source, tag)) else source
                    for name in os.listdir(src):
                        if name.endswith(".whl"):
                            shutil.copy2(os.path.join(src, name), out)
                    app_wheel = None
                else:
                    if kind == "project":
                        appdir = os.path.join(work, "app")
                        run(module, [p["pip_python"], "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                                     "-q", "-w", appdir, source])
                        app_wheel = os.path.join(appdir, sorted(os.listdir(appdir))[0])
                    else:
                        app_wheel = source
                    cmd = [p["pip_python"], "-m", "pip", "download", "--disable-pip-version-check", "-q",
                           "--only-binary=:all:", "--implementation", "cp", "--python-version", version,
                           "-d", out]
                    for platform in p["platforms"]:
                        cmd += ["--platform", platform]
                    if constraints:
                        cmd += ["-c", constraints]
                    run(module, cmd + [app_wheel])
                if constraints:
                    shutil.copy2(constraints, os.path.join(out, "constraints.txt"))
                wheels = sorted(n for n in os.listdir(out) if n.endswith(".whl"))
                if not wheels:
                    module.fail_json(msg=f"no wheels in the wheelhouse for Python {version}")
                sums = "".join(f"{sha256_file(os.path.join(out, n))}  {n}\n" for n in sorted(os.listdir(out)))
                with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8") as handle:
                    handle.write(sums)
                if os.path.isdir(wheel_dir):
                    shutil.rmtree(wheel_dir)
                os.replace(out, wheel_dir)
                deterministic_tar(wheel_dir, tar_path)
                meta = {
                    "kind": kind,
                    "source": source,
                    "source_digest": digest,
                    "python": version,
                    "app_wheel": os.path.basename(app_wheel) if app_wheel else None,
                    "package": dist_name(app_wheel) if app_wheel else "",
                    "wheels": wheels,
                    "constraints": bool(constraints),
                    "wheelhouse_sha256": hashlib.sha256(sums.encode()).hexdigest(),
                    "sha256": sha256_file(tar_path),
                }
                with open(meta_path + ".tmp", "w", encoding="utf-8") as handle:
                    json.dump(meta, handle, indent=2, sort_keys=True)
                os.replace(meta_path + ".tmp", meta_path)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        package = package or meta["package"]
        artifacts[version] = {"path": tar_path, "sha256": meta["sha256"], "wheelhouse": wheel_dir, "tag": tag,
                              "wheelhouse_sha256": meta["wheelhouse_sha256"], "wheels": meta["wheels"],
                              "constraints": meta["constraints"]}

    if not package:
        module.fail_json(msg="flask_app_package: cannot tell which distribution to install from a wheelhouse "
                             "directory; set flask_app_package")
    module.exit_json(changed=changed, release_id=p["release_id"] or digest[:12], source_digest=digest,
                     source_kind=kind, package=package, artifacts=artifacts)


if __name__ == "__main__":
    main()
