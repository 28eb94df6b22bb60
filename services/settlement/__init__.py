"""Settlement: a double-entry ledger that splits every order, and the dealers' earnings."""
