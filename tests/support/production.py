"""A Python process started with the production settings, for tests of how settings read the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def run_with_production_settings(code: str, data_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` with config.settings and nothing in the environment but PATH, DATA_DIR and ``variables``."""
    return run_in_production_environment([sys.executable, "-c", code], data_dir, **variables)


def run_in_production_environment(
    args: list[str], data_dir: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    """A command (manage.py, gunicorn, a celery worker) started as ``run_with_production_settings`` starts Python."""
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(data_dir)}
    return subprocess.run(
        args,
        cwd=BASE_DIR,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
