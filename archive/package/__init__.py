"""Evidence packages: sealed, self-proving BagIt exports and their offline verification."""
