"""Seals: canonical manifests, signatures, timestamps and the transparency log."""
