"""Root Typer app: sub-commands register here; user errors become one line on stderr and exit code 2."""

from __future__ import annotations

import sys

import typer

from generation.errors import AutoSynthDaError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AutoSynthDa: pose-level synthetic data augmentation for rare action classes.",
)


def main() -> None:
    from optimizer.cli import bench, cluster, dashboard, export, mix, optimize, poses, render, select  # noqa: F401  (registers the sub-commands)

    try:
        app()
    except AutoSynthDaError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
