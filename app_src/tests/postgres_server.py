"""PostgreSQL servers for the integration tests.

ThrowawayCluster runs Debian's server binaries (initdb + pg_ctl) in a temp
dir on a free 127.0.0.1 port, as the unprivileged `postgres` user when the
tests run as root, and removes everything afterwards. ExternalServer uses the
server named by TEST_DATABASE_URL (its role needs CREATEDB) and cannot be
stopped by the tests.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

SERVER_OPTIONS = (
    # Durability is irrelevant for a throwaway cluster; speed is not.
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=60 -c listen_addresses=127.0.0.1"
)


class PostgresUnavailable(RuntimeError):
    """No way to get a PostgreSQL server; the message says how to fix it."""


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl."""
    override = os.environ.get("PG_BINDIR")
    if override:
        candidates = [Path(override)]
    else:
        candidates = sorted(
            (Path(path) for path in glob.glob("/usr/lib/postgresql/*/bin")),
            key=_major_version,
            reverse=True,
        )
    for bin_dir in candidates:
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            return bin_dir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under "
        "/usr/lib/postgresql/*/bin: install Debian's 'postgresql' package "
        "('make setup' does), set PG_BINDIR, or point TEST_DATABASE_URL at a server."
    )


def _major_version(bin_dir: Path) -> int:
    name = bin_dir.parent.name
    return int(name) if name.isdigit() else 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """What the tests need from any server: a URL per database."""

    admin_url: URL
    can_restart = False

    def database_url(self, name: str) -> str:
        url = self.admin_url.set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    def _admin(self) -> psycopg.Connection:
        url = self.admin_url
        return psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str, template: str = "template0") -> str:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def destroy(self) -> None:
        pass


class ExternalServer(_Server):
    def __init__(self, url: str) -> None:
        self.admin_url = make_url(url)


class ThrowawayCluster(_Server):
    can_restart = True

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.port = free_port()
        self.password = secrets.token_urlsafe(24)
        # As root, under /tmp: a TMPDIR inside /root would be out of reach of
        # the postgres user.
        parent = "/tmp" if os.geteuid() == 0 else None
        self.base = Path(tempfile.mkdtemp(prefix="bookshelf-pg-", dir=parent))
        self.data_dir = self.base / "data"
        self.log_file = self.base / "server.log"
        self.run_as = self._run_as_prefix()
        self.admin_url = URL.create(
            "postgresql+psycopg",
            username="postgres",
            password=self.password,
            host="127.0.0.1",
            port=self.port,
            database="postgres",
        )

    def _run_as_prefix(self) -> list[str]:
        """initdb refuses root: run the server binaries as `postgres`."""
        if os.geteuid() != 0:
            return []
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "tests run as root but there is no 'postgres' user to run the "
                "server as: install Debian's 'postgresql' package"
            ) from None
        os.chown(self.base, account.pw_uid, account.pw_gid)
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self.run_as, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip()}\n{log[-2000:]}"
            )

    def initialise(self) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            shutil.chown(pwfile, user="postgres")
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} {SERVER_OPTIONS}"
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    @classmethod
    def launch(cls) -> ThrowawayCluster:
        cluster = cls()
        try:
            cluster.initialise()
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster
