"""The access log: append-only, hash-chained, sealed daily."""
