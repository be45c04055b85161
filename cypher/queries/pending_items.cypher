// name: pending_items
// description: Items waiting for my decision (my subordinates' requests, cases and records) older than N days.
// result: table
// roles: supervisor
// param: days | int | 30 | min=0 max=3650
// ---
// Pending approval requests filed by the supervisor's subordinates, cases awaiting approval that they
// own, and their subject records awaiting approval; each older than `days`, oldest first. Approval
// requests are a catalogue-only kind for the guard: a request is readable by its requester and the
// supervisors above them, and only while the record it targets (if any) is readable.
CALL () {
  MATCH (r:ApprovalRequest {status: 'pending'})
  WHERE r.requested_by IN $subordinates
  RETURN r.uid AS item_uid, r.kind AS kind, r.target_uid AS target_uid, r.requested_by AS requested_by,
         r.requested_at AS since
  UNION ALL
  MATCH (c:Case {approval_status: 'pending'})
  WHERE c.owner_uid IN $subordinates AND coalesce(c.deleted, false) = false
  RETURN c.uid AS item_uid, 'case_open' AS kind, c.uid AS target_uid, c.owner_uid AS requested_by,
         c.created_at AS since
  UNION ALL
  MATCH (n:SubjectRecord {approval_status: 'pending'})
  WHERE n.owner_uid IN $subordinates AND coalesce(n.deleted, false) = false
  RETURN n.uid AS item_uid, 'subject_record' AS kind, n.uid AS target_uid, n.owner_uid AS requested_by,
         coalesce(n.submitted_at, n.created_at) AS since
}
WITH item_uid, kind, target_uid, requested_by, since
WHERE since <= datetime() - duration({days: $days})
RETURN item_uid, kind, target_uid, requested_by, since, duration.inDays(since, datetime()).days AS age_days
ORDER BY since, item_uid
