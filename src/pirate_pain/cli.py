"""Project CLI: ``kedro run`` with one-sentence errors for problems users can fix,
and ``kedro rerun``, which takes the same configuration options."""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.utils import load_obj

from .errors import UserInputError, find_user_error
from .masking import mask_credentials

# Kedro's own errors about what the user typed, as one sentence each
_KEDRO_ERRORS = [
    (
        re.compile(
            r"Failed to find the pipeline named '([^']+)'.*?instead\?\s+(\S+)", re.S
        ),
        "There is no pipeline '{0}': did you mean '{1}'? (`kedro registry list` "
        "shows them all)",
    ),
    (
        re.compile(r"Failed to find the pipeline named '([^']+)'"),
        "There is no pipeline '{0}': see `kedro registry list` for the pipelines.",
    ),
    (
        re.compile(r"Pipeline does not contain nodes named \[(.+?)\]"),
        "The pipeline has no node named {0}: see `kedro registry describe "
        "<pipeline>` for its nodes.",
    ),
    (
        re.compile(
            r"(\S+): Did not find any versions for .*?filepath=PurePosixPath\('([^']+)'"
        ),
        "{0} ({1}) has no saved version yet: run the pipeline that writes it first "
        "(README, Pipelines).",
    ),
    (
        re.compile(r"'load_versions' keys \[(.+?)\] are not found in the catalog"),
        "--load-versions names {0}, which is not a dataset of the catalog: see "
        "`kedro catalog list-datasets`.",
    ),
]


def _kedro_error(exc: BaseException) -> str | None:
    for pattern, sentence in _KEDRO_ERRORS:
        found = pattern.search(str(exc))
        if found:
            return sentence.format(*found.groups())
    return None


@contextlib.contextmanager
def _clear_errors():
    """A problem the user can fix ends as one line ``Error: ...`` and exit code 1."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - re-raised unless the user can fix it
        message = find_user_error(exc) or _kedro_error(exc)
        if message is None:
            raise
        click.secho(f"Error: {mask_credentials(str(message))}", err=True, fg="red")
        sys.exit(1)


def _run_with_clear_errors(**kwargs):
    with _clear_errors():
        return kedro_run.callback(**kwargs)


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

# the very options of `kedro run`, so both commands parse them alike
_RUN_OPTIONS = {p.name: p for p in kedro_run.params}


@cli.command("rerun")
@click.option(
    "--pipeline",
    "pipeline_name",
    default="__default__",
    show_default=True,
    help="Registered pipeline to bring up to date.",
)
@click.option("--dry-run", is_flag=True, help="Only say which nodes would run and why.")
def rerun(pipeline_name: str, dry_run: bool, **options) -> None:
    """Run only the nodes whose code, parameters or inputs changed, and all downstream.

    Takes ``--env``, ``--params``, ``--conf-source``, ``--runner`` and ``--async`` as
    ``kedro run`` does.
    """
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession

    from . import fingerprints

    runner = load_obj(options["runner"] or "SequentialRunner", "kedro.runner")
    with (
        _clear_errors(),
        KedroSession.create(
            env=options["env"],
            conf_source=options["conf_source"],
            runtime_params=options["params"],
        ) as session,
    ):
        context = session.load_context()
        if pipeline_name not in pipelines:
            raise UserInputError(
                f"There is no pipeline '{pipeline_name}': choose one of "
                f"{', '.join(sorted(pipelines))}."
            )
        to_run, reasons = fingerprints.changed_nodes(
            pipelines[pipeline_name],
            context.catalog,
            context.config_loader["parameters"],
            Path(context.project_path),
        )
        if not to_run:
            click.echo("Nothing changed: no node to run.")
            return
        for name, why in reasons.items():
            click.echo(f"{name}: {why}")
        downstream = [n for n in to_run if n not in reasons]
        if downstream:
            click.echo(f"downstream: {', '.join(downstream)}")
        if dry_run:
            return
        session.run(
            pipeline_names=[pipeline_name],
            node_names=to_run,
            runner=runner(is_async=options["is_async"]),
        )


for _name in ("runner", "is_async", "env", "conf_source", "params"):
    rerun.params.append(_RUN_OPTIONS[_name])
