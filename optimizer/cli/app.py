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
    from optimizer.cli.errors import USAGE_EXIT, click_exceptions, fail, report_click_error

    try:
        # Not standalone: click's usage errors come here to be one line, like every other bad input.
        code = app(standalone_mode=False)
    except click_exceptions.ClickException as exc:
        report_click_error(exc)
    except typer.Abort:
        fail("interrupted", 130)
    except AutoSynthDaError as exc:
        fail(str(exc), getattr(exc, "exit_code", USAGE_EXIT))
    else:
        sys.exit(code if isinstance(code, int) else 0)
