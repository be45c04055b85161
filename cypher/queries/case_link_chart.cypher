// name: case_link_chart
// description: A case's link chart: the case, its subjects and documents, and the active links among them and to their selectors.
// result: graph
// roles: agent, analyst, supervisor, auditor
// param: case_uid | uid | required
// param: selectors | bool | true
// ---
// Members, linked records and selectors the user may not read are left out: the guard composes the
// access policy into every pattern. The links are expanded from each member (not found among all records).
MATCH (c:Case {uid: $case_uid})
WHERE coalesce(c.deleted, false) = false
MATCH (m:Linkable)-[link:SUBJECT_IN|PART_OF {status: 'active'}]->(c)
WHERE coalesce(m.deleted, false) = false
WITH c, collect(m) AS members, collect(link) AS memberships
UNWIND members AS a
OPTIONAL MATCH (a)-[r]->(b:Linkable)
WHERE r.status = 'active' AND NOT r:SUBJECT_IN AND NOT r:PART_OF
  AND (b IN members OR ($selectors AND (b:Phone OR b:Email OR b:Address OR b:SocialHandle)))
RETURN c, members, memberships, collect(r) AS links
