"""The `aidrec` command line."""
