"""Cost estimates over the catalog snapshot: per session, batch, comparison, monthly, self-host, and quotes."""
