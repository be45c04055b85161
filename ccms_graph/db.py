"""One neo4j Driver, managed read/write transactions, and schema install.

Logic functions run their Cypher inside `graph.write(fn)` / `graph.read(fn)`: the driver's
managed transactions, which retry on transient errors (so a unit of work must be idempotent).
Answers are shaped from the driver's records by `logic.common` (`node_dict`, `plain`). There is no
object mapper: every read composes the policy's predicate into its Cypher and every write shares its
transaction with the audit entry, which neomodel's node-at-a-time API could do neither of (see the
README, "Why no neomodel").
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from functools import cache
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, RoutingControl

from . import metrics
from .settings import CYPHER_DIR, Settings, load_settings

T = TypeVar("T")
log = logging.getLogger(__name__)

#: The bookmark manager of the request being served (`follow`): every session the request opens waits
#: for the user's own last writes, so they read them on any cluster member (their bookmarks travel with
#: them between requests and app servers: `web/consistency.py`). None outside a request.
_followed: ContextVar[neo4j.BookmarkManager | None] = ContextVar("ccms_bookmarks", default=None)


def follow(bookmarks: Iterable[str]) -> Token:
    """Make the sessions of this context (a request) start after `bookmarks` and collect their own."""
    start = neo4j.Bookmarks.from_raw_values([b for b in bookmarks if b])
    return _followed.set(GraphDatabase.bookmark_manager(initial_bookmarks=start))


def unfollow(token: Token) -> None:
    _followed.reset(token)


#: Errors that say a followed bookmark cannot be reached: it names a transaction the database does not
#: have (a restore rolled the database back) or never will. The request then reads without it.
_LOST_BOOKMARK = frozenset({"Neo.TransientError.Transaction.BookmarkTimeout",
                            "Neo.ClientError.Transaction.InvalidBookmark",
                            "Neo.ClientError.Transaction.InvalidBookmarkMixture"})


def _drop_lost_bookmarks(exc: neo4j.exceptions.Neo4jError) -> bool:
    """Forget the followed bookmarks when `exc` says they cannot be reached; True if the caller may retry."""
    manager = _followed.get()
    if exc.code not in _LOST_BOOKMARK or manager is None or not manager.get_bookmarks():
        return False
    log.warning("dropping the request's bookmarks: %s", exc.code)
    _followed.set(GraphDatabase.bookmark_manager())
    return True


def _once_more_if_bookmarks_lost(run: Callable[[], T]) -> T:
    """`run()`; run it again, once, if it failed only because the followed bookmarks cannot be reached."""
    try:
        return run()
    except neo4j.exceptions.Neo4jError as exc:
        if not _drop_lost_bookmarks(exc):
            raise
        return run()


def followed() -> list[str]:
    """The bookmarks the followed context holds now (its start plus every transaction it committed)."""
    manager = _followed.get()
    return sorted(manager.get_bookmarks()) if manager is not None else []


#: Called with the Graph after each `Graph.write` commits (the audit sequencer chains the entries the
#: transaction wrote: `logic.oversight.audit.Sequencer`). A hook must not raise.
after_write_hooks: list[Callable[[Graph], None]] = []


def _driver(settings: Settings) -> neo4j.Driver:
    """A driver whose every wait is bounded, so a request fails in about a second while Neo4j is down."""
    return GraphDatabase.driver(
        settings.bolt_uri,
        auth=(settings.neo4j_user, settings.neo4j_password),
        max_connection_pool_size=50,
        connection_timeout=settings.neo4j_connection_timeout,
        connection_acquisition_timeout=settings.neo4j_acquisition_timeout,
        max_transaction_retry_time=settings.neo4j_max_retry_time,
        # Schema-dependent warnings (e.g. "label does not exist" on an empty database) are noise here.
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
    )


def _counted(work: Callable[..., T], kind: str) -> Callable[..., T]:
    """`work`, counting each run after the first (the driver retrying a transient failure) in the metrics."""
    runs = 0

    def run(tx, *args: Any, **kwargs: Any) -> T:
        nonlocal runs
        runs += 1
        if runs > 1:
            metrics.TRANSACTION_RETRIES.labels(kind).inc()
        return work(tx, *args, **kwargs)

    return run


class Graph:
    """The application's handle on Neo4j: one driver, one database."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.driver: neo4j.Driver = _driver(settings)
        self.database = settings.neo4j_database

    def reopen(self) -> None:
        """Give a forked process (a worker of a preloaded gunicorn) a driver of its own.

        Pooled connections are sockets: shared by two processes, their replies interleave. The parent
        closes its driver before forking (`web/gunicorn_conf.py`), and each child builds a new one here.
        """
        self.driver.close()
        self.driver = _driver(self.settings)

    def write(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `work(tx, *args, **kwargs)` in a managed write transaction (retried if transient)."""
        out = _once_more_if_bookmarks_lost(lambda: self._run("write", work, *args, **kwargs))
        for hook in after_write_hooks:
            hook(self)
        return out

    def read(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `work(tx, ...)` in a managed read transaction (routed to a follower on a cluster)."""
        return _once_more_if_bookmarks_lost(lambda: self._run("read", work, *args, **kwargs))

    def _run(self, kind: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.driver.session(database=self.database, bookmark_manager=_followed.get()) as session:
            run = session.execute_write if kind == "write" else session.execute_read
            return run(_counted(work, kind), *args, **kwargs)

    def query(self, cypher: str, params: dict | None = None, write: bool = False) -> list[dict]:
        """Run one auto-retried statement and return its records as dicts.

        It follows the request's bookmarks, and outside a request none: not the driver's own manager
        for `execute_query`, whose bookmarks a restore would leave pointing past the database's end."""
        def run() -> list[dict]:
            records, _, _ = self.driver.execute_query(
                cypher, params or {}, database_=self.database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ, bookmark_manager_=_followed.get())
            return [r.data() for r in records]

        return _once_more_if_bookmarks_lost(run)

    def ping(self) -> bool:
        try:
            self.driver.verify_connectivity()
            return True
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.DriverError, OSError):
            return False

    def close(self) -> None:
        self.driver.close()


class RolledBack(Graph):
    """A view of `graph` whose writes roll back: `write(work)` runs `work` in a transaction that is
    never committed, and `after_write_hooks` are not called. Reads are the graph's own. For running
    the product's own code paths to leave nothing behind (`logic.jobs.plans` warms Neo4j's plan cache
    with them). A write outside `write` would commit, so `query(write=True)` is refused."""

    def __init__(self, graph: Graph):  # the graph's driver, shared: nothing of its own to close
        self.settings, self.driver, self.database = graph.settings, graph.driver, graph.database

    def write(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.driver.session(database=self.database) as session:
            tx = session.begin_transaction()
            try:
                return work(tx, *args, **kwargs)
            finally:
                tx.rollback()

    def query(self, cypher: str, params: dict | None = None, write: bool = False) -> list[dict]:
        if write:
            raise RuntimeError("a rolled-back view runs no auto-committed write")
        return super().query(cypher, params)

    def reopen(self) -> None:
        raise RuntimeError("a rolled-back view shares its graph's driver")

    def close(self) -> None:
        """Nothing: the driver is its graph's."""


_graph: Graph | None = None
_graph_lock = threading.Lock()


def get_graph(settings: Settings | None = None) -> Graph:
    """The process-wide Graph, created on first use."""
    global _graph
    with _graph_lock:
        if _graph is None:
            _graph = Graph(settings or load_settings())
        return _graph


def close_graph() -> None:
    global _graph
    with _graph_lock:
        if _graph is not None:
            _graph.close()
            _graph = None


@cache
def cypher(name: str) -> str:
    """The text of `cypher/<name>.cypher`, resolved from the package, not the working directory."""
    path = (CYPHER_DIR / f"{name}.cypher").resolve()
    if CYPHER_DIR.resolve() not in path.parents:
        raise ValueError(f"not a cypher file name: {name!r}")
    return path.read_text()


def statements(text: str) -> list[str]:
    """Split a .cypher file into statements on `;` at line ends, dropping `//` comment lines."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def install_schema(graph: Graph) -> int:
    """Create constraints and indexes (idempotent) and wait for them to come online."""
    stmts = statements(cypher("schema"))
    with graph.driver.session(database=graph.database) as session:
        for stmt in stmts:
            session.run(stmt).consume()
        session.run("CALL db.awaitIndexes(300)").consume()
    return len(stmts)


def clear_database(graph: Graph) -> None:
    """Delete every node and relationship, keeping the schema. For tests and re-seeding only."""
    with graph.driver.session(database=graph.database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
