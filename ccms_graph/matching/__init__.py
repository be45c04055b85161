"""Entity matching for deconfliction.

Pure parts, which never touch the database: `names`, `dates`, `identifiers`, `addresses` and `records`
normalize; `compare` and `features` compare; `model` scores and explains a pair, with the thresholds
passed in. Store-facing parts, which run Cypher in the caller's transaction: `blocking` finds
candidates in the indexes, `frequencies` counts names over the stored people, `weights` estimates field
weights from the store, and `deconflict` finds,
scores and stores hits, with its `Config` passed in by the logic layer.
"""
