"""The mixed API workload `benchmarks/load.py` runs through locust (headless); not meant to be run alone.

Each virtual user takes the next token of the fixture file named by `CCMS_LOAD_FIXTURE` (a JSON object
`{"users": [{"username", "token"}], "terms": [...]}` that load.py writes), so the sandbox users share the
load round-robin, each request under its own user's access policy. The weights follow the issue's mix:

    search 30 · record page 30 · one-hop expansion 20 · saved query 10 · create with deconfliction 10

Records viewed and expanded are uids the same user's searches returned, so every read is one the user may
make (a 403/404 is a real error, not noise). A create sends a random person with `separate_reason`, so a
deconfliction match answers 201 with its hits rather than 409. No think time: each user sends its next
request as soon as the last one answers (a closed loop), so throughput at N clients is the server's.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import string

from locust import HttpUser, constant, task

_FIXTURE = json.loads(open(os.environ["CCMS_LOAD_FIXTURE"], encoding="utf-8").read())
_NEXT_USER = itertools.count()

GIVEN = ("Maria", "Jose", "Ana", "Luis", "Carlos", "Elena", "John", "Wei", "Li", "Sofia", "Miguel", "Laura")
FAMILY = ("Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Chen", "Smith", "Diaz")


#: Search hit kinds that are not Subject Records (they have no `/api/v1/records/<uid>` page).
NOT_RECORDS = ("Case", "Document", "Attachment", "Selector")


class Investigator(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        users = _FIXTURE["users"]
        me = users[next(_NEXT_USER) % len(users)]
        self.username = me["username"]
        self.client.headers["Authorization"] = f"Bearer {me['token']}"
        self.rng = random.Random()
        self.records: list[str] = []
        self.terms = list(_FIXTURE["terms"])
        for term in self.terms[:3]:
            self._search(term)

    def _search(self, term: str) -> None:
        with self.client.get("/api/v1/search", params={"text": term, "limit": 20}, name="search",
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return
            try:  # the search over everything answers hits grouped by kind; Subject Records have record pages
                found = [hit["uid"] for group in r.json()["groups"] if group["kind"] not in NOT_RECORDS
                         for hit in group["hits"]]
            except (ValueError, KeyError, TypeError) as exc:
                r.failure(f"unexpected search answer: {exc!r}")
                return
            self.records = (found + self.records)[:200]

    def _some_record(self) -> str | None:
        return self.rng.choice(self.records) if self.records else None

    @task(30)
    def search(self) -> None:
        self._search(self.rng.choice(self.terms))

    @task(30)
    def record_page(self) -> None:
        uid = self._some_record()
        if uid is None:
            return self.search()
        self.client.get(f"/api/v1/records/{uid}", name="record")

    @task(20)
    def expand(self) -> None:
        uid = self._some_record()
        if uid is None:
            return self.search()
        self.client.get(f"/api/v1/graph/neighbours/{uid}", params={"limit": 50}, name="expand")

    @task(10)
    def saved_query(self) -> None:
        # Catalogue queries every case role may run, with plain parameters.
        if self.rng.random() < 0.5:
            name, params = "recent_office_entities", {"days": 3650}
        else:
            name, params = "shared_phones", {"min_cases": 2}
        self.client.post(f"/api/v1/queries/{name}/run", json={"params": params}, name="saved_query")

    @task(10)
    def create(self) -> None:
        # Half common names (deconfliction finds and scores candidates), half new ones (few candidates).
        suffix = "".join(self.rng.choices(string.ascii_lowercase, k=4)) if self.rng.random() < 0.5 else ""
        body = {"given_name": self.rng.choice(GIVEN), "family_name": self.rng.choice(FAMILY) + suffix,
                "dob": f"{self.rng.randint(1950, 2004)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}",
                "separate_reason": "load benchmark: a synthetic person"}
        self.client.post("/api/v1/records/persons", json=body, name="create")
