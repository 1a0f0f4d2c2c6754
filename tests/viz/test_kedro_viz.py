"""kedro-viz: the built site, opened in a real headless Chromium, shows the train nodes."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading

import pytest

from tests.conftest import REPO, make_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def browse(url: str, tmp_path, shot_name: str, size: str, budget_ms: int):
    """The page's DOM after ``budget_ms`` of virtual time in headless Chromium, and a
    screenshot of it under test-artifacts/."""
    browser = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={tmp_path / 'chromium'}",
        f"--window-size={size}",
        f"--virtual-time-budget={budget_ms}",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / shot_name
    shot.unlink(missing_ok=True)  # the picture is this run's
    dom = subprocess.run(  # one browser: the DOM and the picture of the same page
        [*browser, "--dump-dom", f"--screenshot={shot}", url],
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    return dom, shot


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_built_site_renders_train_pipeline(tmp_path):
    root = make_project(tmp_path / "project")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    build = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build", "--include-previews"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    site = root / "build"
    pipelines = (site / "api" / "pipelines").iterdir()
    assert {"train", "tune", "ensemble", "inference"} <= {p.name for p in pipelines}

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/?pipeline_id=train"
    try:
        dom, shot = browse(url, tmp_path, "kedro_viz_train.png", "1600,1000", 15000)
    finally:
        server.shutdown()
    # flowchart nodes are SVG groups: <g class="pipeline-node ..." data-node-fullname=...>
    drawn = set(
        re.findall(
            r'<g [^>]*class="pipeline-node[^"]*"[^>]*'
            r'data-node-fullname="([^"]+)"',
            dom,
        )
    )
    for node in (
        "train_model_node",
        "evaluate_model_node",
        "fit_feature_transform_node",
        "validate_train_sequences_node",
    ):
        assert node in drawn, f"{node} is not drawn in the flowchart"
    assert shot.stat().st_size > 10_000


def _free_port() -> int:
    """A free local port below 49152 (kedro-viz refuses higher ones)."""
    import random

    for port in random.Random().sample(range(20000, 49000), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free local port")


def _wait_for_json(url: str, server: subprocess.Popen, seconds: float = 240) -> str:
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(1)


@pytest.mark.slow
def test_viz_shows_the_members_of_the_chosen_environment(tmp_path):
    root = make_project(tmp_path / "project")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    # `kedro viz build` reads KEDRO_ENV
    build = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build"],
        cwd=root,
        env={**env, "KEDRO_ENV": "japanese_vowels"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    built = (root / "build" / "api" / "pipelines" / "ensemble").read_text()
    assert "fcn_seed1" in built and "conv_lstm_seed3" in built
    assert "bigru_seed1" not in built

    # `kedro viz run --env=...` (a real server on a free local port)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kedro",
            "viz",
            "run",
            "--env=japanese_vowels",
            "--no-browser",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "viz.log", "w"),  # noqa: SIM115 - closed with the process
        start_new_session=True,  # its own process group: the server's child goes too
    )
    try:
        served = _wait_for_json(
            f"http://127.0.0.1:{port}/api/pipelines/ensemble", server=server
        )
    except OSError as exc:
        raise AssertionError((tmp_path / "viz.log").read_text()[-3000:]) from exc
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # `kedro viz run` spawns the server
        server.wait(timeout=30)
    assert "fcn_seed2" in served and "bigru_seed1" not in served
