"""CMS, RFC 3161 and PAdES signatures (pyHanko): signing and checking, no catalog or store."""
