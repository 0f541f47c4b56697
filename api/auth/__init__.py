"""Auth area of the web service."""
