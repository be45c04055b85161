"""The one place configuration is read: `CCMS_*` environment variables with sandbox defaults."""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import overload

#: This package's folder: in a source checkout, an editable install or a wheel install alike.
PACKAGE_ROOT = Path(__file__).resolve().parent
#: The folder above the package: the repository root in a checkout, site-packages in a wheel install.
PROJECT_ROOT = PACKAGE_ROOT.parent
#: True when the package runs from a source checkout (plain or `pip install -e`), not a built wheel.
SOURCE_CHECKOUT = (PROJECT_ROOT / "setup.cfg").is_file()


def _package_dir(package: str) -> Path:
    """The folder an importable package's files live in, so data files are found the same way in a
    checkout, an editable install and a wheel install (never relative to the working directory)."""
    folder = resources.files(package)
    if not isinstance(folder, Path):  # a zip import: the .cypher files would need extracting first
        raise RuntimeError(f"package {package!r} must be installed as files, not inside {folder}")
    return folder


#: Schema and saved queries: the top-level `cypher` package (`cypher/` in the repository).
CYPHER_DIR = _package_dir("cypher")


def default_home() -> Path:
    """The instance folder when CCMS_HOME is unset: the source checkout, else the working directory."""
    return PROJECT_ROOT if SOURCE_CHECKOUT else Path.cwd()


@overload
def _env(name: str) -> str | None: ...


@overload
def _env(name: str, default: str) -> str: ...


def _env(name: str, default: str | None = None) -> str | None:
    """The variable's value; unset or empty gives `default`."""
    value = os.environ.get(name)
    return value if value else default


@dataclass(frozen=True)
class Settings:
    # Instance folder for local state (`.neo4j/`, `var/`): the source checkout, else the working directory.
    home: Path = field(default_factory=default_home)
    # Bolt URI of an existing Neo4j (bolt://, neo4j://, neo4j+s://). Unset: the project's local server.
    neo4j_uri: str | None = None
    # Credentials for Neo4j; the local server gets this password as its initial password.
    neo4j_user: str = "neo4j"
    neo4j_password: str = "ccms-sandbox-pass"
    # Database name; Community Edition has only "neo4j".
    neo4j_database: str = "neo4j"
    # Fail fast while Neo4j is down (issue 16): a request answers 503 within seconds instead of holding a
    # server thread for a minute. Seconds the driver gives one TCP connect to Neo4j.
    neo4j_connection_timeout: float = 1.0
    # Seconds a transaction may wait for a connection: a free pooled one, or a new one opened, Bolt
    # handshake included. This deadline, not the connect timeout, is what bounds a server that accepts
    # connections and never answers (hung, or its network lost): two tries of 1 s and the 1 s between
    # them fail such a request in 3 s (measured; 5 s with 2.0). 1 s is a few round trips even to a
    # remote cluster or Aura; raise both for a far-away server.
    neo4j_acquisition_timeout: float = 1.0
    # Seconds a managed transaction keeps retrying transient failures (the driver's default is 30). Its
    # first retry waits 1 s (+-20%) and the next 2 s, so 0.75 s allows exactly one retry: a request fails in
    # about 1 s when Neo4j refuses connections (measured; with 2.0 it is 3 s, with 30 it was 32-62 s), and a
    # stale pooled connection after a Neo4j restart still gets its second try. Raise it where deadlocks
    # under heavy write contention should be retried longer, at the cost of slower failure.
    neo4j_max_retry_time: float = 0.75
    # Port the local server's Bolt connector listens on (127.0.0.1 only).
    neo4j_bolt_port: int = 17687
    # Where the local server's jars (lib/) and instances live: `<home>/.neo4j` (ignored by git).
    neo4j_home: Path = field(default_factory=lambda: default_home() / ".neo4j")
    # JVM heap and page cache for the local server, sized for a 2-core / 24 GB machine.
    neo4j_heap: str = "2g"
    neo4j_pagecache: str = "2g"
    # How long the local server keeps a query's plan before statistics may make it plan the query again
    # (Neo4j's `dbms.cypher.min_replan_interval`, 10 s by default). An import into a small store grows it by
    # a third or more a batch, so at 10 s its statements were planned again every few batches (the candidate
    # statement 1-2 s each time, and the planner's code compiled again by the JIT): febrl3's 5,000 persons
    # into an empty store, a fresh server warmed by two imports, Neo4j CPU 32/27/21/24 s at 10 s against
    # 24/18/22/17 s at 2 min. A plan is then at most two minutes behind the statistics (the import's
    # statements seek by index from their parameters whatever the counts). The test suite's server keeps
    # plans for an hour: every test empties and refills a small graph, so by the default each process's
    # start-up check of the saved queries planned them all again (40-80 s on this machine).
    neo4j_min_replan_interval: str = "2m"
    # Flask session signing key (CCMS_SECRET_KEY, at least 32 characters). Unset: a random key generated
    # on the first start and kept in `<home>/var/secret_key` (mode 0600, ignored by git); see `signing_key`.
    secret_key: str | None = None
    # Password every sandbox seed user gets.
    sandbox_password: str = "sandbox-pass-2026"
    # Where uploaded attachment bytes are kept: `<home>/var/files` (metadata and sha256 live in the graph).
    file_store: Path = field(default_factory=lambda: default_home() / "var" / "files")
    # SMTP relay for notification email; unset host means in-app inbox only.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "ccms-graph@localhost"
    # Deconfliction decision thresholds on the 0..1 score (the chance the candidate is the one).
    match_threshold: float = 0.90
    possible_threshold: float = 0.50
    # Share of new person records expected to duplicate a stored one (the matching prior), and
    # the smallest population the prior assumes.
    duplicate_rate: float = 0.5
    population_floor: int = 100_000
    # Raise the person prior to the duplicates the store (or an import's file) holds, estimated from
    # the records (`matching.prevalence`); CCMS_MATCH_ESTIMATE_PRIOR=0 keeps the configured prior alone.
    estimate_prior: bool = True
    # Header carrying a reverse proxy's authenticated username (PIV SSO); unset disables SSO.
    sso_header: str | None = None
    # Send the session cookie only over TLS (CCMS_SECURE_COOKIES=1 behind a TLS-terminating proxy).
    secure_cookies: bool = False
    # Largest accepted upload, bytes.
    max_upload_bytes: int = 25 * 1024 * 1024
    # Idle minutes before a session ends.
    session_idle_minutes: int = 30
    # Saved queries: default time-out (seconds) and row limit of one run.
    query_timeout: float = 30.0
    query_max_rows: int = 1000
    # gunicorn worker processes for `make run` (ccms_graph/web/gunicorn_conf.py): one per core, at most
    # four. Any worker serves any request: sessions, import jobs and the audit chain live in Neo4j.
    web_workers: int = field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 4)))
    # Threads per gunicorn worker (each request holds one while it runs).
    web_threads: int = 8
    # Who chains audit entries (`logic.oversight.audit.Sequencer`): "inline", the writer's thread right
    # after its commit (CLI, tests), or "background", one thread per process (the web app under `make run`).
    audit_sequencer: str = "inline"
    # The signed checkpoints of the audit chain kept outside the database (None: <home>/var/audit-checkpoints.jsonl),
    # and the fewest seconds between two checkpoints of one process.
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_interval: float = 1.0
    # A bearer token that lets a remote Prometheus read /metrics (loopback clients need none).
    metrics_token: str | None = None
    # Source systems whose data restricts the case it arrives in, at once (CBP CCMS PIA, Overview: FinCEN data,
    # other agencies' criminal case management systems, LETC records). Compared without regard to case;
    # CCMS_PROTECTED_SOURCES is a comma-separated list that replaces these.
    protected_sources: tuple[str, ...] = ("FinCEN", "LETC", "agency case system")
    extra: dict = field(default_factory=dict)
    # Background work (`logic/jobs`, `ccms-graph worker`). Seconds a claimed job's lease lasts: its worker
    # renews it every third of that, and a job whose worker died is resumed by another once it runs out.
    job_lease_seconds: float = 30.0
    # Claims of one job before it is failed: a file that kills its worker must not kill every worker in turn.
    job_max_attempts: int = 5
    # Seconds an idle worker waits before looking for work again (a job queued in its own process wakes it).
    worker_poll_seconds: float = 1.0
    # Jobs one `ccms-graph worker` process runs at once, one thread each (`--threads` overrides it).
    worker_threads: int = 1
    # Run jobs in the web app too: one worker thread per process, started by the import pages, so a lone
    # server and the tests need no `ccms-graph worker`. It shares the queue with any worker process.
    web_embedded_worker: bool = True
    # Seconds between notification email deliveries, and between retention reports (daily).
    notify_every_seconds: float = 60.0
    retention_report_every_seconds: float = 86400.0
    # Seconds between runs of the product's heavy reads, rolled back, to keep their plans in Neo4j's
    # cache (logic/jobs/plans.py): a restarted server's first user does not wait seconds for them.
    warm_plans_every_seconds: float = 300.0
    # Days an LPR sighting is kept after it was seen (logic/location/lpr.py), whatever its case: the
    # retention run removes older ones. 365 follows ICE's policy for LPR queries (a year of data).
    lpr_retention_days: int = 365

    @property
    def local_bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.neo4j_bolt_port}"

    @property
    def bolt_uri(self) -> str:
        """The URI every client uses: the configured server, else the local one."""
        return self.neo4j_uri or self.local_bolt_uri

    @property
    def uses_local_server(self) -> bool:
        return self.neo4j_uri is None


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _env(name, default)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def load_settings() -> Settings:
    """Build settings from the environment; unset variables keep the sandbox defaults."""
    d = Settings()
    home = Path(_env("CCMS_HOME", str(d.home))).expanduser().absolute()
    return Settings(
        home=home,
        neo4j_uri=_env("CCMS_NEO4J_URI"),
        neo4j_user=_env("CCMS_NEO4J_USER", d.neo4j_user),
        neo4j_password=_env("CCMS_NEO4J_PASSWORD", d.neo4j_password),
        neo4j_database=_env("CCMS_NEO4J_DATABASE", d.neo4j_database),
        neo4j_connection_timeout=float(_env("CCMS_NEO4J_CONNECTION_TIMEOUT", str(d.neo4j_connection_timeout))),
        neo4j_acquisition_timeout=float(_env("CCMS_NEO4J_ACQUISITION_TIMEOUT", str(d.neo4j_acquisition_timeout))),
        neo4j_max_retry_time=float(_env("CCMS_NEO4J_MAX_RETRY_TIME", str(d.neo4j_max_retry_time))),
        neo4j_bolt_port=int(_env("CCMS_NEO4J_BOLT_PORT", str(d.neo4j_bolt_port))),
        neo4j_home=Path(_env("CCMS_NEO4J_HOME", str(home / ".neo4j"))),
        neo4j_heap=_env("CCMS_NEO4J_HEAP", d.neo4j_heap),
        neo4j_pagecache=_env("CCMS_NEO4J_PAGECACHE", d.neo4j_pagecache),
        secret_key=_env("CCMS_SECRET_KEY"),
        sandbox_password=_env("CCMS_SANDBOX_PASSWORD", d.sandbox_password),
        file_store=Path(_env("CCMS_FILE_STORE", str(home / "var" / "files"))),
        smtp_host=_env("CCMS_SMTP_HOST"),
        smtp_port=int(_env("CCMS_SMTP_PORT", str(d.smtp_port))),
        smtp_sender=_env("CCMS_SMTP_SENDER", d.smtp_sender),
        match_threshold=float(_env("CCMS_MATCH_THRESHOLD", str(d.match_threshold))),
        possible_threshold=float(_env("CCMS_POSSIBLE_THRESHOLD", str(d.possible_threshold))),
        duplicate_rate=float(_env("CCMS_MATCH_DUPLICATE_RATE", str(d.duplicate_rate))),
        population_floor=int(_env("CCMS_MATCH_POPULATION_FLOOR", str(d.population_floor))),
        estimate_prior=_env("CCMS_MATCH_ESTIMATE_PRIOR", "1") != "0",
        sso_header=_env("CCMS_SSO_HEADER"),
        secure_cookies=_env("CCMS_SECURE_COOKIES") == "1",
        max_upload_bytes=int(_env("CCMS_MAX_UPLOAD_BYTES", str(d.max_upload_bytes))),
        session_idle_minutes=int(_env("CCMS_SESSION_IDLE_MINUTES", str(d.session_idle_minutes))),
        query_timeout=float(_env("CCMS_QUERY_TIMEOUT", str(d.query_timeout))),
        query_max_rows=int(_env("CCMS_QUERY_MAX_ROWS", str(d.query_max_rows))),
        audit_sequencer=_choice("CCMS_AUDIT_SEQUENCER", d.audit_sequencer, ("inline", "background")),
        audit_checkpoint_file=Path(p) if (p := _env("CCMS_AUDIT_CHECKPOINT_FILE")) else None,
        audit_checkpoint_interval=float(_env("CCMS_AUDIT_CHECKPOINT_INTERVAL", str(d.audit_checkpoint_interval))),
        metrics_token=_env("CCMS_METRICS_TOKEN"),
        protected_sources=tuple(n.strip() for n in (_env("CCMS_PROTECTED_SOURCES") or ",".join(d.protected_sources))
                                .split(",") if n.strip()),
        web_workers=int(_env("CCMS_WEB_WORKERS", str(d.web_workers))),
        web_threads=int(_env("CCMS_WEB_THREADS", str(d.web_threads))),
        job_lease_seconds=float(_env("CCMS_JOB_LEASE_SECONDS", str(d.job_lease_seconds))),
        job_max_attempts=int(_env("CCMS_JOB_MAX_ATTEMPTS", str(d.job_max_attempts))),
        worker_poll_seconds=float(_env("CCMS_WORKER_POLL_SECONDS", str(d.worker_poll_seconds))),
        worker_threads=int(_env("CCMS_WORKER_THREADS", str(d.worker_threads))),
        web_embedded_worker=_env("CCMS_WEB_EMBEDDED_WORKER", "1") != "0",
        notify_every_seconds=float(_env("CCMS_NOTIFY_EVERY_SECONDS", str(d.notify_every_seconds))),
        retention_report_every_seconds=float(_env("CCMS_RETENTION_REPORT_EVERY_SECONDS",
                                                  str(d.retention_report_every_seconds))),
        warm_plans_every_seconds=float(_env("CCMS_WARM_PLANS_EVERY_SECONDS", str(d.warm_plans_every_seconds))),
        lpr_retention_days=int(_env("CCMS_LPR_RETENTION_DAYS", str(d.lpr_retention_days))),
    )


# ---------------------------------------------------------------------------------------------
# The session signing key
# ---------------------------------------------------------------------------------------------

#: Shortest signing key accepted: 32 characters (the generated key has 64, from 48 random bytes).
MIN_SECRET_KEY_LENGTH = 32
#: Keys that were ever published (the old sandbox default): whoever read the code could sign cookies.
PUBLIC_SECRET_KEYS = frozenset({"ccms-sandbox-secret-change-me"})
_HOW = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class SecretKeyError(RuntimeError):
    """The signing key is missing, weak, public or readable by others: the app refuses to start."""


def secret_key_file(settings: Settings) -> Path:
    """Where the generated signing key is kept: `<home>/var/secret_key` (git ignores `var/`)."""
    return settings.home / "var" / "secret_key"


def _checked(key: str, where: str) -> str:
    if key in PUBLIC_SECRET_KEYS:
        raise SecretKeyError(f"{where} holds a published sandbox key; anyone could forge sessions with it. "
                             f"Make a new one: {_HOW}")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SecretKeyError(f"{where} is shorter than {MIN_SECRET_KEY_LENGTH} characters. Make one: {_HOW}")
    return key


def signing_key(settings: Settings) -> str:
    """The key that signs session cookies: CCMS_SECRET_KEY if set, else the instance's kept key.

    There is no default key: a key in the source would let anyone who read it sign a cookie naming
    someone else's session. The first start without CCMS_SECRET_KEY writes 48 random bytes to
    `secret_key_file` (mode 0600, its folder 0700); later starts, and every worker, read the same key,
    so sessions survive a restart. The file is published with a hard link, which fails if another
    worker got there first, so two workers starting together still agree on one key. A kept key that
    others may read, or that is empty or short, stops the start rather than being trusted.
    """
    if settings.secret_key is not None:
        return _checked(settings.secret_key, "CCMS_SECRET_KEY")
    path = secret_key_file(settings)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(temp, path)
            except FileExistsError:
                pass  # another worker kept its key first; read that one
        finally:
            temp.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretKeyError(f"{path} may be read by other users (mode {mode:04o}); a key others could read "
                             f"may already be known. Delete it to make a new one, or chmod 600 it")
    return _checked(path.read_text().strip(), str(path))
