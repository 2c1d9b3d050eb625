"""journald runs with the configured caps from the role's drop-in."""

DROPIN = "/etc/systemd/journald.conf.d/50-flaskstack-logrotate.conf"
CAPS = {"SystemMaxUse": "64M", "SystemKeepFree": "256M", "MaxRetentionSec": "2week"}


def test_dropin_holds_the_configured_caps(host):
    content = host.file(DROPIN).content_string
    for key, value in CAPS.items():
        assert f"\n{key}={value}\n" in content


def test_effective_journald_config_ends_with_the_caps(host):
    # cat-config prints every file in the order systemd reads them; the last
    # assignment of a key is the one journald uses.
    lines = host.check_output("systemd-analyze cat-config systemd/journald.conf").splitlines()
    effective = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and not line.lstrip().startswith("#"):
            effective[key] = value
    assert {key: effective.get(key) for key in CAPS} == CAPS


def test_journald_was_restarted_after_the_dropin_changed(host):
    started = host.check_output(
        "date -d \"$(systemctl show systemd-journald.service -p ActiveEnterTimestamp --value)\" +%s")
    assert int(started) >= int(host.file(DROPIN).mtime.timestamp())
