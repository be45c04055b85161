"""Fetches, configures, starts, stops and reports the project's local Neo4j Community server.

The server is assembled from Maven Central: `deploy/neo4j/pom.xml` pins the version and
`fetch()` copies the runtime dependency set of `org.neo4j:neo4j` into `<home>/lib`. Each
Bolt port gets its own instance folder (`<home>/instance-<port>`: conf, data, logs, run), so
several servers can share one set of jars.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable

from .settings import PACKAGE_ROOT, Settings

#: `deploy/neo4j/pom.xml`, through a link in the package so that a wheel carries a copy of it.
POM = PACKAGE_ROOT / "neo4j_pom.xml"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
JVM_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


class ServerError(RuntimeError):
    """The local server could not be fetched, configured or started."""


@dataclass(frozen=True)
class Instance:
    """Paths of one local server instance."""

    settings: Settings

    @property
    def home(self) -> Path:
        return self.settings.neo4j_home

    @property
    def lib(self) -> Path:
        return self.home / "lib"

    @property
    def root(self) -> Path:
        return self.home / f"instance-{self.settings.neo4j_bolt_port}"

    @property
    def conf_dir(self) -> Path:
        return self.root / "conf"

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.root / "logs" / "console.log"


def fetch(settings: Settings, quiet: bool = True) -> Path:
    """Copy the pinned server's jars into `<home>/lib` unless they are there already."""
    inst = Instance(settings)
    marker = inst.lib / ".complete"
    if marker.exists() and marker.read_text() == POM.read_text():
        return inst.lib
    if shutil.which("mvn") is None:
        raise ServerError("Maven (mvn) is not installed; run `apt-get install maven` first")
    tmp = inst.home / "lib.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        "mvn", "-B", "-f", str(POM),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
    ]
    if quiet:
        cmd.insert(1, "-q")
    result = subprocess.run(cmd, capture_output=quiet, text=True)
    if result.returncode != 0:
        raise ServerError(f"fetching Neo4j jars failed:\n{result.stdout or ''}{result.stderr or ''}")
    shutil.rmtree(inst.lib, ignore_errors=True)
    tmp.rename(inst.lib)
    marker.write_text(POM.read_text())
    return inst.lib


def write_config(settings: Settings) -> Path:
    """Write `neo4j.conf` for this instance: loopback Bolt only, auth on, no HTTP, no telemetry."""
    inst = Instance(settings)
    for sub in ("conf", "data", "logs", "run", "import", "plugins"):
        (inst.root / sub).mkdir(parents=True, exist_ok=True)
    conf = {
        "server.default_listen_address": "127.0.0.1",
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{settings.neo4j_bolt_port}",
        "server.bolt.advertised_address": f"127.0.0.1:{settings.neo4j_bolt_port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "dbms.usage_report.enabled": "false",
        "server.memory.heap.initial_size": settings.neo4j_heap,
        "server.memory.heap.max_size": settings.neo4j_heap,
        "server.memory.pagecache.size": settings.neo4j_pagecache,
        "server.directories.data": str(inst.root / "data"),
        "server.directories.logs": str(inst.root / "logs"),
        "server.directories.run": str(inst.root / "run"),
        "server.directories.import": str(inst.root / "import"),
        "server.directories.plugins": str(inst.root / "plugins"),
        "server.directories.lib": str(inst.lib),
        # Saved queries and analysts' Cypher must not reach the file system or the network.
        "dbms.security.allow_csv_import_from_file_urls": "false",
        # Runaway queries are cut off server-side as well as by the client time-out.
        "db.transaction.timeout": "120s",
        # A transaction that starts after a user's bookmark waits at most this long for it (30 s by
        # default): a bookmark from before a restore names a transaction the database no longer has.
        "db.transaction.bookmark_ready_timeout": "5s",
        # One plan per query text and parameter types, whatever the length of a list or a string: by
        # default the plan cache keys on size buckets too, so every actor whose offices, subordinates or
        # grants count differently planned each policy-composed query again (pending_items 2-4 s at 1M),
        # and the start-up EXPLAIN of the catalogue warmed a shape no user has.
        "internal.cypher.use_parameter_size": "false",
        "dbms.cypher.min_replan_interval": settings.neo4j_min_replan_interval,
        "server.jvm.additional": "-XX:+UseG1GC",
    }
    path = inst.conf_dir / "neo4j.conf"
    path.write_text(
        "# Written by `ccms-graph neo4j start`; edits are overwritten.\n"
        + "".join(f"{k}={v}\n" for k, v in conf.items())
    )
    return path


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise ServerError("Java 17 or 21 is required to run Neo4j 5.26; no `java` on PATH")
    return java


def _set_initial_password(settings: Settings) -> None:
    inst = Instance(settings)
    if (inst.root / "data" / "dbms" / "auth.ini").exists() or (inst.root / "data" / "dbms" / "auth").exists():
        return
    if (inst.root / "data" / "databases" / "system").exists():
        return  # already started once; the password was set then
    env = dict(os.environ, NEO4J_HOME=str(inst.root), NEO4J_CONF=str(inst.conf_dir))
    result = subprocess.run(
        [_java(), "-cp", f"{inst.lib}/*", ADMIN_CLASS, "dbms", "set-initial-password",
         settings.neo4j_password],
        env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise ServerError(f"setting the initial password failed: {result.stderr or result.stdout}")


def _read_pid(inst: Instance) -> int | None:
    try:
        pid = int(inst.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def bolt_answers(settings: Settings, uri: str | None = None, timeout: float = 3.0) -> bool:
    """True when a Bolt handshake and authentication succeed."""
    try:
        with GraphDatabase.driver(
            uri or settings.local_bolt_uri,
            auth=(settings.neo4j_user, settings.neo4j_password),
            connection_timeout=timeout,
        ) as driver:
            driver.verify_connectivity()
        return True
    except (ServiceUnavailable, DriverError, Neo4jError, OSError):
        return False


@contextlib.contextmanager
def _lock(inst: Instance):
    inst.root.mkdir(parents=True, exist_ok=True)
    with open(inst.root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def start(settings: Settings, wait_seconds: float = 180.0) -> int:
    """Start the local server if it is not running; return its pid once Bolt answers."""
    inst = Instance(settings)
    fetch(settings)
    with _lock(inst):
        pid = _read_pid(inst)
        if pid is not None:
            _wait_for_bolt(settings, pid, wait_seconds)
            return pid
        write_config(settings)
        _set_initial_password(settings)
        cmd = [
            _java(), "-server",
            f"-Xms{settings.neo4j_heap}", f"-Xmx{settings.neo4j_heap}",
            "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
            *JVM_OPENS,
            "-cp", f"{inst.conf_dir}:{inst.lib}/*",
            MAIN_CLASS,
            f"--home-dir={inst.root}",
            f"--config-dir={inst.conf_dir}",
            "--console-mode",
        ]
        log = open(inst.console_log, "ab")
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(inst.root),
        )
        inst.pid_file.write_text(str(proc.pid))
        _wait_for_bolt(settings, proc.pid, wait_seconds)
        return proc.pid


def _wait_for_bolt(settings: Settings, pid: int, wait_seconds: float) -> None:
    inst = Instance(settings)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if bolt_answers(settings):
            return
        try:
            waited, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            waited, _status = 0, 0
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                waited = pid
        if waited == pid:
            tail = inst.console_log.read_text(errors="replace")[-3000:] if inst.console_log.exists() else ""
            raise ServerError(f"Neo4j exited during start-up; console log tail:\n{tail}")
        time.sleep(0.5)
    raise ServerError(f"Neo4j did not answer on {settings.local_bolt_uri} within {wait_seconds:.0f}s")


def stop(settings: Settings, wait_seconds: float = 60.0) -> bool:
    """Stop the local server; True if one was running."""
    inst = Instance(settings)
    pid = _read_pid(inst)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.3)
    else:
        os.kill(pid, signal.SIGKILL)
    inst.pid_file.unlink(missing_ok=True)
    return True


def status(settings: Settings) -> dict:
    """Where the server is, whether its process lives and whether Bolt answers."""
    if not settings.uses_local_server:
        return {"server": "external", "uri": settings.bolt_uri,
                "bolt": bolt_answers(settings, uri=settings.bolt_uri)}
    inst = Instance(settings)
    pid = _read_pid(inst)
    return {
        "server": "local",
        "uri": settings.local_bolt_uri,
        "pid": pid,
        "running": pid is not None,
        "bolt": pid is not None and bolt_answers(settings),
        "home": str(inst.root),
    }


# ---------------------------------------------------------------------------------------------
# Offline dump and load (`ccms-graph backup|restore`, ccms_graph/backups.py)
# ---------------------------------------------------------------------------------------------

def _admin(settings: Settings, *args: str) -> str:
    """Run `neo4j-admin` (`org.neo4j.cli.AdminTool`, in neo4j-command-line.jar) against this instance's conf."""
    inst = Instance(settings)
    fetch(settings)
    write_config(settings)
    env = dict(os.environ, NEO4J_HOME=str(inst.root), NEO4J_CONF=str(inst.conf_dir))
    result = subprocess.run(
        [_java(), "-XX:+UseG1GC", *JVM_OPENS, "-cp", f"{inst.conf_dir}:{inst.lib}/*", ADMIN_CLASS, *args],
        env=env, capture_output=True, text=True, cwd=str(inst.root),
    )
    if result.returncode != 0:
        raise ServerError(f"neo4j-admin {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def _require_stopped(settings: Settings, doing: str) -> None:
    if _read_pid(Instance(settings)) is not None:
        raise ServerError(f"the local server on port {settings.neo4j_bolt_port} is running; "
                          f"Community Edition can only {doing} a stopped database")


def dump(settings: Settings, to_dir: Path) -> Path:
    """`neo4j-admin database dump` of the stopped local server's database into `to_dir/<database>.dump`."""
    _require_stopped(settings, "dump")
    to_dir.mkdir(parents=True, exist_ok=True)
    _admin(settings, "database", "dump", settings.neo4j_database, f"--to-path={to_dir}",
           "--overwrite-destination=true")
    path = to_dir / f"{settings.neo4j_database}.dump"
    if not path.is_file():
        raise ServerError(f"neo4j-admin reported success but wrote no {path}")
    return path


def load(settings: Settings, from_dir: Path) -> None:
    """`neo4j-admin database load` of `from_dir/<database>.dump` over the stopped local server's database."""
    _require_stopped(settings, "load")
    _admin(settings, "database", "load", settings.neo4j_database, f"--from-path={from_dir}",
           "--overwrite-destination=true")


@contextlib.contextmanager
def offline(settings: Settings, wait_seconds: float = 180.0) -> Iterator[bool]:
    """Stop the local server for the block (yields whether it was running) and start it again afterwards,
    also when the block fails, if it was running before.

    The instance lock is held while the block runs, so a `start` from another process waits until the
    dump or load is done instead of mounting a database being written.
    """
    inst = Instance(settings)
    was_running = False
    try:
        with _lock(inst):
            was_running = _read_pid(inst) is not None
            if was_running:
                stop(settings)
            yield was_running
    finally:
        if was_running:
            start(settings, wait_seconds)
