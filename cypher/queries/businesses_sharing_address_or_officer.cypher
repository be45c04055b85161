// name: businesses_sharing_address_or_officer
// description: Pairs of businesses located at the same address or with the same person as an officer.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: via | string | any | choices=any,address,officer
// ---
// A pair is listed once (the lower uid first) per shared address or officer. Officers and businesses the
// user may not read are not considered (the guard composes the access policy into every pattern);
// sub-records count as the master record they were resolved to.
CALL () {
  MATCH (b1:Business)-[:LOCATED_AT {status: 'active'}]->(a:Address)<-[:LOCATED_AT {status: 'active'}]-(b2:Business)
  WHERE $via IN ['any', 'address'] AND b1.uid < b2.uid
  RETURN b1, b2, 'address' AS shared, a.uid AS via_uid, coalesce(a.display, a.key) AS via
  UNION
  MATCH (o:Person)-[:OFFICER_OF {status: 'active'}]->(b1:Business)
  MATCH (o2:Person)-[:OFFICER_OF {status: 'active'}]->(b2:Business)
  WHERE $via IN ['any', 'officer'] AND b1.uid < b2.uid AND coalesce(o.deleted, false) = false
    AND coalesce(o2.deleted, false) = false
    AND coalesce([(o)-[:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord) | m][0], o)
      = coalesce([(o2)-[:SUB_RECORD_OF {status: 'active'}]->(m2:SubjectRecord) | m2][0], o2)
  WITH b1, b2, coalesce([(o)-[:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord) | m][0], o) AS officer
  RETURN DISTINCT b1, b2, 'officer' AS shared, officer.uid AS via_uid,
         trim(coalesce(officer.given_name, '') + ' ' + coalesce(officer.family_name, '')) AS via
}
WITH b1, b2, shared, via_uid, via
WHERE coalesce(b1.deleted, false) = false AND coalesce(b2.deleted, false) = false
RETURN b1.uid AS business_uid, b1.name AS business, b2.uid AS other_uid, b2.name AS other, shared, via, via_uid
ORDER BY shared, business, other, via
