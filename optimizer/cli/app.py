"""The `autosynthda` command: every sub-command registered here, explicitly. Command modules import only typer and
light modules at the top; what a command needs (torch, MLflow, the study machinery) is imported in its body, so
`autosynthda --help` and `autosynthda status` do not pay for the others. User errors become one line on stderr and
exit code 2."""

from __future__ import annotations

import sys

import typer

from generation.errors import AutoSynthDaError
from optimizer.cli import bench, cluster, dashboard, export, mix, optimize, poses, render, select
from optimizer.cli.errors import USAGE_EXIT, click_exceptions, fail, report_click_error

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AutoSynthDa: pose-level synthetic data augmentation for rare action classes.",
)
app.command("optimize")(optimize.optimize)
app.command("status")(optimize.status)
app.command("select")(select.select)
app.command("setup")(cluster.setup)
app.command("worker")(cluster.worker)
app.command("export")(export.export)
app.command("dashboard")(dashboard.dashboard)
app.command("optuna-dashboard")(dashboard.optuna_dashboard)
app.command("mix")(mix.mix)
app.command("render")(render.render)
app.add_typer(poses.poses_app, name="poses")
app.add_typer(bench.bench_app, name="bench")


def main() -> None:
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
