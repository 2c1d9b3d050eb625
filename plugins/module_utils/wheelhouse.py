# -*- coding: utf-8 -*-
# Copyright: flaskstack maintainers
# MIT License (see galaxy.yml)
"""Build (or reuse) one content-addressed wheelhouse per target Python, on the controller.

Called by the flask_app role's build action (plugins/action/app_build.py) with the
shape `app_shape.detect()` found. Standard library only; pip runs as a subprocess
of the controller's Python.

For every target CPython X.Y (the app hosts' Python) the wheelhouse holds exactly the
wheels a host installs offline:
  - binary wheels for manylinux x86_64 / cpXY where the dependency publishes them;
  - pure-Python wheels built here from dependencies that publish only an sdist;
  - the app's own wheel (packaged project) or nothing (requirements.txt app: its code
    ships as code.tar next to the wheelhouse and runs from the release's code dir).
A dependency that publishes neither a wheel for the target nor a pure-Python sdist
fails the build, naming the package, the target Python and the fix.

Everything lands in BUILD_DIR/<digest>/ (digest over the shipped files, the
constraints file and the shape), so a second run finds the cache and builds nothing.
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
import zipfile

from .app_shape import ShapeError, tree_files

DEFAULT_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
DIGEST_VERSION = "flask_app-wheelhouse-v3"
# Added to every app's closure: the role serves it with gunicorn even when the app does not list it.
SERVER_REQUIREMENTS = ("gunicorn",)


class BuildError(RuntimeError):
    """The build failed; `details` carries pip's output for the task result."""

    def __init__(self, msg: str, **details):
        super().__init__(msg)
        self.details = details


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(wheel_file: str) -> str:
    return normalize(os.path.basename(wheel_file).split("-")[0])


def dist_version(wheel_file: str) -> str:
    return os.path.basename(wheel_file).split("-")[1]


def is_pure(wheel_file: str) -> bool:
    """A wheel that runs on any CPython 3 and platform (py3-none-any, py2.py3-none-any)."""
    parts = os.path.basename(wheel_file)[:-len(".whl")].split("-")
    return parts[-2] == "none" and parts[-1] == "any" and all(t.startswith("py") for t in parts[-3].split("."))


def source_digest(shape: dict) -> str:
    """Hash of everything that makes a release: shipped files, constraints and how the app is run."""
    kind, source = shape["kind"], shape["source"]
    digest = hashlib.sha256(f"{DIGEST_VERSION}:{kind}\0".encode())
    if kind == "wheel":
        digest.update(os.path.basename(source).encode() + b"\0" + sha256_file(source).encode())
    else:
        for rel in tree_files(source, only_wheels=(kind == "wheelhouse")):
            digest.update(rel.encode() + b"\0" + sha256_file(os.path.join(source, rel)).encode() + b"\n")
    if shape.get("constraints"):
        digest.update(b"constraints\0" + sha256_file(shape["constraints"]).encode())
    return digest.hexdigest()


def deterministic_tar(src_dir: str, dest: str, files: list[str] | None = None) -> None:
    """Pack src_dir (or the given relative files of it) with sorted names, zero mtimes, root
    ownership and 0755/0644 modes: same input, same bytes; read-only to everyone but root."""
    tmp = dest + ".tmp"
    names = sorted(files) if files is not None else sorted(os.listdir(src_dir))
    dirs_done: set[str] = set()
    with open(tmp, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in names:
            parent = os.path.dirname(rel)
            chain = []
            while parent and parent not in dirs_done:
                chain.append(parent)
                parent = os.path.dirname(parent)
            for directory in reversed(chain):
                info = tarfile.TarInfo(directory)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                info.uname = info.gname = "root"
                tar.addfile(info)
                dirs_done.add(directory)
            path = os.path.join(src_dir, rel)
            info = tar.gettarinfo(path, arcname=rel)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
    os.replace(tmp, dest)


def pip(python: str, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False)


def missing_package(stderr: str) -> str | None:
    """The requirement pip could not satisfy, from its error output."""
    for pattern in (r"No matching distribution found for ([^\s;]+)",
                    r"Could not find a version that satisfies the requirement ([^\s;]+)"):
        found = re.findall(pattern, stderr)
        if found:
            return found[-1]
    return None


def requirement_args(shape: dict) -> list[str]:
    """What pip resolves: the app's requirements.txt or wheel, plus the server."""
    if shape["kind"] == "requirements":
        return ["-r", os.path.join(shape["source"], "requirements.txt"), *SERVER_REQUIREMENTS]
    return [shape["_app_wheel"], *SERVER_REQUIREMENTS]


def build_sdist_wheels(python: str, shape: dict, work: str) -> tuple[str, dict[str, str]]:
    """Wheels built from the dependencies that publish only an sdist (for the controller's Python).

    Returns (a find-links directory holding the pure-Python ones, {package: why not} for
    those that could not become a pure wheel: build failed or the wheel is compiled)."""
    downloads = os.path.join(work, "sdists")
    pure_dir = os.path.join(work, "pure")
    os.makedirs(pure_dir)
    args = ["download", "-q", "-d", downloads]
    args += requirement_args(shape)
    if shape.get("constraints"):
        args += ["-c", shape["constraints"]]
    proc = pip(python, args)
    if proc.returncode != 0:
        package = missing_package(proc.stderr)
        if package:
            raise BuildError(f"dependency {package} cannot be found on the package index: check its name and "
                             "version in requirements.txt / the constraints", stderr=proc.stderr[-4000:])
        raise BuildError("pip could not download the app's dependencies on the controller: see stderr",
                         stderr=proc.stderr[-4000:], stdout=proc.stdout[-4000:])
    failed: dict[str, str] = {}
    for name in sorted(os.listdir(downloads)):
        if name.endswith(".whl"):
            continue
        out = os.path.join(work, "built-" + name)
        built = pip(python, ["wheel", "-q", "--no-deps", "-w", out, os.path.join(downloads, name)])
        wheels = [w for w in os.listdir(out) if w.endswith(".whl")] if os.path.isdir(out) else []
        package = normalize(re.sub(r"-[0-9][^-]*\.(tar\.gz|tar\.bz2|zip|tgz)$", "", name))
        if built.returncode != 0 or not wheels:
            failed[package] = "its sdist does not build here (it needs a compiler or build dependencies)"
        elif not is_pure(wheels[0]):
            failed[package] = f"its sdist builds a compiled wheel ({wheels[0]}), which needs a compiler"
        else:
            shutil.copy2(os.path.join(out, wheels[0]), pure_dir)
    return pure_dir, failed


def marker_environment(full_version: str) -> dict[str, str]:
    """PEP 508 marker values of a Linux x86_64 CPython host of `full_version` (3.Y.Z)."""
    return {"implementation_name": "cpython", "implementation_version": full_version, "os_name": "posix",
            "platform_machine": "x86_64", "platform_python_implementation": "CPython", "platform_release": "",
            "platform_system": "Linux", "platform_version": "", "python_full_version": full_version,
            "python_version": ".".join(full_version.split(".")[:2]), "sys_platform": "linux", "extra": ""}


def wheel_requirements(path: str) -> list[str]:
    """The Requires-Dist lines of a wheel's METADATA."""
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8", "replace")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def marker_gaps(out: str, full_versions: list[str]) -> list[str]:
    """Requirements the hosts need that pip left out.

    pip evaluates environment markers against the controller's interpreter, not the target
    (`--python-version` only selects wheel tags): redis on Python 3.11.2 needs
    `async-timeout; python_full_version < "3.11.3"`, which a 3.11.7 controller skips. Each
    wheel's conditional requirements are evaluated for every host Python seen."""
    from packaging.requirements import Requirement  # ansible-core's own dependency

    wheels = [n for n in os.listdir(out) if n.endswith(".whl")]
    present = {normalize(dist_name(w)) for w in wheels}
    gaps = set()
    for wheel in wheels:
        for line in wheel_requirements(os.path.join(out, wheel)):
            req = Requirement(line)
            if req.marker is None or normalize(req.name) in present:
                continue
            if any(req.marker.evaluate(marker_environment(full)) for full in full_versions):
                extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
                gaps.add(f"{req.name}{extras}{req.specifier}")
    return sorted(gaps)


def download_for_target(python: str, shape: dict, version: str, platforms: tuple[str, ...], out: str,
                        pure_dir: str, failed: dict[str, str], full_versions: list[str] | None = None) -> None:
    """Binary wheels (plus the pure ones built here) of the whole closure for CPython `version`,
    completed with the conditional requirements the hosts' `full_versions` (3.Y.Z) need."""
    tag = "cp" + version.replace(".", "")
    base_args = ["download", "-q", "--only-binary=:all:", "--implementation", "cp", "--python-version", version,
                 "--find-links", pure_dir, "-d", out]
    for platform in platforms:
        base_args += ["--platform", platform]
    constraints = ["-c", shape["constraints"]] if shape.get("constraints") else []
    proc = pip(python, base_args + requirement_args(shape) + constraints)
    for _round in range(5):
        if proc.returncode != 0:
            break
        gaps = marker_gaps(out, full_versions or [])
        if not gaps:
            return
        proc = pip(python, base_args + gaps + constraints)
    if proc.returncode == 0:
        raise BuildError(f"the conditional requirements for CPython {version} did not settle after 5 rounds",
                         python=version)
    package = missing_package(proc.stderr)
    name = normalize(re.split(r"[<>=!~\[;@ ]", package, maxsplit=1)[0]) if package else ""
    if name:
        why = failed.get(name, "it publishes no wheel for this target and no pure-Python sdist")
        raise BuildError(
            f"dependency {package}: no wheel for CPython {version} ({tag}, manylinux x86_64) and {why}. Fix: pin a "
            f"version of {name} that publishes {tag} manylinux wheels (or a pure-Python one), or build the wheels "
            "yourself and point flask_app_source at that wheelhouse directory",
            package=name, python=version, stderr=proc.stderr[-4000:])
    raise BuildError(f"pip could not assemble the wheelhouse for CPython {version}: see stderr",
                     python=version, stderr=proc.stderr[-4000:], stdout=proc.stdout[-4000:])


def pins(wheels: list[str]) -> str:
    """name==version for every wheel: what a host installs, exactly."""
    return "".join(f"{dist_name(w)}=={dist_version(w)}\n" for w in sorted(wheels, key=dist_name))


def build(shape: dict, build_dir: str, python_versions: list[str], pip_python: str,
          platforms: tuple[str, ...] = DEFAULT_PLATFORMS, package: str = "", release_id: str = "") -> dict:
    """Build or reuse the wheelhouses (and code archive) of `shape`; returns what the role needs."""
    # 3.Y (wheel tags only) or 3.Y.Z (also the environment markers of the hosts' exact version).
    full_versions: dict[str, list[str]] = {}
    for version in python_versions:
        if not re.match(r"^3\.[0-9]+(\.[0-9]+)?$", version):
            raise ShapeError(f"target Python version {version!r} is not of the form 3.Y or 3.Y.Z")
        minor = ".".join(version.split(".")[:2])
        full_versions.setdefault(minor, [])
        if version != minor and version not in full_versions[minor]:
            full_versions[minor].append(version)
    python_versions = sorted(full_versions)
    build_dir = os.path.abspath(os.path.expanduser(build_dir))
    source, kind = shape["source"], shape["kind"]
    digest = source_digest(shape)
    base = os.path.join(build_dir, digest[:32])
    os.makedirs(base, exist_ok=True)
    changed = False

    code = None
    if shape.get("ships_code"):
        code_tar = os.path.join(base, "code.tar")
        if not os.path.isfile(code_tar):
            changed = True
            deterministic_tar(source, code_tar, tree_files(source))
        code = {"path": code_tar, "sha256": sha256_file(code_tar)}

    artifacts = {}
    app_wheel_dir = os.path.join(base, "app")
    for version in sorted(set(python_versions)):
        tag = "cp" + version.replace(".", "")
        fulls = sorted(full_versions[version])
        # One wheelhouse per set of exact host versions: their markers may select different wheels.
        wheel_dir = os.path.join(base, tag + "".join(f"-{full}" for full in fulls))
        tar_path, meta_path = wheel_dir + ".tar", wheel_dir + ".json"
        if not os.path.isfile(meta_path):
            changed = True
            work = tempfile.mkdtemp(prefix=f".{tag}-", dir=base)
            try:
                out = os.path.join(work, "wheels")
                os.makedirs(out)
                app_wheel = None
                if kind == "wheelhouse":
                    src = os.path.join(source, tag) if os.path.isdir(os.path.join(source, tag)) else source
                    for name in os.listdir(src):
                        if name.endswith(".whl"):
                            shutil.copy2(os.path.join(src, name), out)
                else:
                    if kind == "project":
                        if not os.path.isdir(app_wheel_dir):
                            tmp_app = os.path.join(work, "app")
                            proc = pip(pip_python, ["wheel", "--no-deps", "-q", "-w", tmp_app, source])
                            if proc.returncode != 0:
                                raise BuildError(f"pip wheel of the project {source} failed: see stderr",
                                                 stderr=proc.stderr[-4000:], stdout=proc.stdout[-4000:])
                            os.replace(tmp_app, app_wheel_dir)
                        app_wheel = os.path.join(app_wheel_dir, sorted(os.listdir(app_wheel_dir))[0])
                    elif kind == "wheel":
                        app_wheel = source
                    shape = dict(shape, _app_wheel=app_wheel)
                    sdist_dir = os.path.join(base, "sdist-wheels")
                    failed_path = sdist_dir + ".json"
                    if not os.path.isfile(failed_path):
                        tmp = tempfile.mkdtemp(prefix=".sdists-", dir=base)
                        try:
                            pure_dir, failed = build_sdist_wheels(pip_python, shape, tmp)
                            if os.path.isdir(sdist_dir):
                                shutil.rmtree(sdist_dir)
                            os.replace(pure_dir, sdist_dir)
                            with open(failed_path, "w", encoding="utf-8") as handle:
                                json.dump(failed, handle)
                        finally:
                            shutil.rmtree(tmp, ignore_errors=True)
                    with open(failed_path, encoding="utf-8") as handle:
                        failed = json.load(handle)
                    download_for_target(pip_python, shape, version, platforms, out, sdist_dir, failed, fulls)
                if shape.get("constraints"):
                    shutil.copy2(shape["constraints"], os.path.join(out, "constraints.txt"))
                wheels = sorted(n for n in os.listdir(out) if n.endswith(".whl"))
                if not wheels and kind != "requirements":
                    raise BuildError(f"no wheels in the wheelhouse for Python {version}")
                with open(os.path.join(out, "pins.txt"), "w", encoding="utf-8") as handle:
                    handle.write(pins(wheels))
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
                    "sdist_wheels": sorted(w for w in wheels
                                           if os.path.isfile(os.path.join(base, "sdist-wheels", w))),
                    "constraints": bool(shape.get("constraints")),
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
                              "sdist_wheels": meta.get("sdist_wheels", []), "constraints": meta["constraints"]}

    if kind == "wheelhouse" and not package:
        raise ShapeError("flask_app_package: cannot tell which distribution to install from a wheelhouse "
                         "directory; set flask_app_package")
    # What a host installs: the app's distribution, or the pinned closure of requirements.txt.
    install = "pins" if kind == "requirements" else "package"
    # gunicorn serves every shape; a wheelhouse directory brings its own (or fails the install).
    extra = [] if kind == "wheelhouse" else list(SERVER_REQUIREMENTS)
    return {"changed": changed, "release_id": release_id or digest[:12], "source_digest": digest,
            "source_kind": kind, "package": package, "install": install, "extra_requirements": extra,
            "code": code, "artifacts": artifacts}
