// name: possible_duplicate_persons
// description: Pairs of persons with the same date of birth and similar names (possible duplicates).
// result: table
// roles: agent, analyst, supervisor, auditor
// param: office_only | bool | false
// ---
// Similar names: the same family name and the same first letter of the given name, or given and family
// names swapped (case and accents aside). Pairs already resolved (a SUB_RECORD_OF link either way, or a
// shared master record) are left out. A full YYYY-MM-DD date of birth is required on both. Persons are
// grouped by date of birth and paired within a group, so each is checked once, not once per pair.
MATCH (a:Person)
WHERE a.dob =~ '\\d{4}-\\d{2}-\\d{2}' AND coalesce(a.deleted, false) = false
  AND (NOT $office_only OR a.office_code IN $offices)
WITH a.dob AS dob, collect(a) AS born
WHERE size(born) > 1
UNWIND born AS a
UNWIND born AS b
WITH a, b
WHERE a.uid < b.uid
WITH a, b, toLower(coalesce(a.given_name, '')) AS ag, toLower(coalesce(a.family_name, '')) AS af,
     toLower(coalesce(b.given_name, '')) AS bg, toLower(coalesce(b.family_name, '')) AS bf
WITH a, b, CASE
    WHEN af <> '' AND af = bf AND ag <> '' AND bg <> '' AND left(ag, 1) = left(bg, 1) THEN 'same family name and initial'
    WHEN ag <> '' AND af <> '' AND ag = bf AND af = bg THEN 'given and family names swapped'
  END AS why
WHERE why IS NOT NULL
  AND NOT EXISTS { (a)-[:SUB_RECORD_OF {status: 'active'}]-(b) }
  AND NOT EXISTS { (a)-[:SUB_RECORD_OF {status: 'active'}]->(:Person)<-[:SUB_RECORD_OF {status: 'active'}]-(b) }
RETURN a.uid AS person_uid, trim(coalesce(a.given_name, '') + ' ' + coalesce(a.family_name, '')) AS person,
       b.uid AS other_uid, trim(coalesce(b.given_name, '') + ' ' + coalesce(b.family_name, '')) AS other,
       a.dob AS dob, why, a.office_code AS office, b.office_code AS other_office
ORDER BY dob, person, other
