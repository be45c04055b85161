"""Owner notifications: who is told about views and searches, and email digests over a real SMTP conversation."""

from __future__ import annotations

import socket
from dataclasses import replace
from email import message_from_bytes

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.entities import access
from ccms_graph.logic.oversight import notifications
from tests.policy import helpers as h


def _notes(graph, who):
    return notifications.inbox(graph, who)


def test_a_view_by_another_user_notifies_the_owner(graph, org):
    s = h.person(graph, org.agent_a, given_name="Maria", family_name="Lopez")
    access.view_record(graph, org.agent_b, s)
    (note,) = _notes(graph, org.agent_a)
    assert note["kind"] == "view" and note["record_uid"] == s and note["displayed"] is True
    assert note["actor_uid"] == org.agent_b.uid and note["actor_name"] == "Agent B"
    assert note["record_caption"] == "Maria Lopez" and note["read"] is False and note["created_at"]
    assert notifications.mark_read(graph, org.agent_a, [note["uid"]]) == 1
    assert notifications.inbox(graph, org.agent_a, unread_only=True) == []
    assert notifications.mark_read(graph, org.agent_b, [note["uid"]]) == 0  # not hers to mark


def test_the_owners_own_view_notifies_nobody(graph, org):
    s = h.person(graph, org.agent_a)
    access.view_record(graph, org.agent_a, s)
    assert graph.query("MATCH (n:Notification) RETURN count(n) AS n")[0]["n"] == 0


def test_an_auditors_view_notifies_nobody_but_is_audited(graph, org):
    c = h.case(graph, org.agent_a, "Quiet case", restricted=True)
    s = h.person(graph, org.agent_a, c)
    access.view_record(graph, org.auditor, c)
    access.view_record(graph, org.auditor, s)
    access.search(graph, org.auditor, "Smith")
    assert graph.query("MATCH (n:Notification) RETURN count(n) AS n")[0]["n"] == 0
    views = graph.query("""MATCH (e:AuditEntry) WHERE e.actor_uid = $a RETURN e.action AS a, e.targets AS t
                           ORDER BY e.seq""", {"a": org.auditor.uid})
    assert [(v["a"], v["t"]) for v in views] == [("view", [c, s]), ("view", [s, c]), ("search", [s])]  # views name what they showed


def test_a_case_view_notifies_the_case_owner(graph, org):
    c = h.case(graph, org.agent_a, "Operation Reef")
    access.view_record(graph, org.analyst_mia, c)
    (note,) = _notes(graph, org.agent_a)
    assert (note["kind"], note["record_uid"], note["record_type"]) == ("view", c, "Case")


def test_search_notifications_carry_criteria_and_whether_displayed(graph, org):
    open_uid = h.person(graph, org.agent_a, given_name="Carlos", family_name="Mendez")
    secret_case = h.case(graph, org.agent_b, "Restricted", restricted=True)
    hidden_uid = h.person(graph, org.agent_b, secret_case, given_name="Carla", family_name="Mendez")
    results = access.search(graph, org.analyst_mia, "mendes", types=["Person"])
    assert [r["uid"] for r in results] == [open_uid]  # fuzzy, and the restricted subject is filtered out
    (shown,) = _notes(graph, org.agent_a)
    assert shown["kind"] == "query" and shown["displayed"] is True and shown["record_uid"] == open_uid
    assert shown["criteria"] == {"text": "mendes", "types": ["Person"], "office": None, "status": None,
                                 "limit": 50}
    (unshown,) = _notes(graph, org.agent_b)
    assert unshown["record_uid"] == hidden_uid and unshown["displayed"] is False
    assert unshown["criteria"]["text"] == "mendes" and "record_caption" not in unshown
    entry = graph.query("MATCH (e:AuditEntry {action: 'search'}) RETURN e.details AS d, e.targets AS t")[0]
    assert '"shown": 1' in entry["d"] and '"matched": 2' in entry["d"] and entry["t"] == [open_uid]


def test_search_input_is_escaped_not_interpreted(graph, org):
    h.person(graph, org.agent_a, given_name="Ana", family_name="Ortiz")
    for text in ('(ortiz', '"Ortiz', "ortiz~ ^", "[ortiz]", "ortíz\\"):
        assert [r["caption"] for r in access.search(graph, org.agent_b, text)] == ["Ana Ortiz"], text
    # Operators are words here, not syntax: every word must match, so nothing does.
    assert access.search(graph, org.agent_b, "ortiz OR zzzzzz") == []
    with pytest.raises(ValidationFailed):  # match-all syntax is not a search
        access.search(graph, org.agent_b, "*:*")


def test_the_notification_kinds_other_modules_use(graph, org):
    def work(tx):
        notifications.notify(tx, org.agent_a.uid, "deconfliction_hit", record_uid="r1",
                             message="a new NYC record matches yours", score=0.93)
        with pytest.raises(ValueError):
            notifications.notify(tx, org.agent_a.uid, "gossip")

    graph.write(work)
    (note,) = _notes(graph, org.agent_a)
    assert note["kind"] == "deconfliction_hit" and note["score"] == 0.93


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_a_burst_of_views_arrives_as_one_digest_email(graph, org, smtp):
    controller, mailbox = smtp
    settings = replace(graph.settings, smtp_host="127.0.0.1", smtp_port=controller.port,
                       smtp_sender="ccms@example.gov")
    uids = [h.person(graph, org.agent_a, given_name=f"Subject{i}") for i in range(3)]
    for uid in uids:
        access.view_record(graph, org.agent_b, uid)
    access.view_record(graph, org.agent_a, h.person(graph, org.agent_b, given_name="Other"))
    access.view_record(graph, org.auditor, uids[0])

    assert notifications.deliver_pending(graph, settings) == 2
    by_rcpt = {tuple(r): m for r, m in mailbox.messages}
    assert set(by_rcpt) == {("agent_a@example.gov",), ("agent_b@example.gov",)}
    digest = by_rcpt[("agent_a@example.gov",)]
    assert digest["Subject"] == "CCMS-Graph: 3 new notifications" and digest["From"] == "ccms@example.gov"
    body = digest.get_payload(decode=True).decode()
    assert body.count("Agent B viewed Person") == 3
    assert all(uid in body for uid in uids) and "record displayed: yes" in body
    # Delivered once: the next run has nothing to send, and the inbox keeps them.
    assert notifications.deliver_pending(graph, settings) == 0
    assert len(mailbox.messages) == 2
    assert all(n["emailed_at"] for n in _notes(graph, org.agent_a))


def test_without_smtp_nothing_is_sent_and_the_inbox_still_fills(graph, org):
    s = h.person(graph, org.agent_a)
    access.view_record(graph, org.agent_b, s)
    assert notifications.deliver_pending(graph, replace(graph.settings, smtp_host=None)) == 0
    assert [n.get("emailed_at") for n in _notes(graph, org.agent_a)] == [None]


def test_cli_delivers_pending_notifications_as_digests(graph, org, smtp, test_settings, monkeypatch):
    from ccms_graph.cli import main

    controller, mailbox = smtp
    uid = h.person(graph, org.agent_a, given_name="Subject")
    access.view_record(graph, org.agent_b, uid)
    access.view_record(graph, org.sup_mia, uid)
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.bolt_uri)
    monkeypatch.setenv("CCMS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CCMS_SMTP_PORT", str(controller.port))
    assert main(["notifications", "deliver"]) == 0
    assert len(mailbox.messages) == 1
    rcpts, message = mailbox.messages[0]
    assert rcpts == ["agent_a@example.gov"]
    body = message.get_payload(decode=True).decode() if not message.is_multipart() else message.as_string()
    assert "Agent B" in body and "Sup Mia" in body  # both views in the one digest


def test_many_notifications_are_written_together_or_not_at_all(graph, org):
    """`notify_all` checks every item before it writes: one bad item leaves nothing half-written."""
    items = [(org.agent_a.uid, "system", {"message": "one"}), (org.agent_b.uid, "system", {"message": "two"})]
    with pytest.raises(ValueError, match="undeclared notification kind"):
        graph.write(lambda tx: notifications.notify_all(tx, [*items, (org.agent_a.uid, "gossip", {})]))
    with pytest.raises(ValueError, match="set by the service"):
        graph.write(lambda tx: notifications.notify_all(tx, [*items, (org.agent_a.uid, "system", {"read": True})]))
    assert graph.query("MATCH (n:Notification) RETURN count(n) AS n")[0]["n"] == 0
    uids = graph.write(lambda tx: notifications.notify_all(tx, items))
    assert [n["uid"] for n in _notes(graph, org.agent_a)] == uids[:1]
    assert [(n["uid"], n["message"], n["read"]) for n in _notes(graph, org.agent_b)] == [(uids[1], "two", False)]


def test_owners_are_told_at_most_the_limit_and_never_of_their_own_or_by_an_auditor(graph, org):
    entries = [(org.agent_a.uid, {"record_uid": f"r{i}", "displayed": True}) for i in range(5)]
    entries += [(org.agent_b.uid, {"record_uid": "own", "displayed": True}), (None, {"record_uid": "orphan"})]
    assert graph.write(lambda tx: notifications.notify_owners(tx, org.auditor, "query", entries)) == 0
    assert graph.write(lambda tx: notifications.notify_owners(tx, org.agent_b, "query", entries, limit=3)) == 3
    notes = _notes(graph, org.agent_a)
    assert sorted(n["record_uid"] for n in notes) == ["r0", "r1", "r2"]
    assert {(n["actor_uid"], n["actor_office"], n["kind"]) for n in notes} == {
        (org.agent_b.uid, org.agent_b.office_code, "query")}
    assert _notes(graph, org.agent_b) == []
