"""os_hardening: what each control does on the host, not only which file it wrote."""

from __future__ import annotations

import pytest

MODULES = ["dccp", "sctp", "rds", "tipc", "usb-storage", "firewire-core"]


def test_login_sessions_get_no_core_dumps(host):
    # runuser goes through PAM (pam_limits) as su, sudo and sshd do.
    assert host.check_output("runuser -u nobody -- sh -c 'ulimit -Hc'") == "0"


def test_services_get_no_core_dumps(host):
    assert host.check_output("systemctl show -P DefaultLimitCORE") == "0"
    assert host.check_output("systemd-run --wait --pipe --quiet sh -c 'ulimit -Hc'") == "0"


def test_systemd_coredump_stores_nothing(host):
    config = host.check_output("systemd-analyze cat-config --no-pager systemd/coredump.conf")
    assert "Storage=none" in config and "ProcessSizeMax=0" in config


def test_new_local_accounts_get_password_ageing(host):
    cmd = host.run("useradd --no-create-home os-hardening-probe && chage -l os-hardening-probe; userdel os-hardening-probe")
    assert cmd.rc == 0, cmd.stderr
    assert "Maximum number of days between password change\t\t: 365" in cmd.stdout
    assert "Minimum number of days between password change\t\t: 1" in cmd.stdout


def test_passwords_are_hashed_with_the_configured_rounds(host):
    login_defs = host.file("/etc/login.defs").content_string
    assert "\nSHA_CRYPT_MIN_ROUNDS\t65536" in login_defs and "\nSHA_CRYPT_MAX_ROUNDS\t65536" in login_defs


@pytest.mark.parametrize("module", MODULES)
def test_unused_kernel_modules_are_refused_and_blacklisted(host, module):
    lines = host.file("/etc/modprobe.d/flaskstack-hardening.conf").content_string.splitlines()
    assert f"install {module} /bin/false" in lines and f"blacklist {module}" in lines


def test_banners_name_no_os(host):
    for path in ("/etc/issue", "/etc/issue.net"):
        text = host.file(path).content_string
        assert "Authorised access only" in text
        assert "Debian" not in text and "\\l" not in text  # getty's escapes would print name and tty


def test_cron_is_readable_by_root_only(host):
    # prepare.yml made them as the cron package does (0755, 0644).
    assert (host.file("/etc/cron.daily").mode, host.file("/etc/crontab").mode) == (0o700, 0o600)
    listing = host.run("runuser -u nobody -- ls /etc/cron.daily")
    assert listing.rc != 0 and "Permission denied" in listing.stderr
    assert host.run("runuser -u nobody -- cat /etc/crontab").rc != 0
