"""A deployment's org chart from a roster: offices and accounts created together, in one transaction.

`ccms-graph users provision ROSTER.json` is how a new deployment gets its first offices, its
administrators and its first supervisors without the sandbox seed (which replaces the database). The
roster is all or nothing: every entry is validated, every office, parent, supervisor and username
checked against the roster and the database, before anything is written, and a refusal names the
entry and its field (`users[3].supervisor`). Only the system (the command line, whoever runs it on
the server) provisions; an administrator adds accounts one at a time through the API, where a content
role waits for a supervisor's approval (`users.create_user`).

Each office and account is audited as its own `admin` entry, as `create_office` and `create_user`
write them, in the roster's transaction.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, ValidationFailed
from ...policy.actor import Actor
from ..common import load_input
from ..oversight import audit
from .users import (
    SUPERVISING_ROLES,
    OfficeInput,
    UserInput,
    insert_offices,
    insert_users,
    new_account,
    supervises_no_one,
)

#: A roster is one transaction: a few thousand accounts at most.
MAX_OFFICES = 500
MAX_USERS = 5000


class RosterInput(Schema):
    offices = fields.List(fields.Nested(OfficeInput), load_default=list, validate=validate.Length(max=MAX_OFFICES))
    users = fields.List(fields.Nested(UserInput), load_default=list, validate=validate.Length(max=MAX_USERS))


_EXISTING = """
OPTIONAL MATCH (o:Office) WHERE o.code IN $codes
WITH collect(o.code) AS offices
OPTIONAL MATCH (u:User) WHERE u.username IN $usernames
WITH offices, collect({username: u.username, uid: u.uid, role: u.role}) AS users
OPTIONAL MATCH (p:PendingUser {status: 'pending'}) WHERE p.username IN $usernames
RETURN offices, users, collect(p.username) AS pending
"""


def provision(graph: Graph, actor: Actor, roster: object) -> dict:
    """Create every office and account of `roster` ({offices: [OfficeInput], users: [UserInput]}) in
    one transaction, or none (ValidationFailed naming `offices[i].field` / `users[i].field`, Conflict
    for a code or username taken). Accounts are active at once. Returns {offices: [codes], users:
    [{uid, username, role, office_code}]} in roster order."""
    if actor.role != "system":
        raise audit.refuse(graph, actor, Forbidden("only the system provisions a roster; an administrator "
                                                   "creates accounts one at a time"), "provision")
    try:
        clean = load_input(RosterInput(), roster)
    except ValidationFailed as exc:
        raise ValidationFailed(_flat(exc.errors)) from None
    offices, users = clean["offices"], clean["users"]
    _no_repeats(offices, "offices", "code")
    _no_repeats(users, "users", "username")
    accounts = [new_account(u) for u in users]

    def work(tx):
        codes = {o["code"] for o in offices}
        referred = codes | {o["parent_code"] for o in offices if o["parent_code"]} | {u["office_code"] for u in users}
        usernames = {u["username"] for u in users} | {u["supervisor"] for u in users if u["supervisor"]}
        found = tx.run(_EXISTING, codes=sorted(referred), usernames=sorted(usernames)).single()
        stored_offices = set(found["offices"])
        stored_users = {u["username"]: u for u in found["users"] if u["username"]}
        _check(offices, users, stored_offices, stored_users, set(found["pending"]))
        uids = {**{n: u["uid"] for n, u in stored_users.items()}, **{a["username"]: a["uid"] for a in accounts}}
        insert_offices(tx, actor, offices)
        insert_users(tx, actor, [(a, uids[u["supervisor"]] if u["supervisor"] else None)
                                  for a, u in zip(accounts, users, strict=True)])
        return {"offices": [o["code"] for o in offices],
                "users": [{k: a[k] for k in ("uid", "username", "role", "office_code")} for a in accounts]}

    return graph.write(work)


def _flat(errors: dict, prefix: str = "") -> dict:
    """Marshmallow's nested messages ({"users": {3: {"password": [...]}}}) as {"users[3].password": [...]}."""
    out: dict = {}
    for key, value in errors.items():
        name = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        out.update(_flat(value, name) if isinstance(value, dict) else {name: value})
    return out


def _no_repeats(entries: list[dict], section: str, key: str) -> None:
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if entry[key] in seen:
            raise ValidationFailed({f"{section}[{i}].{key}": [f"{entry[key]} is also {section}[{seen[entry[key]]}]"]})
        seen[entry[key]] = i


def _check(offices: list[dict], users: list[dict], stored_offices: set[str], stored_users: dict[str, dict],
           pending: set[str]) -> None:
    """Refuse the roster (nothing written yet) at its first entry that clashes with the database or
    names an office or supervisor that is in neither."""
    codes = {o["code"] for o in offices}
    for i, o in enumerate(offices):
        if o["code"] in stored_offices:
            raise Conflict(f"offices[{i}]: office {o['code']} already exists")
        if o["parent_code"] and o["parent_code"] not in codes | stored_offices:
            raise ValidationFailed({f"offices[{i}].parent_code": [f"no office {o['parent_code']}"]})
    roles = {**{n: u["role"] for n, u in stored_users.items()}, **{u["username"]: u["role"] for u in users}}
    for i, u in enumerate(users):
        if u["username"] in stored_users or u["username"] in pending:
            raise Conflict(f"users[{i}]: username {u['username']} is taken"
                           + (" by an account waiting for approval" if u["username"] in pending else ""))
        if u["office_code"] not in codes | stored_offices:
            raise ValidationFailed({f"users[{i}].office_code": [f"no office {u['office_code']}"]})
        sup = u["supervisor"]
        if sup is None:
            continue
        if sup == u["username"] or sup not in roles:
            raise ValidationFailed({f"users[{i}].supervisor": [f"no user {sup}" if sup != u["username"]
                                                                else "nobody supervises themselves"]})
        if roles[sup] not in SUPERVISING_ROLES:
            raise ValidationFailed({f"users[{i}].supervisor": [supervises_no_one(roles[sup])]})
    _no_cycles(users)


def _no_cycles(users: list[dict]) -> None:
    """Refuse a roster whose supervisors go round in a circle (the database's accounts cannot be in one:
    they were created before any of the roster's)."""
    sup_of = {u["username"]: u["supervisor"] for u in users}
    for i, u in enumerate(users):
        seen, who = [u["username"]], u["supervisor"]
        while who in sup_of and who not in seen:  # one who only reports into a circle is named by its members
            seen.append(who)
            who = sup_of[who]
        if who == u["username"] and len(seen) > 1:
            raise ValidationFailed({f"users[{i}].supervisor": [f"{u['username']} would report to themselves "
                                                                f"through {', '.join(seen[1:])}"]})
