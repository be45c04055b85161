"""Access policy: who may read or write what, as Cypher predicates and Python checks."""

from .actor import SYSTEM, Actor, load_actor

__all__ = ["Actor", "SYSTEM", "load_actor"]
