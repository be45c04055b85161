// name: co_travellers
// description: Pairs of people who travelled on the same vehicle, vessel or aircraft (TRAVELLED_ON).
// result: table
// roles: agent, analyst, supervisor, auditor
// param: same_date | bool | false
// ---
// With same_date, only trips recorded with the same date count. Only active links and readable records.
MATCH (p1:Person)-[t1:TRAVELLED_ON {status: 'active'}]->(v:SubjectRecord)<-[t2:TRAVELLED_ON {status: 'active'}]-(p2:Person)
WHERE p1.uid < p2.uid AND (NOT $same_date OR (t1.date IS NOT NULL AND t1.date = t2.date))
  AND coalesce(p1.deleted, false) = false AND coalesce(p2.deleted, false) = false
  AND coalesce(v.deleted, false) = false
RETURN p1.uid AS person_uid, trim(coalesce(p1.given_name, '') + ' ' + coalesce(p1.family_name, '')) AS person,
       p2.uid AS other_uid, trim(coalesce(p2.given_name, '') + ' ' + coalesce(p2.family_name, '')) AS other,
       v.uid AS conveyance_uid, [l IN labels(v) WHERE NOT l IN ['SubjectRecord', 'Linkable']][0] AS conveyance_type,
       coalesce(v.name, v.tail_number, v.plate) AS conveyance, count(*) AS trips
ORDER BY person, other, conveyance_uid
