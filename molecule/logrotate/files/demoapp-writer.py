#!/usr/bin/python3
"""Test writer: appends numbered lines to a log file until stopped.

SIGUSR1 reopens the file (what logrotate's postrotate sends, like gunicorn's
master). SIGTERM stops it; it then records how many lines it wrote, so the
tests can prove that rotation lost or duplicated nothing.
"""

import os
import signal
import sys
import time

log_path, count_path = sys.argv[1], sys.argv[2]
flags = {"reopen": False, "stop": False}
signal.signal(signal.SIGUSR1, lambda *_: flags.update(reopen=True))
signal.signal(signal.SIGTERM, lambda *_: flags.update(stop=True))

written = 0
log = open(log_path, "a", buffering=1)
while not flags["stop"]:
    if flags["reopen"]:
        flags["reopen"] = False
        log.close()
        log = open(log_path, "a", buffering=1)
    written += 1
    log.write(f"{written:09d} demoapp line\n")
    time.sleep(0.005)
log.close()

tmp = count_path + ".tmp"
with open(tmp, "w") as out:
    out.write(f"{written}\n")
os.replace(tmp, count_path)
