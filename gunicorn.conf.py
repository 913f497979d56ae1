"""gunicorn reads this file from its working directory (the checkout; /app in the image) when it starts.

It checks the settings once in the master, before any worker is forked: a missing or bad variable then stops
gunicorn with the one line manage.py prints. Left to the workers, each would print it, and the master would
trace back while it stops the others ("Worker failed to boot" raised again during its shutdown).
"""

import os


def on_starting(server: object) -> None:
    # Imported here: gunicorn takes this file's module-level names as its settings, and `config` is one of them.
    from config.env import settings_or_exit

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    settings_or_exit()


def post_fork(server: object, worker: object) -> None:
    # The access log names every URL, and a desktop link's token is in its path (desktop/links.py): the same
    # filter as Django's log handlers (config/settings.py, LOGGING) keeps it out, in each worker.
    import logging

    from config.logging import RedactDavTokens

    logging.getLogger("gunicorn.access").addFilter(RedactDavTokens())
