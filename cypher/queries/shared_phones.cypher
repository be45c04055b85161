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
WITH p, collect(DISTINCT c.uid) AS case_uids, collect(DISTINCT s.uid) AS subject_uids
WHERE size(case_uids) >= $min_cases
RETURN p.e164 AS phone, p.uid AS phone_uid, size(case_uids) AS cases, size(subject_uids) AS subjects,
       case_uids, subject_uids
ORDER BY cases DESC, subjects DESC, phone
