"""Debian's security archive is configured exactly once, from the host's own mirror."""

ROLE_SOURCE = "/etc/apt/sources.list.d/flaskstack-debian-security.sources"


def _codename(host) -> str:
    return host.system_info.codename


def _targets(host, fields: str) -> set[tuple[str, ...]]:
    out = host.check_output(f"apt-get indextargets --format '{fields}' 'Identifier: Packages'")
    return {tuple(line.split("|")) for line in out.splitlines() if line}


def test_the_security_suite_comes_from_exactly_one_source_file(host):
    rows = _targets(host, "$(RELEASE)|$(SOURCESENTRY)")
    files = {entry.rsplit(":", 1)[0] for release, entry in rows if release == f"{_codename(host)}-security"}
    assert len(files) == 1, files


def test_the_role_adds_its_source_only_where_the_image_lacks_one(host):
    if host.backend.get_hostname() == "debian12":  # security source shipped the cloud-image way
        assert not host.file(ROLE_SOURCE).exists
        assert host.file("/etc/apt/sources.list.d/cloud-image-security.list").exists
    else:
        assert host.file(ROLE_SOURCE).mode == 0o644


def test_the_added_source_uses_the_hosts_own_mirror(host):
    if not host.file(ROLE_SOURCE).exists:
        return
    main = {uri for release, uri in _targets(host, "$(RELEASE)|$(REPO_URI)") if release == _codename(host)}
    assert len(main) == 1, main
    expected = main.pop().rstrip("/").removesuffix("/debian") + "/debian-security/"
    assert f"URIs: {expected}" in host.file(ROLE_SOURCE).content_string


def test_apt_fetched_and_verified_the_real_security_archive(host):
    # Label/Codename come from the signed InRelease file: present only when apt verified it.
    rows = _targets(host, "$(ORIGIN)|$(LABEL)|$(CODENAME)|$(COMPONENT)|$(TRUSTED)")
    assert ("Debian", "Debian-Security", f"{_codename(host)}-security", "main", "yes") in rows, rows
