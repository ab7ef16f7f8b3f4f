"""The PostgreSQL store: one catalog on a server, for a library several machines share."""
