"""Names of the evidence formats, as manifests and packages carry them."""

from __future__ import annotations

MANIFEST_FORMAT = "aidrec-manifest/1"
CHAIN_ALGORITHM = "sha256(prev_link || segment_sha256)"
CHAIN_GENESIS = "sha256('aidrec-chain-v1:' || recording_id)"
PROOF_FORMAT = "aidrec-inclusion-proof/1"
