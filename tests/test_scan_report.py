"""scripts/scan_report.py: what `make scan` counts as a failure and what it accepts in the lab."""

from __future__ import annotations

import importlib.util
import json

from conftest import ROOT

spec = importlib.util.spec_from_file_location("scan_report", ROOT / "scripts" / "scan_report.py")
scan_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scan_report)


def _write(tmp_path, findings, units="bookshelf.service 1.2\n"):
    (tmp_path / "testssl.json").write_text(json.dumps(findings))
    (tmp_path / "lynis-web1.dat").write_text(
        "hardening_index=66\nwarning[]=PKGS-7388|no security repository|-|-|\n"
        "suggestion[]=SSH-7408|Harden SSH|-|-|\nsuggestion[]=KRNL-5820|core dumps|-|-|\n")
    (tmp_path / "units-web1.txt").write_text(units)


def test_the_self_signed_lab_chain_is_accepted(tmp_path, capsys):
    _write(tmp_path, [{"id": "cert_chain_of_trust", "severity": "CRITICAL", "finding": "self signed"},
                      {"id": "HSTS", "severity": "OK", "finding": "365 days"}])
    assert scan_report.main(str(tmp_path), "web1") == 0
    line = capsys.readouterr().out
    assert "testssl 0 unexpected HIGH/CRITICAL (1 accepted" in line and "lynis web1 66" in line
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert "| web1 | web | 66 | PKGS-7388 | 2 |" in summary


def test_any_other_high_finding_fails(tmp_path, capsys):
    _write(tmp_path, [{"id": "BREACH", "severity": "HIGH", "finding": "potentially VULNERABLE"}])
    assert scan_report.main(str(tmp_path), "web1") == 1
    assert "BREACH" in (tmp_path / "SUMMARY.md").read_text()


def test_a_unit_above_the_exposure_limit_fails(tmp_path):
    _write(tmp_path, [], units="bookshelf.service 1.2\nexporter.service 4.9\n")
    assert scan_report.main(str(tmp_path), "web1") == 1
