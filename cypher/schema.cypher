// Constraints and indexes. Installed idempotently by `ccms-graph init-db`.

// --- organisation ----------------------------------------------------------------------------
CREATE CONSTRAINT office_code IF NOT EXISTS FOR (o:Office) REQUIRE o.code IS UNIQUE;
CREATE CONSTRAINT user_uid IF NOT EXISTS FOR (u:User) REQUIRE u.uid IS UNIQUE;
CREATE CONSTRAINT user_username IF NOT EXISTS FOR (u:User) REQUIRE u.username IS UNIQUE;

// --- cases and records -----------------------------------------------------------------------
CREATE CONSTRAINT case_uid IF NOT EXISTS FOR (c:Case) REQUIRE c.uid IS UNIQUE;
CREATE CONSTRAINT case_number IF NOT EXISTS FOR (c:Case) REQUIRE c.case_number IS UNIQUE;
CREATE CONSTRAINT sequence_name IF NOT EXISTS FOR (s:Sequence) REQUIRE s.name IS UNIQUE;
// Subject Records are found by uid through SubjectRecord (and Linkable); a unique index per entity
// type as well cost bulk loads a quarter of their speed and served no query, so older installs drop it.
DROP CONSTRAINT person_uid IF EXISTS;
DROP CONSTRAINT business_uid IF EXISTS;
DROP CONSTRAINT vehicle_uid IF EXISTS;
DROP CONSTRAINT vessel_uid IF EXISTS;
DROP CONSTRAINT aircraft_uid IF EXISTS;
DROP CONSTRAINT thing_uid IF EXISTS;
CREATE CONSTRAINT subject_uid IF NOT EXISTS FOR (n:SubjectRecord) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT document_uid IF NOT EXISTS FOR (n:Document) REQUIRE n.uid IS UNIQUE;
CREATE CONSTRAINT attachment_uid IF NOT EXISTS FOR (n:Attachment) REQUIRE n.uid IS UNIQUE;

// Unique identifiers: the same VIN or SSN may not exist as two Vehicle/Person records.
// (Identity resolution keeps duplicates out of Person; for VIN/IMO/N-number the constraint does.)
CREATE CONSTRAINT vehicle_vin IF NOT EXISTS FOR (n:Vehicle) REQUIRE n.vin_key IS UNIQUE;
CREATE CONSTRAINT vessel_imo IF NOT EXISTS FOR (n:Vessel) REQUIRE n.imo_key IS UNIQUE;
CREATE CONSTRAINT aircraft_tail IF NOT EXISTS FOR (n:Aircraft) REQUIRE n.tail_key IS UNIQUE;

// Every node a user can link or open carries :Linkable, so one index finds any of them by uid.
CREATE CONSTRAINT linkable_uid IF NOT EXISTS FOR (n:Linkable) REQUIRE n.uid IS UNIQUE;

// --- selectors: one node per phone number, email, address, handle, identifier -----------------
CREATE CONSTRAINT phone_e164 IF NOT EXISTS FOR (n:Phone) REQUIRE n.e164 IS UNIQUE;
CREATE CONSTRAINT email_address IF NOT EXISTS FOR (n:Email) REQUIRE n.address IS UNIQUE;
CREATE CONSTRAINT address_key IF NOT EXISTS FOR (n:Address) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT handle_key IF NOT EXISTS FOR (n:SocialHandle) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (n:Identifier) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT bank_account_key IF NOT EXISTS FOR (n:BankAccount) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT crypto_wallet_key IF NOT EXISTS FOR (n:CryptoWallet) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT payment_handle_key IF NOT EXISTS FOR (n:PaymentHandle) REQUIRE n.key IS UNIQUE;

// --- lookups used by lists, policy and review --------------------------------------------------
CREATE INDEX case_office IF NOT EXISTS FOR (c:Case) ON (c.office_code);
CREATE INDEX case_status IF NOT EXISTS FOR (c:Case) ON (c.status);
CREATE INDEX case_owner IF NOT EXISTS FOR (c:Case) ON (c.owner_uid);
CREATE INDEX subject_office IF NOT EXISTS FOR (n:SubjectRecord) ON (n.office_code);
CREATE INDEX subject_created IF NOT EXISTS FOR (n:SubjectRecord) ON (n.created_at);
// Writes beside a deconfliction (`deconfliction.written_beside`): records changed since a moment.
CREATE INDEX subject_updated IF NOT EXISTS FOR (n:SubjectRecord) ON (n.updated_at);
CREATE INDEX subject_approval IF NOT EXISTS FOR (n:SubjectRecord) ON (n.approval_status);
CREATE INDEX subject_source_ref IF NOT EXISTS FOR (n:SubjectRecord) ON (n.source_ref);
CREATE INDEX document_status IF NOT EXISTS FOR (n:Document) ON (n.status);
CREATE INDEX user_office IF NOT EXISTS FOR (u:User) ON (u.office_code);
CREATE INDEX person_dob IF NOT EXISTS FOR (n:Person) ON (n.dob);

// --- full-text (Lucene) indexes for search and fuzzy name candidates --------------------------
CREATE FULLTEXT INDEX person_names IF NOT EXISTS FOR (n:Person) ON EACH [n.given_name, n.middle_name, n.family_name, n.aliases_text, n.name_text];
CREATE FULLTEXT INDEX record_search IF NOT EXISTS FOR (n:Person|Business|Vehicle|Vessel|Aircraft|Thing) ON EACH [n.search_text];
CREATE FULLTEXT INDEX case_search IF NOT EXISTS FOR (n:Case) ON EACH [n.case_number, n.title, n.predication, n.violations_text];
CREATE FULLTEXT INDEX business_names IF NOT EXISTS FOR (n:Business) ON EACH [n.name, n.dbas_text];
// Search over everything (logic/entities/search.py): documents' narrative fields, attachments' extracted
// text (`text`, written by text extraction), and addresses' words; selectors are found by exact normalized keys.
CREATE FULLTEXT INDEX document_text IF NOT EXISTS FOR (n:Document) ON EACH [n.title, n.narrative, n.description, n.chain_of_custody, n.authority];
CREATE FULLTEXT INDEX attachment_text IF NOT EXISTS FOR (n:Attachment) ON EACH [n.text, n.filename];
CREATE FULLTEXT INDEX address_text IF NOT EXISTS FOR (n:Address) ON EACH [n.line1, n.line2, n.city, n.state, n.postcode, n.display];
CREATE FULLTEXT INDEX handle_text IF NOT EXISTS FOR (n:SocialHandle) ON EACH [n.handle, n.platform];

// --- sessions, audit, notifications, workflow --------------------------------------------------
CREATE CONSTRAINT session_sid IF NOT EXISTS FOR (s:Session) REQUIRE s.sid IS UNIQUE;
CREATE INDEX session_uid IF NOT EXISTS FOR (s:Session) ON (s.uid);
CREATE INDEX session_user IF NOT EXISTS FOR (s:Session) ON (s.user_uid);
CREATE CONSTRAINT audit_seq IF NOT EXISTS FOR (e:AuditEntry) REQUIRE e.seq IS UNIQUE;
CREATE CONSTRAINT audit_uid IF NOT EXISTS FOR (e:AuditEntry) REQUIRE e.uid IS UNIQUE;
CREATE INDEX audit_actor IF NOT EXISTS FOR (e:AuditEntry) ON (e.actor_uid);
CREATE INDEX audit_at IF NOT EXISTS FOR (e:AuditEntry) ON (e.at);
CREATE INDEX audit_action IF NOT EXISTS FOR (e:AuditEntry) ON (e.action);

// --- matching: deconfliction, identity resolution, telecom linking (issue 4) -------------------
// Blocking keys ("Person:SM0|1980") ride on each record as one space-separated property; the
// whitespace analyzer makes every key one exact Lucene term (see ccms_graph/matching/blocking.py).
CREATE FULLTEXT INDEX match_keys IF NOT EXISTS FOR (n:Person|Business|Vehicle|Vessel|Aircraft|Thing) ON EACH [n.match_keys] OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};
CREATE CONSTRAINT deconfliction_hit_uid IF NOT EXISTS FOR (h:DeconflictionHit) REQUIRE h.uid IS UNIQUE;
CREATE CONSTRAINT deconfliction_hit_pair IF NOT EXISTS FOR (h:DeconflictionHit) REQUIRE h.pair_key IS UNIQUE;
CREATE INDEX deconfliction_hit_status IF NOT EXISTS FOR (h:DeconflictionHit) ON (h.status);
CREATE CONSTRAINT judgement_uid IF NOT EXISTS FOR (j:Judgement) REQUIRE j.uid IS UNIQUE;
CREATE INDEX judgement_hit IF NOT EXISTS FOR (j:Judgement) ON (j.hit_uid);
// One CallRecord / SubscriberRecord per distinct CSV row (its fingerprint): re-imports add nothing.
CREATE CONSTRAINT call_record_fingerprint IF NOT EXISTS FOR (r:CallRecord) REQUIRE r.fingerprint IS UNIQUE;
CREATE INDEX call_record_orig IF NOT EXISTS FOR (r:CallRecord) ON (r.orig);
CREATE INDEX call_record_term IF NOT EXISTS FOR (r:CallRecord) ON (r.term);
// A call record has no `case_uid` (its cases are `case_uids`, found by KEPT_FOR: logic/identity/telecom.py):
// the index once made for it served nothing, and goes from databases that have it.
DROP INDEX call_record_case IF EXISTS;
CREATE CONSTRAINT subscriber_record_fingerprint IF NOT EXISTS FOR (r:SubscriberRecord) REQUIRE r.fingerprint IS UNIQUE;
CREATE INDEX subscriber_record_number IF NOT EXISTS FOR (r:SubscriberRecord) ON (r.e164);
CREATE INDEX subscriber_record_case IF NOT EXISTS FOR (r:SubscriberRecord) ON (r.case_uid);
CREATE CONSTRAINT telecom_link_key IF NOT EXISTS FOR (t:TelecomLink) REQUIRE t.key IS UNIQUE;
// TLS: IMSI, IMEI and IP selectors shared like phones; miscellaneous records one per distinct row of a case;
// one TelecomImport per file loaded (the case's TLS tab lists them).
CREATE CONSTRAINT imsi_key IF NOT EXISTS FOR (n:IMSI) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT imei_key IF NOT EXISTS FOR (n:IMEI) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT ip_address_key IF NOT EXISTS FOR (n:IPAddress) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT misc_record_fingerprint IF NOT EXISTS FOR (r:MiscRecord) REQUIRE r.fingerprint IS UNIQUE;
CREATE INDEX misc_record_case IF NOT EXISTS FOR (r:MiscRecord) ON (r.case_uid);
CREATE CONSTRAINT telecom_import_uid IF NOT EXISTS FOR (t:TelecomImport) REQUIRE t.uid IS UNIQUE;
CREATE INDEX telecom_import_case IF NOT EXISTS FOR (t:TelecomImport) ON (t.case_uid);
CREATE CONSTRAINT approval_request_uid IF NOT EXISTS FOR (r:ApprovalRequest) REQUIRE r.uid IS UNIQUE;
CREATE CONSTRAINT access_grant_uid IF NOT EXISTS FOR (g:AccessGrant) REQUIRE g.uid IS UNIQUE;
CREATE CONSTRAINT disclosure_uid IF NOT EXISTS FOR (d:Disclosure) REQUIRE d.uid IS UNIQUE;
CREATE INDEX approval_status IF NOT EXISTS FOR (r:ApprovalRequest) ON (r.status);
CREATE INDEX approval_target IF NOT EXISTS FOR (r:ApprovalRequest) ON (r.target_uid);
CREATE INDEX grant_case IF NOT EXISTS FOR (g:AccessGrant) ON (g.case_uid);
CREATE INDEX case_closed IF NOT EXISTS FOR (c:Case) ON (c.closed_at);
CREATE INDEX user_separated IF NOT EXISTS FOR (u:User) ON (u.separated_at);
CREATE CONSTRAINT saved_query_name IF NOT EXISTS FOR (q:SavedQuery) REQUIRE q.name IS UNIQUE;
CREATE CONSTRAINT saved_query_version IF NOT EXISTS FOR (v:SavedQueryVersion) REQUIRE (v.name, v.version) IS UNIQUE;
CREATE CONSTRAINT audit_head_id IF NOT EXISTS FOR (h:AuditHead) REQUIRE h.id IS UNIQUE;
CREATE CONSTRAINT name_stats_type IF NOT EXISTS FOR (s:NameStats) REQUIRE s.entity_type IS UNIQUE;
CREATE CONSTRAINT notification_uid IF NOT EXISTS FOR (n:Notification) REQUIRE n.uid IS UNIQUE;
CREATE INDEX notification_recipient IF NOT EXISTS FOR (n:Notification) ON (n.recipient_uid);
CREATE INDEX notification_emailed IF NOT EXISTS FOR (n:Notification) ON (n.emailed_at);
// What a notification is about, so retention removes it with its subject (logic/casework/retention.py).
CREATE INDEX notification_record IF NOT EXISTS FOR (n:Notification) ON (n.record_uid);
CREATE INDEX notification_case IF NOT EXISTS FOR (n:Notification) ON (n.case_uid);
CREATE INDEX notification_item IF NOT EXISTS FOR (n:Notification) ON (n.item_uid);
CREATE INDEX notification_target IF NOT EXISTS FOR (n:Notification) ON (n.target_uid);
CREATE INDEX notification_hit IF NOT EXISTS FOR (n:Notification) ON (n.hit_uid);
CREATE CONSTRAINT comment_uid IF NOT EXISTS FOR (m:Comment) REQUIRE m.uid IS UNIQUE;
CREATE CONSTRAINT api_token_uid IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.uid IS UNIQUE;
CREATE INDEX api_token_hash IF NOT EXISTS FOR (t:ApiToken) ON (t.token_hash);
CREATE CONSTRAINT match_model_type IF NOT EXISTS FOR (m:MatchModel) REQUIRE m.type IS UNIQUE;
CREATE CONSTRAINT case_deconfliction_check_uid IF NOT EXISTS FOR (k:CaseDeconflictionCheck) REQUIRE k.uid IS UNIQUE;
// Background jobs (logic/jobs): a Job is claimed through its state and lease; its uploaded lines wait in
// JobChunk nodes and its refused lines, warnings and lines that met records in JobProblems nodes, both found
// by job_uid.
CREATE CONSTRAINT job_uid IF NOT EXISTS FOR (j:Job) REQUIRE j.uid IS UNIQUE;
CREATE INDEX job_state IF NOT EXISTS FOR (j:Job) ON (j.state);
CREATE INDEX job_owner IF NOT EXISTS FOR (j:Job) ON (j.owner_uid);
CREATE INDEX job_chunk_job IF NOT EXISTS FOR (c:JobChunk) ON (c.job_uid);
CREATE INDEX job_problems_job IF NOT EXISTS FOR (p:JobProblems) ON (p.job_uid);
// One Schedule per scheduled task (notification delivery, the retention report): claimed through next_at.
CREATE CONSTRAINT schedule_name IF NOT EXISTS FOR (s:Schedule) REQUIRE s.name IS UNIQUE;
// Work hours: a user's entries of one day (the 24-hour check), and a case's entries.
CREATE INDEX work_hours_user_date IF NOT EXISTS FOR (h:WorkHours) ON (h.user_uid, h.date);
CREATE INDEX work_hours_case IF NOT EXISTS FOR (h:WorkHours) ON (h.case_uid);
// Where and when (logic/location): every located node keeps a WGS84 point in `location`, and a POINT index
// per label makes an area query (point.withinBBox, point.distance) an index seek instead of a label scan.
CREATE POINT INDEX address_location IF NOT EXISTS FOR (n:Address) ON (n.location);
CREATE POINT INDEX document_location IF NOT EXISTS FOR (n:Document) ON (n.location);
CREATE POINT INDEX arrest_report_location IF NOT EXISTS FOR (n:ArrestReport) ON (n.location);
CREATE POINT INDEX seizure_report_location IF NOT EXISTS FOR (n:SeizureReport) ON (n.location);
CREATE POINT INDEX sighting_location IF NOT EXISTS FOR (n:Sighting) ON (n.location);
CREATE POINT INDEX cell_site_location IF NOT EXISTS FOR (n:CellSite) ON (n.location);
// LPR sightings: one per distinct read (its fingerprint), so a re-run adds nothing; found by plate and time.
CREATE CONSTRAINT sighting_fingerprint IF NOT EXISTS FOR (s:Sighting) REQUIRE s.fingerprint IS UNIQUE;
CREATE INDEX sighting_plate IF NOT EXISTS FOR (s:Sighting) ON (s.plate_key);
CREATE INDEX sighting_seen IF NOT EXISTS FOR (s:Sighting) ON (s.seen_at);
CREATE CONSTRAINT hot_list_entry_uid IF NOT EXISTS FOR (h:HotListEntry) REQUIRE h.uid IS UNIQUE;
CREATE INDEX hot_list_entry_plate IF NOT EXISTS FOR (h:HotListEntry) ON (h.plate_key);
CREATE INDEX hot_list_entry_case IF NOT EXISTS FOR (h:HotListEntry) ON (h.case_uid);
CREATE CONSTRAINT cell_site_id IF NOT EXISTS FOR (c:CellSite) REQUIRE c.site_id IS UNIQUE;
