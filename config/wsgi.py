import os

from django.core.wsgi import get_wsgi_application

from config.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A bad or missing variable: the one line that names it rather than a traceback from each worker. Status 3 is
# gunicorn's "worker failed to boot", on which its master stops; on any other status it would start the worker
# again and again.
settings_or_exit(exit_status=3)
application = get_wsgi_application()
