// name: shortest_path
// description: The shortest chain of active links between two records (subjects, selectors, cases, documents).
// result: graph
// roles: agent, analyst, supervisor, auditor
// param: from_uid | uid | required
// param: to_uid | uid | required
// param: max_hops | int | 6 | min=1 max=8
// ---
// The search only steps onto records the user may read, so a path never runs through a restricted case
// or its subjects (the guard composes the access policy into the quantified group, so the search
// itself only steps on readable records); it follows active links only (status = 'active').
MATCH (a:Linkable {uid: $from_uid}), (b:Linkable {uid: $to_uid})
WHERE a <> b
  AND coalesce(a.deleted, false) = false AND coalesce(b.deleted, false) = false
MATCH p = SHORTEST 1 (a) ((x:Linkable)-[r]-(y:Linkable)
                          WHERE r.status = 'active' AND coalesce(y.deleted, false) = false
                         ){1,8} (b)
WHERE length(p) <= $max_hops
RETURN p
