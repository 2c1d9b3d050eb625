"""Rotation is driven by the distro's logrotate.timer, here made hourly."""


def test_logrotate_timer_is_enabled_and_active(host):
    timer = host.service("logrotate.timer")
    assert timer.is_enabled
    assert host.run("systemctl is-active logrotate.timer").stdout.strip() == "active"


def test_logrotate_timer_fires_hourly(host):
    calendar = host.check_output("systemctl show logrotate.timer -p TimersCalendar --value")
    assert "OnCalendar=*-*-* *:00:00" in calendar


def test_the_timer_triggered_service_runs_the_whole_config_cleanly(host):
    host.check_output("systemctl start logrotate.service")
    assert host.check_output("systemctl show logrotate.service -p Result --value") == "success"
