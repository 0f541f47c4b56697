"""CLI verbs of retention: `aidrec retention policy|hold|show|apply|sweep|approve|forecast …`.

One module per responsibility, each adding its verbs: `policies` (rules and what they decide),
`holds`, `disposal` (batches, sweeps, certificates) and `forecast`.
"""

from __future__ import annotations

import typer

from retention.cli import disposal, forecast, holds, policies

app = typer.Typer(no_args_is_help=True,
                  help="Retention: policies, legal holds, disposal with certificates, forecast.")
for _module in (policies, holds, disposal, forecast):
    _module.register(app)


def register(root: typer.Typer) -> None:
    """Entry point `aidrec.commands`: adds `aidrec retention …`."""
    root.add_typer(app, name="retention")
