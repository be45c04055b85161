// name: conveyances_multi_case
// description: Vehicles, vessels and aircraft registered to, owned or operated by subjects of more than one case.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: min_cases | int | 2 | min=2 max=20
// param: kinds | strings | Vehicle,Vessel,Aircraft | choices=Vehicle,Vessel,Aircraft
// ---
// A conveyance's holders are the subjects it is REGISTERED_TO and those that OWN or OPERATE it (active
// links). A holder resolved as a sub-record also brings its master record's cases. Only readable holders
// and readable cases count.
MATCH (v:SubjectRecord)-[h:REGISTERED_TO|OWNS|OPERATES {status: 'active'}]-(holder:SubjectRecord)
WHERE any(l IN labels(v) WHERE l IN $kinds) AND coalesce(v.deleted, false) = false
  AND ((h:REGISTERED_TO AND startNode(h) = v) OR (NOT h:REGISTERED_TO AND endNode(h) = v))
  AND coalesce(holder.deleted, false) = false
OPTIONAL MATCH (holder)-[:SUB_RECORD_OF {status: 'active'}]->(master:SubjectRecord)
WITH v, holder, [x IN [holder, master] WHERE x IS NOT NULL] AS identities
UNWIND identities AS who
MATCH (who)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
WHERE coalesce(c.deleted, false) = false
WITH v, collect(DISTINCT holder.uid) AS holder_uids, collect(DISTINCT c.uid) AS case_uids
WHERE size(case_uids) >= $min_cases
RETURN v.uid AS conveyance_uid, [l IN labels(v) WHERE l IN $kinds][0] AS kind,
       coalesce(v.name, v.tail_number, trim(coalesce(v.make, '') + ' ' + coalesce(v.model, '') + ' ' + coalesce(v.plate, ''))) AS conveyance,
       size(case_uids) AS cases, case_uids, holder_uids
ORDER BY cases DESC, kind, conveyance_uid
