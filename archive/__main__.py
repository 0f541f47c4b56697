"""`python -m archive` is the `aidrec` command."""

from archive.cli import main

main()
