"""Host-level hardening of the web tier: config files readable by root only,
the validator leaves no copy of /etc/nginx (private key included) behind, and
systemd brings nginx back by itself after a kill -9 of its master."""

import pytest

from nginx_helpers import BASE, CA, master_pid

CONFIG_FILES = [
    "/etc/nginx/nginx.conf",
    "/etc/nginx/conf.d/flaskstack-app.conf",
    "/etc/nginx/conf.d/flaskstack-upstreams.conf",
    "/etc/nginx/conf.d/flaskstack-default-server.conf",
    "/etc/nginx/conf.d/extra-lab-marker.conf",
]
VALIDATE = "/usr/local/sbin/nginx-validate-candidate"


@pytest.mark.parametrize("path", CONFIG_FILES)
def test_config_files_are_0640_root_root(host, path):
    config = host.file(path)
    assert (config.user, config.group) == ("root", "root")
    assert config.mode == 0o640, oct(config.mode)


def test_private_key_is_0600_in_a_0700_directory(host):
    assert host.file("/etc/nginx/ssl/server.key").mode == 0o600
    assert host.file("/etc/nginx/ssl").mode == 0o700


def scratch_copies(host) -> list[str]:
    return host.check_output("find /tmp -maxdepth 1 -name 'nginx-validate.*'").split()


def test_no_scratch_copy_of_etc_nginx_is_left_after_converge_and_check(host):
    # The scenario converged twice and ran --check twice: dozens of validations.
    assert scratch_copies(host) == []


@pytest.mark.parametrize("content,expected_rc", [("# a valid snippet\n", 0), ("not_a_directive on;\n", 1)])
def test_validator_cleans_up_after_success_and_failure(host, content, expected_rc):
    host.check_output(f"printf '{content}' > /root/candidate.conf")
    result = host.run(f"{VALIDATE} conf.d/extra-probe.conf /root/candidate.conf")
    assert result.rc == expected_rc, result.stderr
    assert scratch_copies(host) == []
    assert not host.file("/etc/nginx/conf.d/extra-probe.conf").exists


def test_validator_never_writes_into_the_tls_directory(host):
    result = host.run(f"{VALIDATE} ssl/server.key /etc/hostname")
    assert result.rc == 2
    assert "BEGIN" in host.file("/etc/nginx/ssl/server.key").content_string


def test_nginx_has_a_restart_on_failure_drop_in(host):
    assert host.check_output("systemctl show nginx.service -p Restart --value") == "on-failure"
    assert host.check_output("systemctl show nginx.service -p RestartUSec --value") == "200ms"


def test_nginx_serves_again_within_5_s_after_kill_9_of_its_master(host):
    old = master_pid(host)
    restarts = int(host.check_output("systemctl show nginx.service -p NRestarts --value"))
    # Kill and poll inside the container: serving again = a new master and a 200.
    out = host.check_output(
        "t0=$(date +%s.%N); kill -9 $(cat /run/nginx.pid); "
        "for i in $(seq 1 100); do "
        f"  pid=$(cat /run/nginx.pid 2>/dev/null || true); "
        f"  if [ -n \"$pid\" ] && [ \"$pid\" != {old} ] && kill -0 \"$pid\" 2>/dev/null && "
        f"     [ \"$(curl -s --cacert {CA} -o /dev/null --max-time 1 -w '%{{http_code}}' {BASE}/ping)\" = 200 ]; then "
        "    echo \"$(date +%s.%N) $t0\"; exit 0; fi; sleep 0.1; done; echo timeout")
    assert out != "timeout", "nginx did not come back within ~10 s"
    t1, t0 = (float(x) for x in out.split())
    print(f"nginx serving again {t1 - t0:.2f}s after kill -9 of its master")
    assert t1 - t0 < 5
    assert master_pid(host) != old
    assert int(host.check_output("systemctl show nginx.service -p NRestarts --value")) == restarts + 1
    assert host.service("nginx").is_running
