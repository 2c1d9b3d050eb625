"""A throwaway moto server on 127.0.0.1 for the EC2 inventory and provisioning tests.

Import the fixtures into a test module (`from conftest_moto import moto, ...`).
Nothing here can reach real AWS: credentials are dummies, the shared config and
credentials files are pointed at nothing, instance metadata is disabled, and
every client and ansible run is aimed at the local server's URL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
# One of the AMIs moto ships in every region (describe_images is slow: it lists ~1300).
AMI = "ami-12c6146b"
MOTO_BIN = Path(sys.executable).parent / "moto_server"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _aws_env(base: dict[str, str], url: str, home: Path) -> dict[str, str]:
    """`base` without any real AWS identity, plus dummy credentials aimed at `url`."""
    env = {k: v for k, v in base.items() if not k.startswith(("AWS_", "EC2_", "BOTO"))}
    if "AWS_CA_BUNDLE" in base:  # harmless for plain HTTP; an empty value would break boto3
        env["AWS_CA_BUNDLE"] = base["AWS_CA_BUNDLE"]
    env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_URL": url,
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    return env


@dataclass
class Moto:
    """A running moto server and the environment that aims AWS clients at it."""

    url: str
    env: dict[str, str]

    def client(self, service: str = "ec2", region: str = REGION):
        return boto3.client(
            service, region_name=region, endpoint_url=self.url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def run(self, args: list[str], timeout: int = 120, check: bool = True,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a command (ansible-*) from the checkout with the moto environment."""
        env = dict(self.env, **(extra_env or {}))
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout:.0f}s")


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    """A moto server on 127.0.0.1:<free port> for the whole session, stopped afterwards."""
    if not MOTO_BIN.exists() and not shutil.which("moto_server"):
        pytest.skip("moto_server is not installed in this environment")
    binary = str(MOTO_BIN) if MOTO_BIN.exists() else shutil.which("moto_server")
    home = tmp_path_factory.mktemp("aws")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server_env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    # AWS-managed policies (AmazonSSMManagedInstanceCore) exist, as in a real account.
    server_env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    log = open(home / "moto_server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)],
                            env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(url, proc)
        yield Moto(url=url, env=_aws_env(dict(os.environ), url, home))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def fresh_moto(moto: Moto) -> Moto:
    """The session's moto server, emptied first."""
    moto.reset()
    return moto
