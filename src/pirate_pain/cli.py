"""Project CLI: ``kedro run`` with one-sentence errors for problems users can fix."""

from __future__ import annotations

import sys

import click
from kedro.framework.cli.project import run as kedro_run

from .errors import find_user_error


def _run_with_clear_errors(**kwargs):
    try:
        return kedro_run.callback(**kwargs)
    except Exception as exc:  # noqa: BLE001 - re-raised unless the user can fix it
        user_error = find_user_error(exc)
        if user_error is None:
            raise
        click.secho(f"Error: {user_error}", err=True, fg="red")
        sys.exit(1)


@click.group(name="pirate_pain")
def cli() -> None:
    """Project commands."""


cli.add_command(
    click.Command(
        "run",
        params=kedro_run.params,
        callback=_run_with_clear_errors,
        help=kedro_run.help,
        context_settings=kedro_run.context_settings,
    )
)
