// name: case_link_chart
// description: A case's link chart: the case, its subjects and documents, and the active links among them and to their selectors.
// result: graph
// roles: agent, analyst, supervisor, auditor
// param: case_uid | uid | required
// param: selectors | bool | true
// ---
// Members the user may not read are left out (the runner would lock them anyway).
MATCH (c:Case {uid: $case_uid})
WHERE coalesce(c.deleted, false) = false AND {{case_readable c}}
MATCH (m:Linkable)-[link:SUBJECT_IN|PART_OF {status: 'active'}]->(c)
WHERE coalesce(m.deleted, false) = false AND {{readable m}}
WITH c, collect(m) AS members, collect(link) AS memberships
OPTIONAL MATCH (a:Linkable)-[r]->(b:Linkable)
WHERE a IN members AND r.status = 'active' AND NOT r:SUBJECT_IN AND NOT r:PART_OF
  AND (b IN members OR ($selectors AND (b:Phone OR b:Email OR b:Address OR b:SocialHandle)))
  AND {{readable b}}
RETURN c, members, memberships, collect(r) AS links
