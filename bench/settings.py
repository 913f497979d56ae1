"""Settings of a benchmark stack: the application's own, plus the reference endpoints of bench/reference.py."""

from config.settings import *  # noqa: F403 - the same application, measured as deployed

ROOT_URLCONF = "bench.reference"
