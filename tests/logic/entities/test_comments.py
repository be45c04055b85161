"""Comments on records against the real server: the thread as readers see it, who may add and read,
the audit entries, and a hidden record answering exactly like a missing one.

`tests/logic/casework/test_case_team_and_comments.py` already covers a correction notifying the owner,
the auditor's and an outsider's refused comment on a restricted record, field validation, and the
view entry of a listing; this module covers the rest.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ccms_graph.errors import Forbidden, NotFound, TrainingExpired, ValidationFailed
from ccms_graph.logic.entities import comments, records
from tests.policy import helpers as h


@pytest.fixture
def world(graph, org):
    """agent_a's open record, another open one, a record in agent_a's restricted case, and a deleted one."""
    restricted = h.case(graph, org.agent_a, "Operation Nightjar", restricted=True)
    w = {
        "open": h.person(graph, org.agent_a, given_name="Maria", family_name="Lopez"),
        "other": h.person(graph, org.agent_a, given_name="Ana", family_name="Ortiz"),
        "hidden": h.person(graph, org.agent_a, restricted, given_name="Nell", family_name="Quist"),
        "deleted": h.person(graph, org.agent_a, given_name="Gone", family_name="Away"),
    }
    records.delete_entity(graph, org.agent_a, w["deleted"], "entered in error")
    return w


def _entries(graph, action: str) -> list[dict]:
    rows = graph.query("""MATCH (e:AuditEntry {action: $a}) RETURN e.actor_uid AS actor, e.targets AS targets,
                          e.outcome AS outcome, e.details AS details ORDER BY e.seq""", {"a": action})
    return [{**r, "details": json.loads(r["details"])} for r in rows]


def _comment_count(graph) -> int:
    return graph.query("MATCH (m:Comment) RETURN count(m) AS n")[0]["n"]


def _notes_to(graph, who) -> list[dict]:
    return graph.query("""MATCH (n:Notification {recipient_uid: $u}) WHERE n.kind = 'view'
                          RETURN n.actor_uid AS actor, n.record_uid AS record, n.displayed AS displayed,
                                 n.message AS message ORDER BY n.created_at""", {"u": who.uid})


def test_the_thread_is_oldest_first_with_each_authors_name_and_kind(graph, org, world):
    first = comments.add_comment(graph, org.agent_a, world["open"], {"text": "  Seen at the marina.  "})
    second = comments.add_comment(graph, org.agent_b, world["open"],
                                  {"text": "Later found to be a victim.", "kind": "correction"})
    comments.add_comment(graph, org.agent_b, world["other"], {"text": "Another record's note."})
    assert (first["text"], first["kind"], first["author_name"]) == ("Seen at the marina.", "note", "Agent A")
    thread = comments.comments_for(graph, org.sup_mia, world["open"])
    assert [(c["text"], c["kind"], c["author_uid"], c["author_name"]) for c in thread] == [
        ("Seen at the marina.", "note", org.agent_a.uid, "Agent A"),
        ("Later found to be a victim.", "correction", org.agent_b.uid, "Agent B"),
    ]
    assert [c["uid"] for c in thread] == [first["uid"], second["uid"]]
    assert [c["created_at"] for c in thread] == [first["created_at"], second["created_at"]]
    assert first["created_at"] <= second["created_at"] and "T" in first["created_at"]  # ISO text
    assert comments.comments_for(graph, org.agent_a, world["other"])[0]["text"] == "Another record's note."


def test_a_comment_is_audited_naming_the_record_and_the_comment(graph, org, world):
    c = comments.add_comment(graph, org.agent_b, world["open"], {"text": "Uses a second phone.",
                                                                 "kind": "note"})
    assert _entries(graph, "comment") == [{"actor": org.agent_b.uid, "targets": [world["open"], c["uid"]],
                                           "outcome": "success", "details": {"kind": "note"}}]


def test_the_owner_is_told_of_anothers_comment_but_not_of_their_own(graph, org, world):
    comments.add_comment(graph, org.agent_a, world["open"], {"text": "My own note."})
    assert _notes_to(graph, org.agent_a) == []
    comments.add_comment(graph, org.sup_mia, world["open"], {"text": "Check the marina logs."})
    assert _notes_to(graph, org.agent_a) == [{"actor": org.sup_mia.uid, "record": world["open"], "displayed": True,
                                              "message": "Sup Mia added a note to your record"}]


# Who may add a comment to agent_a's open record, and who may read its thread. A refusal writes no
# comment, answers NotFound or Forbidden by the read policy, and leaves one "deny" entry.
WHO_MAY = [
    # who,          add,             read
    ("agent_b",     None,            None),       # same office
    ("sup_mia",     None,            None),       # the owner's supervisor
    ("agent_port",  Forbidden,       Forbidden),  # a port does not see its parent office's records
    ("agent_nyc",   Forbidden,       Forbidden),  # another office: the record is no secret, its content is
    ("admin",       Forbidden,       Forbidden),  # administrators read no case content
    ("auditor",     Forbidden,       None),       # auditors read everything and annotate nothing
]


@pytest.mark.parametrize(("who", "add_error", "read_error"), WHO_MAY)
def test_who_may_add_and_read_comments(graph, org, world, who, add_error, read_error):
    comments.add_comment(graph, org.agent_a, world["open"], {"text": "The owner's note."})
    actor = getattr(org, who)
    if add_error is None:
        comments.add_comment(graph, actor, world["open"], {"text": f"A note by {who}."})
    else:
        with pytest.raises(add_error) as err:
            comments.add_comment(graph, actor, world["open"], {"text": f"A note by {who}."})
        assert not isinstance(err.value, NotFound)
    if read_error is None:
        thread = comments.comments_for(graph, actor, world["open"])
        assert [c["author_uid"] for c in thread] == [org.agent_a.uid] + ([actor.uid] if add_error is None else [])
    else:
        with pytest.raises(read_error):
            comments.comments_for(graph, actor, world["open"])
    assert _comment_count(graph) == (2 if add_error is None else 1)
    denials = [(d["actor"], d["details"]["op"], d["details"]["answer"]) for d in _entries(graph, "deny")]
    assert denials == ([(actor.uid, "comment", 403)] if add_error else []) + \
        ([(actor.uid, "comments", 403)] if read_error else [])


def test_lapsed_training_adds_and_reads_nothing_and_both_refusals_are_audited(graph, org, world):
    comments.add_comment(graph, org.agent_b, world["open"], {"text": "Before it lapsed."})
    lapsed = replace(org.agent_b, training_expires="2020-01-01")
    with pytest.raises(TrainingExpired):
        comments.add_comment(graph, lapsed, world["open"], {"text": "After it lapsed."})
    with pytest.raises(TrainingExpired):
        comments.comments_for(graph, lapsed, world["open"])
    assert _comment_count(graph) == 1
    assert [(d["details"]["op"], d["details"]["reason"]) for d in _entries(graph, "deny")] == [
        ("comment", "TrainingExpired"), ("comments", "TrainingExpired")]


@pytest.mark.parametrize("which", ["hidden", "deleted"])
def test_a_hidden_or_deleted_record_answers_exactly_like_a_missing_one(graph, org, world, which):
    uid = world[which]
    outsider = org.agent_nyc if which == "hidden" else org.agent_a  # deleted is gone even for its owner

    def answers(target: str) -> list[tuple]:
        out = []
        for call in (lambda: comments.add_comment(graph, outsider, target, {"text": "Anything here?"}),
                     lambda: comments.comments_for(graph, outsider, target)):
            with pytest.raises(NotFound) as err:
                call()
            out.append((type(err.value), err.value.status, err.value.detail.replace(target, "<uid>")))
        return out

    assert answers(uid) == answers("no-such-uid") == [(NotFound, 404, "no record <uid>")] * 2
    assert _comment_count(graph) == 0
    denials = _entries(graph, "deny")
    assert [d["targets"] for d in denials] == [[uid], [uid], ["no-such-uid"], ["no-such-uid"]]

    def shape(d, target):
        return {**d["details"], "detail": d["details"]["detail"].replace(target, "<uid>")}

    assert [shape(d, uid) for d in denials[:2]] == [shape(d, "no-such-uid") for d in denials[2:]]
    assert _notes_to(graph, org.agent_a) == []  # a refused comment tells the owner nothing either


def test_a_page_that_audited_its_own_view_lists_comments_without_a_second_view_entry(graph, org, world):
    comments.add_comment(graph, org.agent_a, world["open"], {"text": "The owner's note."})
    assert len(comments.comments_for(graph, org.agent_b, world["open"], audit_view=False)) == 1
    assert [e for e in _entries(graph, "view") if e["actor"] == org.agent_b.uid] == []
    with pytest.raises(NotFound):  # a refusal is audited regardless
        comments.comments_for(graph, org.agent_nyc, world["hidden"], audit_view=False)
    assert [(d["actor"], d["targets"]) for d in _entries(graph, "deny")] == [(org.agent_nyc.uid, [world["hidden"]])]


def test_a_comment_of_only_spaces_is_refused(graph, org, world):
    with pytest.raises(ValidationFailed) as err:
        comments.add_comment(graph, org.agent_a, world["open"], {"text": "     "})
    assert set(err.value.errors) == {"text"}
    assert _comment_count(graph) == 0
