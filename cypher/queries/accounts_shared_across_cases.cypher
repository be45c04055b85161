// name: accounts_shared_across_cases
// description: Bank accounts, cryptocurrency wallets and payment handles held by subjects of two or more different cases.
// result: table
// roles: agent, analyst, supervisor, auditor
// param: min_cases | int | 2 | min=2 max=20
// ---
// Only active holding links (HOLDS_ACCOUNT, USES_WALLET, USES_PAYMENT_HANDLE) and SUBJECT_IN links count,
// and only subjects and cases the user may read, so a restricted case the user is not on neither counts
// nor shows (CBP CCMS PIA §2.1: financial data).
MATCH (a:BankAccount|CryptoWallet|PaymentHandle)<-[h:HOLDS_ACCOUNT|USES_WALLET|USES_PAYMENT_HANDLE]-(s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
WHERE h.status = 'active' AND coalesce(s.deleted, false) = false AND coalesce(c.deleted, false) = false
WITH a, collect(DISTINCT c.uid) AS case_uids, collect(DISTINCT s.uid) AS subject_uids
WHERE size(case_uids) >= $min_cases
RETURN a.key AS account, a.display AS shown, a.uid AS account_uid, size(case_uids) AS cases,
       size(subject_uids) AS subjects, case_uids, subject_uids
ORDER BY cases DESC, subjects DESC, account
