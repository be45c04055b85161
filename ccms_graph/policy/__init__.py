"""Access policy: who may read or write what, as Cypher predicates (`scopes`) and Python checks (`rules`)."""

from .actor import SYSTEM, Actor, load_actor
from .rules import actor_params, can, load_facts, require_active, require_read
from .scopes import case_readable, document_readable, hidden, record_readable, subject_readable

__all__ = ["Actor", "SYSTEM", "load_actor", "actor_params", "can", "load_facts", "require_active",
           "require_read", "case_readable", "document_readable", "hidden", "record_readable",
           "subject_readable"]
