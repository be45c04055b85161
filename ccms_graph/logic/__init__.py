"""Use cases: create, update and link records, workflows, imports and exports, each audited in its own transaction."""
