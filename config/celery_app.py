"""The Celery application: ``celery -A config worker`` finds it through ``config.celery_app``."""

import os

from celery import Celery

from config.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _settings_or_exit(sender: object, **kwargs: object) -> None:
    # Sent just before Celery first reads the Django settings: a bad or missing variable then stops a worker or
    # beat with the one line manage.py prints, not a traceback through click and Celery. A no-op once loaded.
    settings_or_exit()
