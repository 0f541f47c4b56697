"""The package format and its offline verification: needs only the zip and trust roots."""
