"""Subject Records and their links: create, update, import, comment, and the policy-filtered reads."""
