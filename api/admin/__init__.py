"""Admin area of the web service."""
