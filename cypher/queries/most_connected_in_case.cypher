// name: most_connected_in_case
// description: The subjects of a case with the most active links to other records the user may read.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: case_uid | uid | required
// param: top | int | 10 | min=1 max=100
// ---
// Links counted: every active link (of any link type) to another readable record, except the SUBJECT_IN
// link to this case.
MATCH (c:Case {uid: $case_uid})
WHERE coalesce(c.deleted, false) = false
MATCH (s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c)
WHERE coalesce(s.deleted, false) = false
OPTIONAL MATCH (s)-[r]-(o:Linkable)
WHERE r.status = 'active' AND o <> c AND coalesce(o.deleted, false) = false
WITH s, count(DISTINCT r) AS links, count(DISTINCT o) AS neighbours
RETURN s AS subject, s.uid AS uid, links, neighbours
ORDER BY links DESC, neighbours DESC, uid
LIMIT $top
