"""A requirements.txt-shaped app (tests/apps/beanstalk_app: Beanstalk application.py, static/, no
health endpoint) deployed next to the reference app: it serves, its processes run with the
release's code directory as working directory, and that code is read-only to the app user."""

import json

import pytest

from fa_helpers import APP, ROOT

SHAPE_APP = "beanstalk"
SHAPE_ROOT = f"/srv/{SHAPE_APP}"
SHAPE_SOCKET = f"/run/{SHAPE_APP}/gunicorn.sock"


def _get(host, path: str, socket: str = SHAPE_SOCKET) -> tuple[int, str]:
    out = host.check_output(f"curl -s --max-time 10 --unix-socket {socket} -w '\\n%{{http_code}}' "
                            f"http://localhost{path}")
    body, _, code = out.rpartition("\n")
    return int(code), body


def _release_code_dir(host, root: str) -> str:
    return f"{root}/releases/{host.file(f'{root}/current').linked_to.rsplit('/', 1)[-1]}/code"


def test_the_beanstalk_app_serves_its_page_and_static_files(host):
    code, body = _get(host, "/")
    assert code == 200 and "beanstalk app, release" in body
    code, css = _get(host, "/static/style.css")
    assert code == 200 and "font-family" in css


def test_a_file_opened_relative_to_the_working_directory_is_the_releases_code(host):
    code, body = _get(host, "/banner")
    answer = json.loads(body)
    assert code == 200
    assert answer["banner"] == "served from the release's code directory"
    assert answer["cwd"] == _release_code_dir(host, SHAPE_ROOT)
    assert answer["release"] == host.file(f"{SHAPE_ROOT}/current").linked_to.rsplit("/", 1)[-1]


@pytest.mark.parametrize(("app", "root"), [(SHAPE_APP, SHAPE_ROOT), (APP, ROOT)])
def test_the_service_runs_in_the_current_releases_code_directory(host, app, root):
    # /proc/<pid>/cwd needs CAP_SYS_PTRACE, which `docker exec` lacks here: read the unit instead
    # (the /banner test above shows the process really runs there).
    unit_dir = host.check_output(f"systemctl show -p WorkingDirectory --value {app}.service").lstrip("-!")
    assert unit_dir == f"{root}/current/code"
    assert host.check_output(f"readlink -f {unit_dir}") == _release_code_dir(host, root)


def test_the_code_is_owned_by_root_and_read_only_to_the_app_user(host):
    code_dir = _release_code_dir(host, SHAPE_ROOT)
    for path in (code_dir, f"{code_dir}/application.py", f"{code_dir}/static/banner.txt"):
        item = host.file(path)
        assert (item.user, item.group) == ("root", "root"), path
        assert item.mode & 0o022 == 0, f"{path} {oct(item.mode)}"
    refused = host.run(f"runuser -u {SHAPE_APP} -- touch {code_dir}/static/new.txt")
    assert refused.rc != 0


def test_the_detected_shape_is_recorded_in_the_release_metadata(host):
    meta = json.loads(host.file(f"{SHAPE_ROOT}/current/metadata.json").content_string)
    assert (meta["shape"], meta["wsgi_app"], meta["cli_app"]) == (
        "requirements", "application:application", "application:application")
    assert any(w.startswith("gunicorn-") for w in meta["wheels"])  # added although the app does not list it
    # The release's own FLASK_APP (release commands run before the switch): in release.env, not the shared env file.
    assert 'FLASK_APP="application:application"' in host.file(f"{SHAPE_ROOT}/current/release.env").content_string
    assert "FLASK_APP=" not in host.file(f"/etc/{SHAPE_APP}/{SHAPE_APP}.env").content_string
