// name: subjects_near_case
// description: Subject records within N active links of a case, each with one shortest route to it.
// result: graph
// roles: agent, analyst, supervisor, auditor
// param: case_uid | uid | required
// param: hops | int | 2 | min=1 max=4
// ---
// Routes only cross records the user may read; the case itself must be readable.
MATCH (c:Case {uid: $case_uid})
WHERE coalesce(c.deleted, false) = false
MATCH p = SHORTEST 1 (c) ((x:Linkable)-[r]-(y:Linkable)
                          WHERE r.status = 'active' AND coalesce(y.deleted, false) = false
                         ){1,4} (s:SubjectRecord)
WHERE length(p) <= $hops
RETURN p
