"""The S3 object store with Object Lock: pinned versions, hash-checked reads."""
