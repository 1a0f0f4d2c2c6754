"""Project CLI: ``kedro run`` with one-sentence errors for problems users can fix,
and ``kedro rerun``, which takes the same configuration options."""

from __future__ import annotations

import contextlib
import difflib
import sys
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.utils import load_obj

from .configuration import current_loader
from .errors import UserInputError, find_user_error
from .masking import mask_credentials


def _kedro_error(exc: BaseException, options: dict) -> str | None:
    """Kedro refused what the command line asks for: say which option, and why.

    Decided by checking the options against the registered pipelines and the
    catalog, as the run resolved them, never by reading Kedro's message.
    """
    from kedro.framework.project import pipelines
    from kedro.io import DatasetError

    if not isinstance(exc, ValueError | DatasetError):
        return None
    names = [options.get("pipeline")] if options.get("pipeline") else []
    names = names or list(options.get("pipelines") or []) or ["__default__"]
    for name in names:
        if name not in pipelines:
            close = difflib.get_close_matches(name, list(pipelines), n=1)
            if close:
                return (
                    f"There is no pipeline '{name}': did you mean '{close[0]}'? "
                    "(`kedro registry list` shows them all)"
                )
            return f"There is no pipeline '{name}': see `kedro registry list`."
    nodes = {n.name for name in names for n in pipelines[name].nodes}
    for option in ("node_names", "from_nodes", "to_nodes"):
        unknown = [n for n in options.get(option) or () if n not in nodes]
        if unknown:
            return (
                f"The pipeline has no node named {', '.join(map(repr, unknown))}: "
                "see `kedro registry describe <pipeline>` for its nodes."
            )
    return _dataset_error(exc, options)


def _dataset_error(exc: BaseException, options: dict) -> str | None:
    from kedro.io.core import VersionNotFoundError

    catalog = current_loader()["catalog"]
    unknown = [n for n in options.get("load_versions") or {} if n not in catalog]
    if unknown:
        return (
            f"--load-versions names {', '.join(unknown)}, which is not a dataset of "
            "the catalog: see `kedro catalog list-datasets`."
        )
    missing = _in_chain(exc, VersionNotFoundError)
    if missing is None:
        return None
    pinned = options.get("load_versions") or {}
    paths = {  # the catalog's files; the longest one the error names is it
        name: str(entry["filepath"])
        for name, entry in catalog.items()
        if isinstance(entry, dict) and entry.get("filepath") and name not in pinned
    }
    named = [(len(p), n, p) for n, p in paths.items() if p in str(missing)]
    if not named:
        return None
    _, name, path = max(named)
    return (
        f"{name} ({path}) has no saved version yet: run the pipeline that writes it "
        "first (README, Pipelines)."
    )


def _in_chain(exc: BaseException | None, kind: type) -> BaseException | None:
    """``exc`` or the exception it was raised from that is a ``kind``."""
    while exc is not None:
        if isinstance(exc, kind):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def _clear_errors(options: dict):
    """A problem the user can fix ends as one line ``Error: ...`` and exit code 1."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - re-raised unless the user can fix it
        message = find_user_error(exc) or _kedro_error(exc, options)
        if message is None:
            raise
        click.secho(f"Error: {mask_credentials(str(message))}", err=True, fg="red")
        sys.exit(1)


def _run_with_clear_errors(**kwargs):
    with _clear_errors(kwargs):
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
    from kedro.framework.project import pipelines, settings

    from . import fingerprints

    runner = load_obj(options["runner"] or "SequentialRunner", "kedro.runner")
    with (
        _clear_errors({"pipeline": pipeline_name}),
        settings.SESSION_CLASS.create(
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


@cli.command("warm-up")
def warm_up() -> None:
    """Compile the ROCKET-family members' numba kernels once on this machine (about
    2 min); every later run, Dask worker and test loads them from numba's cache."""
    from .modeling.warm_up import warm_up as compile_kernels

    for kind, seconds in compile_kernels().items():
        click.echo(f"{kind}: {seconds:.1f} s")
