"""The synthetic sandbox: offices, users of every role, cases, subjects, documents and call records.

Reproducible (fixed random seed) and set-based (UNWIND batches), so it loads in seconds. Every
username below signs in with the password in CCMS_SANDBOX_PASSWORD (default in settings.py).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ccms_graph.db import Graph, clear_database, install_schema
from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.logic.entities import records
from ccms_graph.logic.location import lpr, plates
from ccms_graph.logic.people.users import hash_password
from ccms_graph.matching import frequencies
from ccms_graph.policy.actor import SYSTEM, Actor

SEED = 2026

#: A node's properties (or a record's input) as the sandbox builds them: mixed values bound for
#: `SET n = row` or `records.build_row`. Their schema is declared in ccms_graph.nodes, not here.
Props = dict[str, Any]

OFFICES = [
    # code, name, kind, parent
    ("HQ", "Headquarters", "branch", None),
    ("HQ-IA", "Office of Professional Responsibility (Internal Affairs)", "unit", "HQ"),
    ("MIA", "Miami Field Office", "field_office", None),
    ("MIA-PEV", "Port Everglades", "port", "MIA"),
    ("MIA-MIA", "Miami International Airport", "port", "MIA"),
    ("MIA-MAR", "Miami Marine Unit", "unit", "MIA"),
    ("NYC", "New York Field Office", "field_office", None),
    ("NYC-JFK", "JFK International Airport", "port", "NYC"),
    ("NYC-CYB", "New York Cyber Unit", "unit", "NYC"),
    ("HOU", "Houston Sector", "sector", None),
    ("HOU-POH", "Port of Houston", "port", "HOU"),
]

#: username, name, role, office, supervisor username. Documented in the README.
USERS = [
    ("admin", "Alex Admin", "admin", "HQ", None),
    ("auditor", "Irene Auditor", "auditor", "HQ-IA", None),
    ("sac_miami", "Sandra Alvarez", "supervisor", "MIA", None),
    ("sup_miami", "Marcus Bell", "supervisor", "MIA", "sac_miami"),
    ("agent_garcia", "Elena Garcia", "agent", "MIA", "sup_miami"),
    ("agent_chen", "David Chen", "agent", "MIA", "sup_miami"),
    ("agent_port", "Rosa Delgado", "agent", "MIA-PEV", "sup_miami"),
    ("analyst_miami", "Priya Raman", "analyst", "MIA", "sup_miami"),
    ("sup_nyc", "Thomas Reilly", "supervisor", "NYC", None),
    ("agent_obrien", "Kevin O'Brien", "agent", "NYC", "sup_nyc"),
    ("agent_patel", "Anita Patel", "agent", "NYC-CYB", "sup_nyc"),
    ("analyst_nyc", "Samuel Brooks", "analyst", "NYC", "sup_nyc"),
    ("sup_houston", "Linda Nguyen", "supervisor", "HOU", None),
    ("agent_nguyen", "Tuan Nguyen", "agent", "HOU", "sup_houston"),
    ("agent_jones", "Carla Jones", "agent", "HOU-POH", "sup_houston"),
    ("analyst_houston", "Ben Ortiz", "analyst", "HOU", "sup_houston"),
]

GIVEN_M = ["James", "John", "Robert", "Michael", "William", "David", "Carlos", "Luis", "Jose", "Juan",
           "Ahmed", "Mohammed", "Wei", "Ivan", "Dmitri", "Andre", "Kevin", "Brian", "Miguel", "Jorge"]
GIVEN_F = ["Mary", "Patricia", "Jennifer", "Linda", "Maria", "Ana", "Sofia", "Fatima", "Mei", "Olga",
           "Elena", "Sarah", "Karen", "Lucia", "Camila", "Aisha", "Nina", "Rosa", "Grace", "Julia"]
FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Rodriguez", "Martinez", "Hernandez",
          "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Nguyen", "Kim", "Chen", "Ivanov",
          "Petrov", "Haddad", "Khan", "Okafor", "Mensah", "O'Connor", "Murphy", "Rossi", "Silva", "Santos",
          "Morales", "Castillo", "Vargas", "Mendoza", "Herrera", "Medina", "Aguilar", "Reyes", "Cruz"]
NICK = {"William": "Bill", "Robert": "Bob", "James": "Jim", "Michael": "Mike", "Patricia": "Patty",
        "Jennifer": "Jenny", "Jose": "Pepe", "David": "Dave", "John": "Jack", "Elena": "Lena"}
STREETS = ["Ocean Dr", "Biscayne Blvd", "Flagler St", "Main St", "Broadway", "Canal St", "Harbor Rd",
           "Navigation Blvd", "Clinton Dr", "Port Rd", "Atlantic Ave", "Collins Ave", "Jamaica Ave"]
CITIES = {"MIA": ("Miami", "FL", "331"), "NYC": ("New York", "NY", "100"), "HOU": ("Houston", "TX", "770")}
AREA = {"MIA": "305", "NYC": "212", "HOU": "713"}
VIOLATIONS = ["18 USC 545 (smuggling)", "21 USC 841 (narcotics distribution)", "18 USC 1956 (money laundering)",
              "8 USC 1324 (alien smuggling)", "18 USC 922 (firearms)", "19 USC 1592 (customs fraud)",
              "18 USC 2320 (counterfeit goods)", "18 USC 1343 (wire fraud)"]
OPERATIONS = ["Tidewater", "Blue Marlin", "Coastal Shield", "Night Heron", "Iron Gate", "Silver Wake",
              "Red Mangrove", "Harbor Light", "Storm Petrel", "Cold Front", "Sandbar", "Lighthouse",
              "Crosswind", "Gulf Stream", "Longshore", "Sea Glass", "Keystone", "Black Pearl",
              "Driftwood", "High Tide", "Orion", "Northstar", "Riptide", "Cutwater", "Bowline",
              "Anchor Point", "Seawall", "Undertow", "Dry Dock", "Shoal Water", "Jetty", "Breakwater",
              "Spinnaker", "Headwind", "Lee Shore", "Ballast"]
MAKES = [("Toyota", "Camry"), ("Honda", "Civic"), ("Ford", "F-150"), ("Chevrolet", "Silverado"),
         ("Nissan", "Altima"), ("BMW", "X5"), ("Jeep", "Wrangler"), ("Dodge", "Ram 1500")]
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def make_vin(rng: random.Random) -> str:
    """A random VIN with a correct check digit (position 9)."""
    chars = [rng.choice(VIN_CHARS) for _ in range(17)]
    total = sum(_VIN_VALUES[c] * w for c, w in zip(chars, _VIN_WEIGHTS, strict=True))
    chars[8] = "X" if total % 11 == 10 else str(total % 11)
    return "".join(chars)


def make_imo(rng: random.Random) -> str:
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(5)]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return "".join(map(str, digits)) + str(check)


#: (input name, value) -> the persons (by index, each in another case) who hold it.
SHARED_ACCOUNTS = (
    (("bank_accounts", {"institution": "Biscayne Federal Bank", "routing_number": "021000021",
                        "account_number": "4417-0099-3812"}), (3, 41, 118)),
    (("bank_accounts", {"institution": "Gulf Coast Savings", "routing_number": "111000025",
                        "account_number": "2200-7751"}), (7, 64)),
    (("crypto_wallets", {"chain": "bitcoin", "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}), (12, 95)),
    (("payment_handles", {"service": "cashapp", "handle": "$quickcash305"}), (21, 150)),
    (("bank_accounts", {"institution": "Harbor Trust", "routing_number": "026009593",
                        "account_number": "9912-4410"}), (30,)),
)


def make_ssn(rng: random.Random) -> str:
    return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _actor(user: Props) -> Actor:
    return Actor(uid=user["uid"], username=user["username"], name=user["name"], role=user["role"],
                 office_code=user["office_code"])


def _field_office(code: str) -> str:
    return code.split("-")[0]


def load(graph: Graph, password: str, wipe: bool = True, now: datetime | None = None) -> dict:
    """Load the sandbox; returns counts. Wipes the database first unless told not to."""
    rng = random.Random(SEED)
    now = now or datetime.now(UTC)
    if wipe:
        clear_database(graph)
    install_schema(graph)
    pw_hash = hash_password(password)

    def tx_run(cypher: str, **params):
        return graph.write(lambda tx: tx.run(cypher, **params).consume())

    tx_run("""UNWIND $rows AS r CREATE (o:Office {code: r.code, name: r.name, kind: r.kind, parent_code: r.parent,
              phone: r.phone, address: r.address})""",
           rows=[{"code": c, "name": n, "kind": k, "parent": p, "phone": f"+1202555{i:04d}",
                  "address": f"{100 + i} Federal Plaza"} for i, (c, n, k, p) in enumerate(OFFICES)])
    tx_run("MATCH (o:Office) WHERE o.parent_code IS NOT NULL MATCH (p:Office {code: o.parent_code}) "
           "CREATE (o)-[:WITHIN]->(p)")
    users: dict[str, Props] = {}
    for i, (username, name, role, office, sup) in enumerate(USERS):
        users[username] = {
            "uid": f"user-{username}", "username": username, "name": name, "role": role, "office_code": office,
            "supervisor_uid": f"user-{sup}" if sup else None, "password_hash": pw_hash, "active": True,
            "phone": f"+1{AREA.get(_field_office(office), '202')}555{1000 + i:04d}",
            "email": f"{username}@ccms.example.gov", "training_expires": f"{now.year + 1}-09-30",
            "failed_logins": 0,
        }
    tx_run("""UNWIND $rows AS r CREATE (u:User) SET u = r, u.created_at = datetime()
              WITH u MATCH (o:Office {code: u.office_code}) CREATE (u)-[:MEMBER_OF]->(o)""",
           rows=list(users.values()))
    tx_run("MATCH (u:User) WHERE u.supervisor_uid IS NOT NULL MATCH (s:User {uid: u.supervisor_uid}) "
           "CREATE (u)-[:REPORTS_TO]->(s)")

    # --- cases -----------------------------------------------------------------------------------
    agents = {fo: [u for u in users.values() if u["role"] == "agent" and _field_office(u["office_code"]) == fo]
              for fo in ("MIA", "NYC", "HOU")}
    cases: list[Props] = []
    seq: dict[str, int] = {}
    statuses = ["open"] * 20 + ["requested"] * 4 + ["referred"] * 3 + ["closed"] * 8 + ["combined"]
    for i, name in enumerate(OPERATIONS):
        fo = ("MIA", "NYC", "HOU")[i % 3]
        owner = rng.choice(agents[fo])
        opened = now - timedelta(days=rng.randint(30, 1100))
        fy = fiscal_year(opened.date())
        seq[f"{fo}:{fy}"] = seq.get(f"{fo}:{fy}", 0) + 1
        status = statuses[i]
        team = sorted({owner["uid"], rng.choice(agents[fo])["uid"]})
        # Some restricted cases; at least one whose team is a single agent.
        restricted = i in (1, 7, 12, 20, 29)
        last_activity = opened + timedelta(days=rng.randint(0, max(1, (now - opened).days)))
        if i in (3, 9, 15):  # stale: closure candidates
            last_activity = now - timedelta(days=200 + i)
        closed = status in ("closed", "combined")
        case: Props = {
            "uid": f"case-{i + 1:03d}", "case_number": f"{fo}-FY{fy % 100:02d}-{seq[f'{fo}:{fy}']:05d}",
            "title": f"Operation {name}", "violations": rng.sample(VIOLATIONS, rng.randint(1, 2)),
            "predication": rng.choice(["Seizure at port of entry", "Confidential informant tip",
                                       "Referral from partner agency", "Suspicious activity report",
                                       "Financial intelligence referral"]),
            "status": status, "owner_uid": owner["uid"], "office_code": owner["office_code"],
            "team_uids": team, "restricted": restricted, "approval_status":
                "pending" if status == "requested" else "approved",
            "opened_at": None if status == "requested" else opened.isoformat(),
            "closed_at": (now - timedelta(days=rng.randint(5, 300))).isoformat() if closed else None,
            "close_reason": "combined" if status == "combined" else (
                rng.choice(["no_new_information", "prosecution_declined", "prosecution_complete"])
                if closed else None),
            "created_by": owner["uid"], "updated_by": owner["uid"], "source": "manual", "version": 1,
            "deleted": False, "created_at": opened.isoformat(), "last_activity_at": last_activity.isoformat(),
        }
        case["violations_text"] = " ".join(case["violations"])
        cases.append(case)
    cases[-1]["combined_into"] = cases[0]["uid"]
    tx_run("""UNWIND $rows AS r CREATE (c:Case:Linkable) SET c = r,
              c.created_at = datetime(r.created_at), c.updated_at = datetime(r.created_at),
              c.last_activity_at = datetime(r.last_activity_at),
              c.opened_at = CASE WHEN r.opened_at IS NULL THEN null ELSE datetime(r.opened_at) END,
              c.closed_at = CASE WHEN r.closed_at IS NULL THEN null ELSE datetime(r.closed_at) END
              WITH c MATCH (u:User {uid: c.owner_uid}) CREATE (c)-[:OWNED_BY]->(u)""",
           rows=[{k: v for k, v in c.items() if v is not None} for c in cases])
    tx_run("""UNWIND $rows AS r MERGE (s:Sequence {name: r.name}) SET s.value = r.value""",
           rows=[{"name": f"case:{k.split(':')[0]}:{k.split(':')[1]}", "value": v} for k, v in seq.items()])

    # --- selectors shared across cases ------------------------------------------------------------
    phone_pool = {fo: [f"+1{AREA[fo]}{rng.randint(200, 999)}{rng.randint(1000, 9999)}" for _ in range(90)]
                  for fo in AREA}
    shared_phones = [f"+1786{rng.randint(200, 999)}{rng.randint(1000, 9999)}" for _ in range(8)]
    addr_pool = {}
    for fo, (city, state, zip3) in CITIES.items():
        addr_pool[fo] = [{"line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "city": city, "state": state,
                          "postcode": f"{zip3}{rng.randint(10, 99)}"} for _ in range(60)]

    # --- subject records ----------------------------------------------------------------------------
    open_like = [c for c in cases if c["status"] != "combined"]
    by_type: dict[str, list[tuple[Props, Props, str]]] = {t: [] for t in
                                                           ("Person", "Business", "Vehicle", "Vessel",
                                                            "Aircraft", "Thing")}

    def owner_of(case):
        return users[next(u for u in users if users[u]["uid"] == case["owner_uid"])]

    persons: list[tuple[Props, Props]] = []
    for i in range(320):
        case = open_like[i % len(open_like)]
        fo = _field_office(case["office_code"])
        sex = rng.choice("MF")
        given = rng.choice(GIVEN_M if sex == "M" else GIVEN_F)
        family = rng.choice(FAMILY)
        if rng.random() < 0.1:
            family = f"{family}-{rng.choice(FAMILY)}"
        p: Props = {"given_name": given, "family_name": family, "sex": sex,
                    "dob": f"{rng.randint(1955, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "phones": [rng.choice(phone_pool[fo])],
                    "addresses": [rng.choice(addr_pool[fo])], "ref": f"SEED-P{i:04d}"}
        if rng.random() < 0.35:
            p["ssn"] = make_ssn(rng)
        if rng.random() < 0.2:
            p["a_number"] = f"A{rng.randint(10_000_000, 299_999_999):09d}"
        if rng.random() < 0.15:
            p["aliases"] = [f"{NICK.get(given, given[:3])} {family}"]
        if rng.random() < 0.1:
            p["phones"].append(rng.choice(shared_phones))
        if rng.random() < 0.2:
            p["emails"] = [f"{given.lower()}.{family.lower().replace(chr(39), '')}{i}@mail.example.com"]
        if rng.random() < 0.05:
            p["dob"] = rng.choice(["1970", "unknown - approx 40", "1983-06"])
        persons.append((p, case))
        by_type["Person"].append((p, case, "manual"))
    # Financial selectors (PIA §2.1): a few accounts held by subjects of different cases, for the saved
    # query "accounts_shared_across_cases" and the explorer. Fixed picks: the random stream is left as it was.
    for account, holders in SHARED_ACCOUNTS:
        for i in holders:
            persons[i][0].setdefault(account[0], []).append(account[1])
    # Near-duplicates of earlier persons in other offices' cases: nickname, swapped names, transposed DOB.
    for j, (orig, _case) in enumerate(persons[:10]):
        other = open_like[(j * 7 + 5) % len(open_like)]
        dup = dict(orig, ref=f"SEED-DUP{j:02d}")
        dup.pop("ssn", None)
        if j % 3 == 0:
            dup["given_name"] = NICK.get(orig["given_name"], orig["given_name"])
        elif j % 3 == 1:
            dup["given_name"], dup["family_name"] = orig["family_name"], orig["given_name"]
        elif orig.get("dob", "").count("-") == 2:
            y, m, d = orig["dob"].split("-")
            if int(d) <= 12:
                dup["dob"] = f"{y}-{d}-{m}"
        by_type["Person"].append((dup, other, "manual"))
    for i in range(60):
        case = open_like[(i * 5) % len(open_like)]
        fo = _field_office(case["office_code"])
        by_type["Business"].append(({
            "name": f"{rng.choice(FAMILY)} {rng.choice(['Imports', 'Trading', 'Logistics', 'Marine', 'Holdings'])} "
                    f"{rng.choice(['LLC', 'Inc', 'Corp', 'Ltd'])}",
            "ein": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}", "kind": rng.choice(["llc", "corporation"]),
            "jurisdiction": CITIES[fo][1], "phones": [rng.choice(phone_pool[fo])],
            "addresses": [rng.choice(addr_pool[fo])], "ref": f"SEED-B{i:03d}"}, case, "manual"))
    for i in range(50):
        case = open_like[(i * 3) % len(open_like)]
        make, model = rng.choice(MAKES)
        by_type["Vehicle"].append(({"vin": make_vin(rng), "plate": f"{rng.choice('ABCDEFGHJK')}"
                                    f"{rng.randint(100, 999)}{rng.choice('XYZ')}{rng.randint(10, 99)}",
                                    "plate_state": CITIES[_field_office(case['office_code'])][1], "make": make,
                                    "model": model, "year": rng.randint(2005, 2025),
                                    "colour": rng.choice(["black", "white", "silver", "red", "blue"]),
                                    "ref": f"SEED-V{i:03d}"}, case, "manual"))
    for i in range(15):
        case = open_like[(i * 2) % len(open_like)]
        by_type["Vessel"].append(({"name": f"{rng.choice(['Sea', 'Blue', 'Lady', 'Ocean', 'Gulf'])} "
                                           f"{rng.choice(['Breeze', 'Star', 'Runner', 'Queen', 'Spirit'])}",
                                   "imo": make_imo(rng), "mmsi": f"366{rng.randint(100000, 999999)}",
                                   "flag": rng.choice(["US", "PA", "BS", "HN"]),
                                   "kind": rng.choice(["cargo", "fishing", "pleasure"]),
                                   "ref": f"SEED-S{i:03d}"}, case, "manual"))
    for i in range(10):
        case = open_like[(i * 4) % len(open_like)]
        by_type["Aircraft"].append(({"tail_number": f"N{rng.randint(100, 9999)}{rng.choice(['', 'A', 'BK', 'T'])}",
                                     "serial_number": f"SN{rng.randint(10000, 99999)}",
                                     "make": rng.choice(["Cessna", "Piper", "Beechcraft"]),
                                     "model": rng.choice(["172", "PA-28", "King Air 350"]),
                                     "icao24": f"A{rng.randint(0, 0xFFFFF):05X}", "ref": f"SEED-A{i:03d}"},
                                    case, "manual"))
    for i in range(60):
        case = open_like[(i * 6) % len(open_like)]
        cat = rng.choice(["firearm", "currency", "narcotics", "electronic_device", "document"])
        desc = {"firearm": "9mm pistol", "currency": "bulk US currency", "narcotics": "cocaine bricks",
                "electronic_device": "mobile phone", "document": "fraudulent passport"}[cat]
        thing = {"category": cat, "description": desc, "quantity": float(rng.randint(1, 40)),
                 "value": float(rng.randint(100, 250000)), "ref": f"SEED-T{i:03d}"}
        if cat in ("firearm", "electronic_device"):
            thing["serial"] = f"SER{rng.randint(100000, 999999)}"
        by_type["Thing"].append((thing, case, "manual"))

    counts = {}
    for type_name, items in by_type.items():
        rows = []
        for data, case, source in items:
            owner = owner_of(case)
            # The sandbox's records stand for ones migrated from an older system: a few dates of birth
            # as that system held them ("unknown - approx 40"), kept as written and flagged.
            row = records.build_row(type_name, data, _actor(owner), case_uid=case["uid"], source=source,
                                    dob_as_written=True)
            row["props"]["office_code"] = case["office_code"]
            rows.append(row)
        for k in range(0, len(rows), 500):
            graph.write(lambda tx, b=rows[k:k + 500], t=type_name: records.insert_rows(tx, t, b, SYSTEM.uid))
        counts[type_name] = len(rows)
    # Most records are approved; a handful stay pending for the supervisors' queues.
    tx_run("""MATCH (n:SubjectRecord) WITH n ORDER BY n.source_ref
              WITH collect(n) AS ns UNWIND range(0, size(ns) - 1) AS i
              WITH ns[i] AS n, i SET n.approval_status = CASE WHEN i % 23 = 0 THEN 'pending' ELSE 'approved' END""")
    # A few persons appear in a second case of another office (same Person node, two cases).
    tx_run("""MATCH (p:Person) WHERE p.source_ref IN $refs MATCH (c:Case {uid: $case})
              CREATE (p)-[:SUBJECT_IN {uid: randomUUID(), created_at: datetime(), created_by: 'system',
                     source: 'manual', status: 'active'}]->(c)""",
           refs=[f"SEED-P{i:04d}" for i in (3, 4, 5)], case=cases[10]["uid"])

    # --- links within cases ---------------------------------------------------------------------------
    tx_run("""MATCH (c:Case) WHERE c.status <> 'combined'
              MATCH (p:Person)-[:SUBJECT_IN]->(c)
              WITH c, collect(p) AS ps WHERE size(ps) > 1
              UNWIND range(0, size(ps) - 2) AS i
              WITH c, ps[i] AS a, ps[i + 1] AS b
              CREATE (a)-[:ASSOCIATE_OF {uid: randomUUID(), created_at: datetime(), created_by: c.owner_uid,
                     reason: 'seen together during surveillance', source: 'manual', status: 'active',
                     case_uid: c.uid}]->(b)""")
    for rel, src, dst, reason in [("EMPLOYED_BY", "Person", "Business", "payroll records"),
                                  ("OFFICER_OF", "Person", "Business", "state corporate filings"),
                                  ("REGISTERED_TO", "Vehicle", "Person", "DMV registration"),
                                  ("OWNS", "Person", "Vessel", "USCG documentation"),
                                  ("REGISTERED_TO", "Aircraft", "Business", "FAA registry"),
                                  ("OWNS", "Person", "Thing", "seized from subject"),
                                  ("TRAVELLED_ON", "Person", "Aircraft", "manifest")]:
        tx_run(f"""MATCH (c:Case) MATCH (a:{src})-[:SUBJECT_IN]->(c) MATCH (b:{dst})-[:SUBJECT_IN]->(c)
                  WITH c, a, b ORDER BY a.source_ref, b.source_ref
                  WITH c, collect(DISTINCT a)[0..2] AS as_, collect(DISTINCT b)[0] AS b WHERE b IS NOT NULL
                  UNWIND as_ AS a
                  CREATE (a)-[:{rel} {{uid: randomUUID(), created_at: datetime(), created_by: c.owner_uid,
                         reason: $reason, source: 'manual', status: 'active', case_uid: c.uid}}]->(b)""",
               reason=reason)

    # --- documents ------------------------------------------------------------------------------------
    docs = []
    for i, case in enumerate(cases):
        author = case["owner_uid"]
        if case["status"] == "requested":
            continue
        roi_status = "approved" if i % 4 else ("draft" if i % 8 == 0 else "submitted")
        docs.append({"label": "ReportOfInvestigation", "uid": f"doc-roi-{i:03d}", "case_uid": case["uid"],
                     "title": f"ROI #1 - {case['title']}", "status": roi_status,
                     "narrative": f"Investigation opened on {case['predication'].lower()}. Subjects were "
                                  f"identified through records checks and surveillance.",
                     "author_uid": author, "owner_uid": author, "office_code": case["office_code"]})
        if i % 3 == 0:
            docs.append({"label": "SeizureReport", "uid": f"doc-seiz-{i:03d}", "case_uid": case["uid"],
                         "title": f"Seizure at {rng.choice(['Port Everglades', 'JFK cargo', 'Port of Houston'])}",
                         "status": "approved", "narrative": "Items seized during secondary inspection.",
                         "author_uid": author, "owner_uid": author, "office_code": case["office_code"],
                         "incident_date": (now - timedelta(days=rng.randint(10, 400))).date().isoformat()})
        if i % 4 == 1:
            docs.append({"label": "ArrestReport", "uid": f"doc-arr-{i:03d}", "case_uid": case["uid"],
                         "title": "Arrest of principal subject", "status": "approved",
                         "narrative": "Subject arrested without incident.", "author_uid": author,
                         "owner_uid": author, "office_code": case["office_code"],
                         "incident_date": (now - timedelta(days=rng.randint(10, 400))).date().isoformat()})
        if i % 5 == 2:
            docs.append({"label": "SurveillanceReport", "uid": f"doc-surv-{i:03d}", "case_uid": case["uid"],
                         "title": "Title III intercept summary", "status": "approved",
                         "narrative": "Summary of intercepted calls.", "author_uid": author,
                         "owner_uid": author, "office_code": case["office_code"], "authority": "Court order"})
        if i % 2 == 0:
            docs.append({"label": "Evidence", "uid": f"doc-ev-{i:03d}", "case_uid": case["uid"],
                         "title": "Evidence item: mobile phone", "status": "approved",
                         "description": "Handset recovered at arrest.", "author_uid": author,
                         "owner_uid": author, "office_code": case["office_code"]})
    for label in {d["label"] for d in docs}:
        rows = [{k: v for k, v in d.items() if k != "label"} for d in docs if d["label"] == label]
        tx_run(f"""UNWIND $rows AS r CREATE (d:{label}:Document:Linkable) SET d = r,
                  d.created_at = datetime(), d.updated_at = datetime(), d.created_by = r.author_uid,
                  d.approval_status = CASE WHEN r.status = 'approved' THEN 'approved' ELSE 'pending' END,
                  d.source = 'manual', d.version = 1, d.deleted = false
                  WITH d MATCH (c:Case {{uid: d.case_uid}})
                  CREATE (d)-[:PART_OF {{uid: randomUUID(), created_at: datetime(), created_by: d.author_uid,
                         source: 'manual', status: 'active'}}]->(c)
                  WITH d, c MATCH (s:SubjectRecord)-[:SUBJECT_IN]->(c)
                  WITH d, collect(s)[0..3] AS ss UNWIND ss AS s
                  CREATE (d)-[:MENTIONS {{uid: randomUUID(), created_at: datetime(), created_by: d.author_uid,
                         source: 'manual', status: 'active'}}]->(s)""", rows=rows)
    # The combined case's documents and subjects were moved into the case it was combined into.
    counts["documents"] = len(docs)
    # Outcomes of earlier fiscal years, so the statistics dashboard shows a trend (issue 17). A random
    # stream of their own: every pick above stays as it was.
    earlier = {label: [{**r, "on": r["incident_date"]} for r in rows]
               for label, rows in _earlier_outcomes(cases, now).items()}
    warrants_and_court, hours = _warrants_court_and_hours(cases, {u["uid"]: u["name"] for u in users.values()}, now)
    for label, rows in [*earlier.items(), *warrants_and_court.items()]:  # approved, dated by their `on` day
        tx_run(f"""UNWIND $rows AS r CREATE (d:{label}:Document:Linkable) SET d = r,
                  d.created_at = datetime(r.on), d.updated_at = datetime(r.on), d.created_by = r.author_uid,
                  d.approval_status = 'approved', d.source = 'manual', d.version = 1, d.deleted = false
                  REMOVE d.on
                  WITH d MATCH (c:Case {{uid: d.case_uid}})
                  CREATE (d)-[:PART_OF {{uid: randomUUID(), created_at: d.created_at, created_by: d.author_uid,
                         source: 'manual', status: 'active'}}]->(c)""", rows=rows)
        counts["documents"] += len(rows)
    tx_run("""UNWIND $rows AS r MATCH (c:Case {uid: r.case_uid})
              CREATE (h:WorkHours) SET h = r, h.created_at = datetime(r.date + 'T18:00:00Z')
              CREATE (h)-[:LOGGED_ON]->(c)""", rows=hours)
    counts["work_hours"] = len(hours)

    # --- call detail records between phones -----------------------------------------------------------
    calls = []
    phones = [r["e164"] for r in graph.query("MATCH (p:Phone) RETURN p.e164 AS e164 ORDER BY e164")]
    for _ in range(450):
        a, b = rng.sample(phones, 2)
        first = now - timedelta(days=rng.randint(30, 700))
        last = first + timedelta(days=rng.randint(0, 25))
        calls.append({"a": a, "b": b, "count": rng.randint(1, 60), "first": first.isoformat(),
                      "last": last.isoformat(), "seconds": rng.randint(30, 9000)})
    # Two numbers used by subjects of different cases call the same shared number.
    for shared in shared_phones[:4]:
        for _ in range(3):
            calls.append({"a": rng.choice(phones), "b": shared, "count": rng.randint(2, 20),
                          "first": (now - timedelta(days=90)).isoformat(),
                          "last": (now - timedelta(days=3)).isoformat(), "seconds": 600})
    graph.write(lambda tx: tx.run(
        """UNWIND $rows AS r
           MERGE (a:Phone {e164: r.a}) ON CREATE SET a:Linkable, a.uid = randomUUID(), a.display = r.a
           MERGE (b:Phone {e164: r.b}) ON CREATE SET b:Linkable, b.uid = randomUUID(), b.display = r.b
           MERGE (a)-[c:CALLED]->(b)
           ON CREATE SET c.uid = randomUUID(), c.count = 0, c.total_seconds = 0, c.status = 'active',
                         c.source = 'seed-cdr', c.created_at = datetime(), c.created_by = 'system',
                         c.first_at = datetime(r.first), c.last_at = datetime(r.last)
           SET c.count = c.count + r.count, c.total_seconds = c.total_seconds + r.seconds,
               c.first_at = CASE WHEN datetime(r.first) < c.first_at THEN datetime(r.first) ELSE c.first_at END,
               c.last_at = CASE WHEN datetime(r.last) > c.last_at THEN datetime(r.last) ELSE c.last_at END""",
        rows=calls).consume())
    counts["calls"] = len(calls)
    counts.update(_where_and_when(graph, cases, now))
    counts["cases"] = len(cases)
    counts["users"] = len(users)
    counts["offices"] = len(OFFICES)
    frequencies.recount(graph)  # deconfliction weighs names by how common they are in the graph
    return counts


#: Where each field office's points fall: its city centre (WGS84) and how far, in degrees, they spread.
CENTRES = {"MIA": (25.7617, -80.1918), "NYC": (40.7128, -74.0060), "HOU": (29.7604, -95.3698)}
SPREAD = 0.12
#: The state of an address or plate -> the field office whose area it lies in.
OFFICE_OF_STATE = {state: fo for fo, (_city, state, _zip) in CITIES.items()}


def _near(rng: random.Random, fo: str) -> tuple[float, float]:
    lat, lon = CENTRES[fo]
    return round(lat + rng.uniform(-SPREAD, SPREAD), 5), round(lon + rng.uniform(-SPREAD, SPREAD), 5)


def _where_and_when(graph: Graph, cases: list[Props], now: datetime) -> dict[str, int]:
    """Coordinates, cell sites and LPR sightings (issue 19), from a random stream of their own so every pick
    above stays as it was: every address and every arrest and seizure report gets a point in its office's
    area; four cell sites per office; each open case's vehicles are seen by plate readers over the last 90
    days, and one Miami case hot-lists a plate no subject has, seen twice. Sightings go in through the LPR
    import's own statement (`lpr.insert`), bound to their case as the import binds them."""
    rng = random.Random(SEED + 19)
    addresses = graph.query("MATCH (a:Address) RETURN a.key AS key, a.state AS state ORDER BY key")
    rows = [{"key": a["key"], "p": _near(rng, OFFICE_OF_STATE.get(a["state"] or "", "MIA"))} for a in addresses]
    graph.write(lambda tx: tx.run("UNWIND $rows AS r MATCH (a:Address {key: r.key}) "
                                  "SET a.location = point({latitude: r.p[0], longitude: r.p[1]})", rows=rows).consume())
    office = {c["uid"]: _field_office(c["office_code"]) for c in cases}
    reports = graph.query("MATCH (d:Document) WHERE d:ArrestReport OR d:SeizureReport RETURN d.uid AS uid, "
                          "d.case_uid AS case ORDER BY uid")
    located = [{"uid": d["uid"], "p": _near(rng, office.get(d["case"], "MIA"))} for d in reports]
    graph.write(lambda tx: tx.run("UNWIND $rows AS r MATCH (d:Document {uid: r.uid}) SET d.latitude = r.p[0], "
                                  "d.longitude = r.p[1], d.location = point({latitude: r.p[0], longitude: r.p[1]})",
                                  rows=located).consume())
    sites = [{"site_id": f"{fo}-{n:03d}", "p": _near(rng, fo)} for fo in CENTRES for n in range(1, 5)]
    graph.write(lambda tx: tx.run("UNWIND $rows AS r MERGE (c:CellSite {site_id: r.site_id}) "
                                  "SET c.location = point({latitude: r.p[0], longitude: r.p[1]})", rows=sites).consume())

    live = {c["uid"] for c in cases if c["status"] in ("open", "referred")}
    vehicles = graph.query("""MATCH (v:Vehicle)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
                              RETURN v.uid AS uid, v.plate AS plate, v.plate_state AS state, c.uid AS case
                              ORDER BY v.source_ref, c.uid""")
    reads: list[Props] = []

    def read(plate: str, state: str, case_uid: str, how: str, vehicle: list[str]) -> None:
        p, st = plates.plate(plate), plates.state(state)
        if p is None or st is None:
            return
        lat, lon = _near(rng, office[case_uid])
        seen = (now - timedelta(days=rng.uniform(0, 90))).isoformat()
        fp = f"seed-lpr-{len(reads):04d}"
        reads.append({"fp": fp, "read": fp, "plate": p, "state": st, "key": plates.key(p, st), "seen_at": seen,
                      "lat": lat, "lon": lon, "camera": f"{office[case_uid]}-LPR-{rng.randint(1, 40):02d}",
                      "source": "sandbox plate-reader feed", "case_uid": case_uid, "bound_by": how,
                      "row": len(reads) + 2, "vehicles": vehicle})

    for v in vehicles:
        if v["case"] in live and v["case"] != cases[0]["uid"]:  # case-001, the explorer's journey, stays as it was
            for _ in range(rng.randint(2, 6)):
                read(v["plate"], v["state"], v["case"], "vehicle", [v["uid"]])
    hot_case = next(c for c in cases[1:] if c["uid"] in live and office[c["uid"]] == "MIA")
    entry = {"uid": "hot-seed-001", "case_uid": hot_case["uid"], "plate": "HOT4711", "plate_state": "FL",
             "plate_key": plates.key("HOT4711", "FL"), "reason": "a courier's rental car, seen at the stash house",
             "created_by": hot_case["owner_uid"], "created_at": now.isoformat(),
             "expires_at": (now + timedelta(days=60)).isoformat()}
    graph.write(lambda tx: tx.run("CREATE (h:HotListEntry) SET h = $e, h.created_at = datetime($e.created_at), "
                                  "h.expires_at = datetime($e.expires_at)", e=entry).consume())
    for _ in range(2):
        read("HOT4711", "FL", hot_case["uid"], "hot_list", [])
    for k in range(0, len(reads), 1000):
        graph.write(lambda tx, b=reads[k:k + 1000]: lpr.insert(tx, b, "seed", SYSTEM.uid))
    return {"geocoded_addresses": len(rows), "cell_sites": len(sites), "sightings": len(reads), "hot_lists": 1}


def _earlier_outcomes(cases: list[Props], now: datetime) -> dict[str, list[Props]]:
    """Approved arrest and seizure reports dated in the fiscal years before the seed's other reports (which
    fall in the last 400 days): one or two per case opened earlier, while it was open, with charges from the
    case's violations and a seizure's own category, quantity and value."""
    rng = random.Random(SEED + 17)
    out: dict[str, list[Props]] = {"ArrestReport": [], "SeizureReport": []}
    horizon = now - timedelta(days=400)
    for i, case in enumerate(cases):
        # case-001's neighbourhood is what the explorer journey lays out and expands: left as it was.
        if not case["opened_at"] or case["status"] == "combined" or i == 0:
            continue
        opened = datetime.fromisoformat(case["opened_at"])
        until = min(horizon, datetime.fromisoformat(case["closed_at"])) if case["closed_at"] else horizon
        if (until - opened).days < 10:
            continue
        base = {"case_uid": case["uid"], "status": "approved", "author_uid": case["owner_uid"],
                "owner_uid": case["owner_uid"], "office_code": case["office_code"]}
        span = (until - opened).days
        days = [(opened + timedelta(days=rng.randint(0, span))).date().isoformat() for _ in range(2)]
        if i % 2 == 0:
            out["ArrestReport"].append({
                **base, "uid": f"doc-arr-early-{i:03d}", "title": "Arrest of a co-conspirator",
                "narrative": "Subject arrested at a residence.", "incident_date": days[0],
                "charges": [v.split(" (")[0] for v in case["violations"]],
                "arresting_office": case["office_code"], "on_warrant": rng.random() < 0.6})
        category = rng.choice(["currency", "narcotics", "firearm", "electronic_device", "document"])
        out["SeizureReport"].append({
            **base, "uid": f"doc-seiz-early-{i:03d}", "title": f"Seizure of {category.replace('_', ' ')}",
            "narrative": "Items seized under a search warrant.", "incident_date": days[1], "category": category,
            "quantity": float(rng.randint(1, 50)), "unit": "usd" if category == "currency" else "each",
            "value_usd": float(rng.randint(500, 400000))})
    return out


def _warrants_court_and_hours(cases: list[Props], names: dict[str, str], now: datetime
                              ) -> tuple[dict[str, list[Props]], list[Props]]:
    """Approved warrants (issued while the case was open, most served days later), the prosecution's court
    records (an indictment for every third case, then a plea or conviction and a sentence for every sixth)
    and the owners' work hours (a few days a month while open), so the dashboard's warrants, prosecutions
    and hours have a trend over the fiscal years. A random stream of their own: every other pick stays."""
    rng = random.Random(SEED + 23)
    docs: dict[str, list[Props]] = {"Warrant": [], "CourtRecord": []}
    hours: list[Props] = []
    today = now.date()
    for i, case in enumerate(cases):
        # case-001's neighbourhood is what the explorer journey lays out and expands: left as it was.
        if not case["opened_at"] or case["status"] == "combined" or i == 0:
            continue
        opened = datetime.fromisoformat(case["opened_at"]).date()
        until = min(today, datetime.fromisoformat(case["closed_at"]).date()) if case["closed_at"] else today
        span = (until - opened).days
        if span < 20:
            continue
        base = {"case_uid": case["uid"], "status": "approved", "author_uid": case["owner_uid"],
                "owner_uid": case["owner_uid"], "office_code": case["office_code"]}
        for n in range(1 + (i % 3 == 0)):
            issued = opened + timedelta(days=rng.randint(0, span - 15))
            served = issued + timedelta(days=rng.randint(1, 14)) if rng.random() < 0.8 else None
            kind = rng.choice(["search", "arrest", "seizure", "tracking"])
            docs["Warrant"].append({**base, "uid": f"doc-war-{i:03d}-{n}", "on": issued.isoformat(),
                                    "title": f"{kind.capitalize()} warrant", "warrant_type": kind,
                                    "issuing_court": rng.choice(["S.D. Fla.", "S.D.N.Y.", "S.D. Tex."]),
                                    "issued_date": issued.isoformat(),
                                    **({"served_date": served.isoformat()} if served else {})})
        docket = f"{opened.year % 100:02d}-cr-{20000 + i}"
        steps = [("indictment", 0.3)] if i % 3 == 0 else []
        if i % 6 == 0:
            steps += [(rng.choice(["plea", "conviction"]), 0.7), ("sentence", 0.9)]
        for proceeding, share in steps:
            day = opened + timedelta(days=int(span * share))
            docs["CourtRecord"].append({**base, "uid": f"doc-court-{i:03d}-{proceeding}", "on": day.isoformat(),
                                        "title": f"{proceeding.capitalize()}, {docket}", "court": "U.S. District Court",
                                        "docket_number": docket, "filed_date": day.isoformat(),
                                        "proceeding": proceeding,
                                        **({"sentence_months": rng.choice([24, 46, 60, 87, 120])}
                                           if proceeding == "sentence" else {})})
        for month in range(0, span, 30):
            for _ in range(rng.randint(1, 3)):
                day = opened + timedelta(days=month + rng.randint(0, 29))
                if day > until:
                    continue
                hours.append({"uid": f"hours-{i:03d}-{len(hours)}", "case_uid": case["uid"],
                              "user_uid": case["owner_uid"], "user_name": names.get(case["owner_uid"]),
                              "office_code": case["office_code"], "date": day.isoformat(),
                              "hours": rng.choice([1.5, 2.0, 3.25, 4.0, 6.5, 8.0]),
                              "activity": rng.choice(["surveillance", "interviews", "records checks", "report writing"])})
    return docs, hours


def sandbox_actor(graph: Graph, username: str) -> Actor:
    from ccms_graph.policy.actor import load_actor

    return replace(graph.read(load_actor, username))
