"""Deconfliction and identity resolution: hits, merges and unmerges, and the telecom links between cases."""
