"""Reviews area of the web service."""
