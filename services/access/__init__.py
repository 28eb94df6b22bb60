"""API keys: who may call Baton's HTTP API, with which scopes, bound to what."""
