"""apt's daily timers drive the updates; apt-daily-upgrade on the converge's schedule."""

import pytest


@pytest.mark.parametrize("timer", ["apt-daily.timer", "apt-daily-upgrade.timer"])
def test_apt_timer_is_enabled_and_active(host, timer):
    assert host.service(timer).is_enabled
    assert host.run(f"systemctl is-active {timer}").stdout.strip() == "active"


def test_updates_are_applied_on_the_chosen_schedule(host):
    calendar = host.check_output("systemctl show apt-daily-upgrade.timer -p TimersCalendar --value")
    assert "OnCalendar=*-*-* 03:30:00" in calendar
    assert calendar.count("OnCalendar=") == 1, calendar
