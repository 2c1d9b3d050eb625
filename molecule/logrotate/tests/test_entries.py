"""The /etc/logrotate.d files the role manages are valid, safe and do what the stack needs."""

import re

import pytest

MANAGED = ["demoapp", "nginx", "postgresql-common", "batch"]


def _debug_errors(host, path):
    """rc and the error lines of `logrotate --debug`; an unknown directive exits 0 and is
    reported as "error: FILE:LINE" by 3.21 and "warning: FILE:LINE" by 3.22."""
    out = host.run(f"logrotate --debug {path}")
    errors = [line for line in (out.stdout + out.stderr).splitlines()
              if line.startswith("error:") or re.match(r"warning: \S+:\d+ ", line)]
    return out.rc, errors


def _postrotate(host, name):
    script = host.check_output(f"sed -n '/^ *postrotate$/,/^ *endscript$/p' /etc/logrotate.d/{name}")
    return "\n".join(script.splitlines()[1:-1])


@pytest.mark.parametrize("name", MANAGED)
def test_entry_passes_logrotate_debug(host, name):
    assert _debug_errors(host, f"/etc/logrotate.d/{name}") == (0, [])


def test_whole_configuration_passes_logrotate_debug(host):
    assert _debug_errors(host, "/etc/logrotate.conf") == (0, [])


@pytest.mark.parametrize("name", MANAGED)
def test_entry_is_root_owned_and_not_writable_by_others(host, name):
    entry = host.file(f"/etc/logrotate.d/{name}")
    assert (entry.user, entry.group, entry.mode) == ("root", "root", 0o644)


def test_entry_marked_absent_was_removed(host):
    assert not host.file("/etc/logrotate.d/legacy-app").exists


def test_size_entry_covers_every_path_and_rotates_by_size(host):
    out = host.check_output("logrotate --debug /etc/logrotate.d/batch 2>&1")
    assert "considering log /var/log/batch/*.log" in out
    assert "considering log /var/log/batch/*.out" in out
    assert "10485760 bytes" in out


def test_nginx_entry_reopens_through_systemd_not_invoke_rc_d(host):
    script = _postrotate(host, "nginx")
    assert "invoke-rc.d" not in script
    assert "systemctl kill --signal=USR1 --kill-who=main nginx.service" in script


def test_nginx_postrotate_is_harmless_when_nginx_is_not_running(host):
    assert not host.service("nginx.service").is_running
    assert host.run(_postrotate(host, "nginx")).rc == 0


def test_postgres_entry_copytruncates_its_log_dir(host):
    out = host.check_output("logrotate --debug /etc/logrotate.d/postgresql-common 2>&1")
    assert "considering log /var/log/postgresql/*.log" in out
    assert "copytruncate" in host.file("/etc/logrotate.d/postgresql-common").content_string
