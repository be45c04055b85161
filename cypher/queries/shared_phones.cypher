// name: shared_phones
// description: Phone numbers used by subjects of two or more different cases (a link across cases).
// result: table
// roles: agent, analyst, supervisor, auditor
// param: min_cases | int | 2 | min=2 max=20
// ---
// Only active USES_PHONE and SUBJECT_IN links count, and only subjects and cases the user may read,
// so a restricted case the user is not on neither counts nor shows.
MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
WHERE coalesce(s.deleted, false) = false AND coalesce(c.deleted, false) = false
// Nodes are grouped, and their uids read only for the phones kept: at 1M persons that is 30,000 phones
// of 400,000 (phone, subject, case) triples (the auditor's run: 10.3M database hits to 7.4M).
WITH p, collect(DISTINCT c) AS cs, collect(DISTINCT s) AS ss
WHERE size(cs) >= $min_cases
RETURN p.e164 AS phone, p.uid AS phone_uid, size(cs) AS cases, size(ss) AS subjects,
       [x IN cs | x.uid] AS case_uids, [x IN ss | x.uid] AS subject_uids
ORDER BY cases DESC, subjects DESC, phone
