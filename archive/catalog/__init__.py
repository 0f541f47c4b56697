"""The catalog: what the archive holds, in SQLite or PostgreSQL."""
