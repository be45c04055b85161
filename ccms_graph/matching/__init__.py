"""Pure, database-free entity matching: normalize, compare, score and explain record pairs."""
