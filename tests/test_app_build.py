"""The controller build of the flask_app role (plugins/module_utils/wheelhouse.py) for the three
example apps: one wheelhouse per target CPython that installs offline (--no-index) and runs the
app from its code directory; pure-Python sdists become wheels; a compiled sdist fails the build
naming the package, the target Python and the fix.

Downloads from the package index on the controller (as the role does); the builds are shared by
the whole session (about 3 minutes on a cold pip cache, seconds after)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / ".cache" / "collections"))
from ansible_collections.flaskstack.deploy.plugins.module_utils.app_shape import detect  # noqa: E402
from ansible_collections.flaskstack.deploy.plugins.module_utils.wheelhouse import (  # noqa: E402
    BuildError, build, is_pure, marker_gaps)

APPS = ROOT / "tests" / "apps"
TARGETS = ("3.11", "3.13")


def interpreter(version: str) -> str | None:
    """A CPython of that version on the controller to install into, if there is one."""
    candidates = [shutil.which(f"python{version}"), f"/usr/bin/python{version}",
                  str(Path.home() / ".pyenv" / "versions")]
    for candidate in candidates[:2]:
        if candidate and Path(candidate).is_file():
            proc = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, check=False)
            if proc.returncode == 0 and proc.stdout.strip() == version:
                return candidate
    pyenv = Path(candidates[2])
    for found in sorted(pyenv.glob(f"{version}.*/bin/python{version}")) if pyenv.is_dir() else []:
        return str(found)
    return None


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wheelhouses")


@pytest.fixture(scope="session")
def built(build_dir):
    cache = {}

    def get(app: str) -> dict:
        if app not in cache:
            cache[app] = build(detect(str(APPS / app)), str(build_dir), list(TARGETS), sys.executable)
        return cache[app]
    return get


def install(result: dict, version: str, dest: Path) -> tuple[Path, Path]:
    """Like release.yml: venv + offline install from the wheelhouse + code unpacked; (python, code dir)."""
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this controller to install into")
    wheelhouse = dest / "wheelhouse"
    with tarfile.open(result["artifacts"][version]["path"]) as tar:
        tar.extractall(wheelhouse, filter="data")
    code = dest / "code"
    with tarfile.open(result["code"]["path"]) as tar:
        tar.extractall(code, filter="data")
    subprocess.run([python, "-m", "venv", str(dest / "venv")], check=True)
    venv_python = dest / "venv" / "bin" / "python"
    proc = subprocess.run([str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "--no-index", "--find-links", str(wheelhouse), "-r", str(wheelhouse / "pins.txt")],
                          capture_output=True, text=True, check=False, env={**os.environ, "PIP_CONFIG_FILE": "/dev/null"})
    assert proc.returncode == 0, proc.stderr
    return venv_python, code


def run_in(code: Path, argv: list[str], **env) -> subprocess.CompletedProcess:
    """A process of the release: working directory = the code directory, PYTHONPATH as release.env sets it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTHON", "VIRTUAL_ENV"))}
    proc = subprocess.run(argv, cwd=code, capture_output=True, text=True, check=False, timeout=120,
                          env={**clean, "PYTHONPATH": str(code), **env})
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.parametrize("version", TARGETS)
def test_factory_app_migrates_seeds_and_serves_offline_from_its_code_dir(built, tmp_path, version):
    result = built("factory_app")
    python, code = install(result, version, tmp_path)
    bin_dir = python.parent
    env = {"FLASK_APP": "main:create_app()", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
           "JWT_SECRET_KEY": "jwt-test-key"}
    # Flask-Migrate finds migrations/ relative to the working directory: the release's code dir.
    assert "Running upgrade  -> 86a74f89a38a" in run_in(code, [str(bin_dir / "flask"), "db", "upgrade"], **env).stderr
    assert run_in(code, [str(bin_dir / "flask"), "db-custom", "seed"], **env).stdout.strip() == "seeded"
    probe = ("from main import create_app; r = create_app().test_client().get('/'); "
             "import json; print(json.dumps(r.get_json()))")
    answer = json.loads(run_in(code, [str(python), "-c", probe], **env).stdout)
    assert answer == {"notes": ["first", "second"], "release": "", "docopt": "0.6.2", "jwt_configured": True}


def test_factory_app_gets_binary_wheels_per_target_and_its_sdist_only_dependency_built_here(built):
    result = built("factory_app")
    for version in TARGETS:
        tag = "cp" + version.replace(".", "")
        wheels = result["artifacts"][version]["wheels"]
        assert any(w.startswith("psycopg_binary-") and f"-{tag}-{tag}-manylinux" in w for w in wheels), wheels
        assert any(w.startswith("sqlalchemy-") and f"-{tag}-" in w for w in wheels), wheels
        assert result["artifacts"][version]["sdist_wheels"] == ["docopt-0.6.2-py2.py3-none-any.whl"]
        assert result["artifacts"][version]["constraints"] is True
    assert is_pure("docopt-0.6.2-py2.py3-none-any.whl")


def test_a_second_build_of_the_same_source_comes_from_the_cache(built, build_dir):
    first = built("beanstalk_app")
    again = build(detect(str(APPS / "beanstalk_app")), str(build_dir), list(TARGETS), sys.executable)
    assert again["changed"] is False
    assert again["release_id"] == first["release_id"]
    assert again["artifacts"]["3.13"]["sha256"] == first["artifacts"]["3.13"]["sha256"]


@pytest.mark.parametrize("version", TARGETS)
def test_beanstalk_app_reads_static_files_relative_to_its_code_dir(built, tmp_path, version):
    result = built("beanstalk_app")
    assert result["install"] == "pins" and result["artifacts"][version]["constraints"] is False
    python, code = install(result, version, tmp_path)
    probe = ("from application import application as a; c = a.test_client(); "
             "print(c.get('/banner').get_json()['banner'], c.get('/static/style.css').status_code)")
    assert run_in(code, [str(python), "-c", probe]).stdout.split("\n")[0] == \
        "served from the release's code directory 200"
    # The role adds gunicorn even though a Beanstalk app does not list it.
    run_in(code, [str(python.parent / "gunicorn"), "--check-config", "application:application"])


@pytest.mark.parametrize("version", TARGETS)
def test_procfile_app_release_commands_and_worker_binary_install_offline(built, tmp_path, version):
    result = built("procfile_app")
    python, code = install(result, version, tmp_path)
    bin_dir = python.parent
    env = {"FLASK_APP": "jobs.web:create_app()"}
    assert run_in(code, [str(bin_dir / "flask"), "db-init"], **env).stdout.startswith("db-init ok")
    assert run_in(code, [str(bin_dir / "flask"), "jobs", "check"], **env).stdout.strip() == "jobs ok"
    assert (bin_dir / "rq").is_file()  # the worker: process type's command
    run_in(code, [str(bin_dir / "gunicorn"), "--check-config", "jobs.web:app"])


def _compiled_sdist(directory: Path) -> None:
    """An sdist whose build needs a C compiler (and fails even with one): no wheel anywhere."""
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: needs-compiler-demo\nVersion: 1.0\n",
        "setup.py": ("from setuptools import Extension, setup\n"
                     "setup(name='needs-compiler-demo', version='1.0',"
                     " ext_modules=[Extension('fastpart', ['fastpart.c'])])\n"),
        "fastpart.c": "#error this extension needs a real compiler toolchain\n",
    }
    with tarfile.open(directory / "needs_compiler_demo-1.0.tar.gz", "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"needs_compiler_demo-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_an_sdist_that_needs_a_compiler_fails_naming_package_target_and_fix(tmp_path, monkeypatch):
    links = tmp_path / "links"
    links.mkdir()
    _compiled_sdist(links)
    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("needs-compiler-demo==1.0\n")
    (app / "app.py").write_text("app = None\n")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    with pytest.raises(BuildError) as failure:
        build(detect(str(app)), str(tmp_path / "build"), ["3.13"], sys.executable)
    message = str(failure.value)
    assert "dependency needs-compiler-demo==1.0: no wheel for CPython 3.13 (cp313, manylinux x86_64)" in message
    assert "does not build here (it needs a compiler" in message
    assert "pin a version of needs-compiler-demo that publishes cp313 manylinux wheels" in message
    assert "point flask_app_source at that wheelhouse directory" in message
    assert failure.value.details["package"] == "needs-compiler-demo"


def test_a_marker_on_the_hosts_full_python_version_is_evaluated_for_the_host(build_dir):
    # redis needs async-timeout on Python < 3.11.3 only (Debian 12 ships 3.11.2); pip evaluates
    # markers for the controller's interpreter, so the build must add what the hosts need.
    result = build(detect(str(APPS / "procfile_app")), str(build_dir), ["3.11.2"], sys.executable)
    wheels = result["artifacts"]["3.11"]["wheels"]
    assert any(w.startswith("async_timeout-") for w in wheels), wheels
    assert "async-timeout==" in (Path(result["artifacts"]["3.11"]["wheelhouse"]) / "pins.txt").read_text()
    newer = build(detect(str(APPS / "procfile_app")), str(build_dir), ["3.11.9"], sys.executable)
    assert not any(w.startswith("async_timeout-") for w in newer["artifacts"]["3.11"]["wheels"])


def _wheel(directory: Path, name: str, requires: list[str]) -> None:
    import zipfile
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name + "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(directory / f"{name}-1.0-py3-none-any.whl", "w") as archive:
        archive.writestr(f"{name}-1.0.dist-info/METADATA", meta)


def test_marker_gaps_name_only_conditional_requirements_the_hosts_need(tmp_path):
    _wheel(tmp_path, "client", ['async-timeout>=4.0.3; python_full_version < "3.11.3"', "present>=1",
                                'tomli; python_version < "3.11"', 'extra-only; extra == "speed"',
                                'winonly; sys_platform == "win32"'])
    _wheel(tmp_path, "present", [])
    assert marker_gaps(str(tmp_path), ["3.11.2"]) == ["async-timeout>=4.0.3"]
    assert marker_gaps(str(tmp_path), ["3.10.12", "3.11.9"]) == ["async-timeout>=4.0.3", "tomli"]
    assert marker_gaps(str(tmp_path), ["3.13.5"]) == []
