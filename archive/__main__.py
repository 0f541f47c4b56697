"""`python -m archive` is the `aidrec` command."""

from archive.cli.app import main

main()
