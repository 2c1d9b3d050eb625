"""Config changes land only when valid and are applied by reload: a broken
snippet is refused while nginx keeps serving the old config; draining a server
with --tags nginx_upstreams takes it out without restarting nginx."""

from nginx_helpers import BASE, CA, codes_and_upstreams, master_pid, run_side_playbook, status_counts

SNIPPET = "/etc/nginx/conf.d/extra-lab-marker.conf"
# What a validator before the fix left behind: a copy of /etc/nginx, key included.
STALE = "/tmp/nginx-validate.stale1"


def test_plant_a_stale_scratch_copy_like_the_old_validator_left(host):
    host.check_output(f"mkdir -p {STALE}/ssl && cp /etc/nginx/ssl/server.key {STALE}/ssl/ "
                      f"&& touch -d '1 hour ago' {STALE}")
    assert host.file(f"{STALE}/ssl/server.key").exists


def test_invalid_extra_snippet_is_refused_and_nginx_keeps_serving(host, http):
    before = host.file(SNIPPET).content_string
    pid = master_pid(host)
    run = run_side_playbook(host, "break-extra-conf.yml")
    assert run.returncode != 0, run.stdout
    assert "this_is_not_a_directive" in run.stdout + run.stderr
    assert host.file(SNIPPET).content_string == before
    assert "lab marker snippet" in before
    assert host.run("nginx -t").rc == 0
    assert master_pid(host) == pid
    assert http(host, f"{BASE}/", cacert=CA).status == 200


def test_drained_server_gets_no_requests_and_nginx_is_reloaded_not_restarted(host):
    pid = master_pid(host)
    drain = run_side_playbook(host, "drain-server.yml", "--tags", "nginx_upstreams",
                              "-e", "drain_address=127.0.0.1:8002")
    try:
        assert drain.returncode == 0, drain.stdout
        assert "127.0.0.1:8002 weight=1 max_fails=3 fail_timeout=10s down;" in host.file(
            "/etc/nginx/conf.d/flaskstack-upstreams.conf").content_string
        rows = codes_and_upstreams(host, 10)
        assert status_counts(rows) == {"200": 10}
        assert {upstream for _, upstream in rows} == {"stub-8001"}
        assert master_pid(host) == pid
    finally:
        restore = run_side_playbook(host, "drain-server.yml", "--tags", "nginx_upstreams",
                                    "-e", "drain_address=none")
    assert restore.returncode == 0, restore.stdout
    rows = codes_and_upstreams(host, 12)
    assert {upstream for _, upstream in rows} == {"stub-8001", "stub-8002"}


def test_side_runs_removed_the_stale_copy_and_left_none_of_their_own(host):
    # The refused snippet, the drain and the undrain each validated candidates;
    # the role's runs also removed the stale copy planted above.
    assert host.check_output("find /tmp -maxdepth 1 -name 'nginx-validate.*'").split() == []
