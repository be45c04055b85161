"""Who is acting: a signed-in user with the office, subordinates and grants the access rules need."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from ..errors import NotFound


@dataclass(frozen=True)
class Actor:
    uid: str
    username: str
    name: str
    role: str
    office_code: str | None
    #: The user's own office and every office WITHIN it (ports, units), transitively.
    offices: tuple[str, ...] = ()
    #: Every user who reports to this user, directly or through others.
    subordinates: tuple[str, ...] = ()
    #: Cases granted (approved, not revoked) to the user, to the user's office, or to an office the user's
    #: office lies WITHIN: a grant to a field office reaches its ports and units, never the other way up.
    #: (`offices` runs downwards, for reading an office's records; a grant runs downwards from its grantee.)
    granted_cases: tuple[str, ...] = ()
    training_expires: str | None = None
    phone: str | None = None
    email: str | None = None
    #: The request's client address and stated purpose, copied into audit entries.
    client_address: str | None = None
    purpose: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_auditor(self) -> bool:
        return self.role == "auditor"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor" or bool(self.subordinates)

    def training_current(self, today: date | None = None) -> bool:
        if not self.training_expires:
            return False
        return self.training_expires >= (today or date.today()).isoformat()

    def with_request(self, client_address: str | None, purpose: str | None = None) -> Actor:
        return replace(self, client_address=client_address, purpose=purpose)


#: The system itself (seed, retention jobs): audited under this name, never an access shortcut for users.
SYSTEM = Actor(uid="system", username="system", name="CCMS-Graph system", role="system", office_code=None)

_LOAD_ACTOR = """
MATCH (u:User) WHERE u.username = $key OR u.uid = $key
OPTIONAL MATCH (sub:Office)-[:WITHIN*0..]->(:Office {code: u.office_code})
WITH u, collect(DISTINCT sub.code) AS offices
OPTIONAL MATCH (:Office {code: u.office_code})-[:WITHIN*0..]->(up:Office)
WITH u, offices, collect(DISTINCT up.code) AS grantee_offices
OPTIONAL MATCH (s:User)-[:REPORTS_TO*1..]->(u)
WITH u, offices, grantee_offices, collect(DISTINCT s.uid) AS subordinates
OPTIONAL MATCH (g:AccessGrant {status: 'active'})
  WHERE g.grantee_uid = u.uid OR g.grantee_office IN grantee_offices
RETURN u, offices, subordinates, collect(DISTINCT g.case_uid) AS granted
"""


def load_actor(tx, key: str) -> Actor:
    """Build the Actor for a username or uid inside a transaction; NotFound if there is none."""
    rec = tx.run(_LOAD_ACTOR, key=key).single()
    if rec is None:
        raise NotFound(f"no user {key!r}")
    u = rec["u"]
    return Actor(
        uid=u["uid"], username=u["username"], name=u["name"], role=u["role"],
        office_code=u.get("office_code"), offices=tuple(sorted(rec["offices"])),
        subordinates=tuple(sorted(rec["subordinates"])), granted_cases=tuple(sorted(rec["granted"])),
        training_expires=u.get("training_expires"), phone=u.get("phone"), email=u.get("email"),
    )
