"""Settings of the processes a test starts while its default storage is a bucket (tests/support/storage_run.py).

The test settings keep files in a folder whatever the environment says; here the bucket that the ``AWS_*``
variables name wins, built by production's ``_s3_storage()`` as for an operator who sets ``STORAGE_BACKEND=s3``.
"""

from config.settings import _s3_storage
from config.test_settings import *  # noqa: F403
from config.test_settings import STORAGES

STORAGES = {**STORAGES, "default": _s3_storage()}
