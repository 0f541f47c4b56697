"""Dashboard area of the web service."""
