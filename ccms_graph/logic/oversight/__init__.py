"""Audit and notifications: the hash-chained log, owners' inboxes, and the checks that audit their refusals."""
