// name: recent_office_entities
// description: Subject records added to my office (and its ports and units) in the last N days.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: days | int | 7 | min=1 max=3650
// param: type | string | null | choices=Person,Business,Vehicle,Vessel,Aircraft,Thing
// ---
// "My office" is the user's office and every office within it ($offices, from the access policy).
// The window's start is computed once, before the match, so the range can seek the created_at index.
WITH datetime() - duration({days: $days}) AS since
MATCH (n:SubjectRecord)
WHERE n.office_code IN $offices AND n.created_at >= since
  AND coalesce(n.deleted, false) = false AND ($type IS NULL OR $type IN labels(n))
RETURN n AS record, n.uid AS uid, [l IN labels(n) WHERE NOT l IN ['SubjectRecord', 'Linkable']][0] AS type,
       n.office_code AS office, n.created_at AS created_at, n.approval_status AS approval_status
ORDER BY created_at DESC, uid
