#!/bin/sh
# Container start-up, then the command (gunicorn, a celery worker, manage.py ...).
#
# Django serves static files from DATA_DIR/static, but DATA_DIR is a volume that outlives the image. The files
# collected at build time are linked in on every start, so a new image never serves an old image's files.
set -eu

data_dir="${DATA_DIR:-/data}"
built_static="${STATIC_BUILD_DIR:-/app/staticfiles}"

mkdir -p "$data_dir"
if [ -d "$data_dir/static" ] && [ ! -L "$data_dir/static" ]; then
  # A real folder (from a collectstatic run by hand) is the operator's: say so rather than delete it.
  echo "docker-entrypoint: $data_dir/static is a folder, not the image's static files; remove it to use them" >&2
else
  ln -sfn "$built_static" "$data_dir/static"
fi

exec "$@"
