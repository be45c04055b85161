"""People who sign in: accounts and offices, authentication, sessions and API tokens."""
