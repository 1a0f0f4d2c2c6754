"""Rerun published figures and compare them with the text that publishes them.

Each check runs its command in a fresh copy of the project (configuration only, so
synthetic or public data are made anew, as on a fresh clone), reads the outputs
through the project's catalog and compares them with the sentence in README.md or
docs/ that states them, at the precision the text uses. A figure the text does not
match exits 1 with one sentence saying which and what this machine gives.

    python benchmarks/published_figures.py                  # the default run (CI)
    python benchmarks/published_figures.py --checks default_run,japanese_vowels_ensemble

Figures depend on the CPU's floating-point kernels as well as on the code: the
script prints the processor it ran on.
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Check:
    """One published figure: the command, where the text states it, how to read it."""

    command: list[str]  # arguments of ``kedro``
    documents: tuple[str, ...]  # files stating the figure, relative to the repository
    pattern: str  # regex whose groups are the published values; {cpu}: this CPU
    measure: Callable[[object], tuple]  # catalog -> the values, in group order


def _default_run(catalog) -> tuple:
    metrics = catalog.load("validation_metrics")
    model = catalog.load("trained_model")
    return metrics["macro_f1"], model["best_epoch"], len(model["history"])


def _ensemble(catalog) -> tuple:
    table = catalog.load("ensemble_comparison")
    test = table[(table["split"] == "test") & table["model"].str.startswith("ensemble")]
    return (float(test["macro_f1"].max()),)


CHECKS = {
    "default_run": Check(
        ["run", "--pipeline=train"],
        ("README.md", "docs/benchmarks.md"),
        r"validation macro F1 (\d\.\d+) \(best\s+epoch (\d+) of (\d+)\) on an?\s+{cpu}",
        _default_run,
    ),
    "japanese_vowels_ensemble": Check(
        ["run", "--pipeline=ensemble", "--env=japanese_vowels"],
        ("docs/benchmarks.md",),
        r"JapaneseVowels ensemble \(9 members\).*?test macro F1 (\d\.\d+) on an?\s+{cpu}",
        _ensemble,
    ),
}


def published(check: Check, document: str) -> tuple[str, ...]:
    """The values ``document`` states (as written)."""
    text = (REPO / document).read_text()
    pattern = check.pattern.replace("{cpu}", r"\s+".join(cpu_family().split()))
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(
            f"{document} states no figure /{pattern}/ for this processor "
            f"({cpu_family()}): add this machine's figure to the text (it prints "
            "above), or update CHECKS in benchmarks/published_figures.py."
        )
    return found.groups()


def matches(written: str, value) -> bool:
    """``value`` rounds to ``written`` at the precision the text uses."""
    if "." in written:
        decimals = len(written.split(".")[1])
        return f"{float(value):.{decimals}f}" == written
    return str(int(value)) == written


def run_check(name: str, check: Check) -> bool:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    with tempfile.TemporaryDirectory(prefix="published_") as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "conf", root / "conf", ignore=_no_local)
        (root / "conf/local").mkdir(exist_ok=True)
        for name_ in ("pyproject.toml", ".telemetry"):
            shutil.copy(REPO / name_, root / name_)
        (root / "src").mkdir()
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "kedro", *check.command],
            cwd=root,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{name}: kedro {' '.join(check.command)} failed.")
        bootstrap_project(root)
        env = next((a.split("=", 1)[1] for a in check.command if "--env=" in a), None)
        with KedroSession.create(project_path=root, env=env) as session:
            values = check.measure(session.load_context().catalog)
    shown = ", ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in values)
    agree = True
    for document in check.documents:
        written = published(check, document)
        same = all(matches(w, v) for w, v in zip(written, values))
        agree &= same
        print(
            f"{name}: kedro {' '.join(check.command)}: {shown} in {seconds / 60:.1f} "
            f"min; {document} says {', '.join(written)}: {'OK' if same else 'DIFFERS'}"
        )
    return agree


def _no_local(folder, names):
    return ["local"] if Path(folder).name == "conf" else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", default="default_run", help="comma-separated")
    args = parser.parse_args()
    names = args.checks.split(",")
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise SystemExit(f"Unknown check {unknown[0]}: use one of {', '.join(CHECKS)}.")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {cpu_model()} (figures of: {cpu_family()})")
    failed = [n for n in names if not run_check(n, CHECKS[n])]
    if failed:
        print(
            f"The published figure of {', '.join(failed)} differs from what this "
            "machine gives: update the text beside its command (or find the change "
            "that moved it).",
            file=sys.stderr,
        )
        return 1
    return 0


def cpu_family() -> str:
    """``Intel Xeon``, ``AMD EPYC``, ...: the text publishes one figure per family
    (the floating-point kernels differ between them)."""
    words = re.sub(r"\(R\)|\(TM\)|CPU|Processor|@.*", " ", cpu_model()).split()
    return " ".join(w for w in words[:2] if not any(c.isdigit() for c in w)) or "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
