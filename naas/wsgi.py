"""The WSGI entry point for gunicorn: `gunicorn naas.wsgi:app`.

A setting that is missing or wrong stops the server with one line saying which, rather
than a traceback from every worker.
"""
from naas.cli import build_app

BOOT_ERROR = 3  # gunicorn's "worker failed to boot": the master stops instead of restarting workers

try:
    app = build_app()  # on a bad setting: prints one "Error: ..." line and exits
except SystemExit:
    raise SystemExit(BOOT_ERROR) from None
