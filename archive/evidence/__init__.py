"""Pure evidence formats: digests, canonical JSON, log entries, Merkle proofs, vocabularies."""
