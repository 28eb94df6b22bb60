"""Storage: the async database, units of work, the shared tables and migrations."""
