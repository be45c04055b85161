// name: cases_with_common_subjects
// description: Pairs of cases that share subjects (a sub-record counts as its master record).
// result: table
// roles: agent, analyst, supervisor, auditor
// param: min_shared | int | 1 | min=1 max=50
// ---
// Each subject is taken as its master record when it has one (SUB_RECORD_OF), so two cases holding two
// records of one resolved individual are linked. Only readable subjects, masters and cases count.
MATCH (s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
WHERE coalesce(s.deleted, false) = false AND coalesce(c.deleted, false) = false
OPTIONAL MATCH (s)-[:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord)
WITH c, coalesce(m.uid, s.uid) AS who
WITH who, collect(DISTINCT c) AS cases
WHERE size(cases) > 1
UNWIND cases AS c1
UNWIND cases AS c2
WITH c1, c2, who WHERE c1.uid < c2.uid
WITH c1, c2, collect(DISTINCT who) AS shared
WHERE size(shared) >= $min_shared
RETURN c1.uid AS case_uid, c1.case_number AS case_number, c2.uid AS other_case_uid,
       c2.case_number AS other_case_number, size(shared) AS shared_subjects, shared AS subject_uids
ORDER BY shared_subjects DESC, case_number, other_case_number
