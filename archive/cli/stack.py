"""CLI verbs of the local stack: up, down, status."""

from __future__ import annotations

import urllib.request
from importlib.metadata import entry_points
from typing import Annotated, Any

import typer

from archive.cli.common import ConfigOpt, console, print_json, settings_from
from archive.devstack.demo_camera import start_demo_camera
from archive.devstack.stack import (
    Stack,
    pid_alive,
    provision,
    read_state,
    run_foreground,
    start_detached,
    stop_running,
)
from archive.settings import Settings


def up(
    detach: Annotated[bool, typer.Option("--detach", help="start in the background")] = False,
    demo: Annotated[bool, typer.Option("--demo", help="also set up demo windows and cameras")]
    = False,
    config: ConfigOpt = None,
) -> None:
    """Start the whole local system (S3, TSA, API, worker) under AIDREC_HOME."""
    settings = provision(settings_from(config))
    state = read_state(settings.home)
    if state is not None and pid_alive(int(state["supervisor_pid"])):  # type: ignore[call-overload]
        console.print(f"already running (pid {state['supervisor_pid']}); `aidrec down` stops it")
        raise typer.Exit(1)
    if detach:
        pid = start_detached(settings, ["--demo"] if demo else [])
        _print_ready(settings, pid)
        return

    def on_ready(stack: Stack) -> None:
        if demo:
            # The archive's own demo window and camera first, then what siblings add
            # (people and sample transcripts) through the `aidrec.demo` entry point.
            start_demo_camera(settings)
            for ep in entry_points(group="aidrec.demo"):
                ep.load()(settings)
        _print_ready(settings, None)

    run_foreground(settings, on_ready)


def _print_ready(settings: Settings, pid: int | None) -> None:
    where = f" (supervisor pid {pid})" if pid else ""
    console.print(f"[green]aidrec is up{where}[/green]: open {settings.api_url}/")
    accounts = settings.home.resolve() / "demo" / "web-accounts.txt"
    if accounts.exists():
        console.print(f"demo accounts (name, password, role): {accounts}")


def down(config: ConfigOpt = None) -> None:
    """Stop the local stack."""
    settings = settings_from(config)
    stopped = stop_running(settings.home)
    console.print("stopped" if stopped else "not running")


def status(as_json: Annotated[bool, typer.Option("--json")] = False,
           config: ConfigOpt = None) -> None:
    """Each service of the local stack, its pid, its address and whether it answers."""
    settings = settings_from(config)
    state = read_state(settings.home)
    running = state is not None and pid_alive(int(state["supervisor_pid"]))  # type: ignore[call-overload]
    services: list[dict[str, Any]] = []
    if state is not None:
        for svc in state["services"]:  # type: ignore[attr-defined]
            alive = pid_alive(svc["pid"])
            services.append({**svc, "running": alive and running,
                             "answers": alive and _answers(svc["address"])})
    result = {"running": running, "home": str(settings.home.resolve()),
              "supervisor_pid": state["supervisor_pid"] if state else None,
              "services": services}
    if as_json:
        print_json(result)
    else:
        console.print(f"stack {'running' if running else 'stopped'} ({result['home']})")
        for svc in services:
            mark = "[green]up[/green]" if svc["running"] else "[red]down[/red]"
            console.print(f"  {mark} {svc['name']:<7} pid {svc['pid']:<8} {svc['address']}")
    raise typer.Exit(0 if running else 3)


def _answers(address: str) -> bool:
    if not address.startswith("http"):
        return True
    try:
        with urllib.request.urlopen(address, timeout=2):  # noqa: S310
            return True
    except OSError as exc:
        return getattr(exc, "code", None) is not None


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)



