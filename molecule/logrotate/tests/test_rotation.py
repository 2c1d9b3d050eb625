"""A live writer survives forced rotations: reopened on USR1, nothing lost, files as configured.

The module-scoped `rotation` fixture runs the scenario once: restart the
writer on empty logs, force two rotations, stop the writer (it records how
many lines it wrote) and collect every line from the rotated and current files.
"""

import pytest
from conftest import wait_until

LOG = "/var/log/demoapp/app.log"
ENTRY = "/etc/logrotate.d/demoapp"


def _size(host, path):
    return int(host.check_output(f"stat -c %s {path}"))


@pytest.fixture(scope="module")
def rotation(host):
    host.check_output("systemctl stop demoapp.service")
    host.check_output(f"rm -f {LOG} {LOG}.* /var/lib/demoapp/written")
    host.check_output("systemctl start demoapp.service")
    wait_until(lambda: host.file(LOG).exists and _size(host, LOG) > 0, what="writer's first lines")
    first_inode = host.file(LOG).inode

    host.check_output(f"logrotate --force {ENTRY}")
    after_first = sorted(host.check_output(f"ls {LOG}*").split())
    wait_until(lambda: _size(host, LOG) > 0, what="writer writing into the fresh file")
    dot1_size = _size(host, f"{LOG}.1")
    new_file = host.file(LOG)
    new_file_props = (new_file.inode, new_file.user, new_file.group, new_file.mode)
    wait_until(lambda: _size(host, LOG) > 4096, what="fresh file to keep growing")
    dot1_size_later = _size(host, f"{LOG}.1")

    host.check_output(f"logrotate --force {ENTRY}")
    after_second = sorted(host.check_output(f"ls {LOG}*").split())
    wait_until(lambda: _size(host, LOG) > 0, what="writer writing after the second rotation")

    host.check_output("systemctl stop demoapp.service")
    written = int(host.check_output("cat /var/lib/demoapp/written"))
    lines = host.check_output(f"zcat -f {LOG}.2.gz {LOG}.1 {LOG}").splitlines()
    return {
        "first_inode": first_inode, "after_first": after_first, "after_second": after_second,
        "dot1_sizes": (dot1_size, dot1_size_later), "new_file": new_file_props,
        "written": written, "numbers": [int(line.split()[0]) for line in lines],
    }


def test_first_forced_rotation_leaves_an_uncompressed_dot1(rotation):
    assert rotation["after_first"] == [LOG, f"{LOG}.1"]


def test_second_forced_rotation_compresses_the_older_file(rotation):
    assert rotation["after_second"] == [LOG, f"{LOG}.1", f"{LOG}.2.gz"]


def test_writer_reopens_and_writes_into_the_new_file(rotation):
    assert rotation["new_file"][0] != rotation["first_inode"]
    before, later = rotation["dot1_sizes"]
    assert before == later, "the writer kept appending to the rotated file after USR1"


def test_new_file_is_created_with_configured_mode_and_owner(rotation):
    # The writer's own umask (0022) would give 0644: 0640 proves logrotate's `create`.
    _, user, group, mode = rotation["new_file"]
    assert (user, group, mode) == ("demoapp", "demoapp", 0o640)


def test_no_line_is_lost_duplicated_or_reordered(rotation):
    assert rotation["written"] > 0
    assert rotation["numbers"] == list(range(1, rotation["written"] + 1))
