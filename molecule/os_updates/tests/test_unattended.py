"""unattended-upgrades takes security updates only and never reboots.

Canaries (prepare.yml): version 2.0 of flaskstack-point-canary sits in a local
origin labelled like Debian's main archive, flaskstack-security-canary and
flaskstack-held-canary (blacklisted by the converge) in one labelled like the
security archive; 1.0 of each is installed.
"""

import re

import pytest

SECURITY_ONLY = "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"


@pytest.fixture(scope="module")
def dry_run(host) -> str:
    """One `unattended-upgrade --dry-run --debug` per host (it simulates each upgrade: minutes on a busy machine)."""
    cmd = host.run("unattended-upgrade --dry-run --debug")
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout + cmd.stderr


def _to_upgrade(output: str) -> set[str]:
    match = re.search(r"^Packages that will be upgraded: (.*)$", output, re.M)
    return set(match.group(1).split()) if match else set()


def _version(host, package: str) -> str:
    return host.check_output(f"dpkg-query -W -f '${{Version}}' {package}")


def _candidate_sources(policy: str) -> list[str]:
    """The archives `apt-cache policy` lists under the candidate version."""
    candidate = re.search(r"Candidate: (\S+)", policy).group(1)
    sources, current = [], None
    for line in policy.split("Version table:", 1)[1].splitlines():
        version = re.match(r"^ {5}(?:\*\*\* )?(\S+) -?\d+", line)
        if version:
            current = version.group(1)
        elif current == candidate and line.strip():
            sources.append(line.strip())
    return sources


def test_the_only_allowed_origin_is_the_security_archive(host, dry_run):
    output = dry_run
    codename = host.system_info.codename
    # Printed as "a, b" (2.9 on Debian 12) or as a Python list ("['a', 'b']").
    allowed = re.search(r"^Allowed origins are: (.*)$", output, re.M).group(1)
    origins = [o.strip(" '") for o in allowed.strip("[]").split("', '" if "'" in allowed else ", ")]
    assert origins == [SECURITY_ONLY.replace("${distro_codename}", codename)]


def test_the_dry_run_selects_security_updates_and_skips_the_rest(host, dry_run):
    selected = _to_upgrade(dry_run)
    assert "flaskstack-security-canary" in selected
    assert "flaskstack-point-canary" not in selected, "a main-archive update was selected"
    assert "flaskstack-held-canary" not in selected, "a blacklisted package was selected"
    # Every selected package's candidate comes from a security archive (the real one or the stand-in).
    for package in selected:
        sources = _candidate_sources(host.check_output(f"apt-cache policy {package}"))
        assert any("-security" in s for s in sources), (package, sources)


def test_no_automatic_reboot_is_configured(host):
    assert host.check_output("apt-config dump Unattended-Upgrade::Automatic-Reboot") == \
        'Unattended-Upgrade::Automatic-Reboot "false";'
    assert host.check_output("apt-config dump Unattended-Upgrade::Automatic-Reboot-WithUsers") == \
        'Unattended-Upgrade::Automatic-Reboot-WithUsers "false";'


def test_apts_periodic_jobs_run_unattended_upgrades(host):
    periodic = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic


def test_a_real_run_with_reboot_required_upgrades_security_only_and_does_not_reboot(host):
    boot_id = host.file("/proc/sys/kernel/random/boot_id").content_string.strip()
    host.check_output("touch /var/run/reboot-required")
    cmd = host.run("unattended-upgrade --debug")
    assert cmd.rc == 0, cmd.stdout[-2000:] + cmd.stderr[-2000:]
    assert _version(host, "flaskstack-security-canary") == "2.0"
    assert _version(host, "flaskstack-point-canary") == "1.0"
    assert _version(host, "flaskstack-held-canary") == "1.0"
    assert "Rebooting" not in cmd.stdout + cmd.stderr
    assert not host.file("/run/systemd/shutdown/scheduled").exists
    assert host.file("/proc/sys/kernel/random/boot_id").content_string.strip() == boot_id
    assert host.file("/var/run/reboot-required").exists
    host.check_output("rm -f /var/run/reboot-required")
