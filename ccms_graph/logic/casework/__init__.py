"""Cases and their paperwork: lifecycle requests, supervisor approvals, documents, grants, disclosures, retention."""
