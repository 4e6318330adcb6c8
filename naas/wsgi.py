"""The WSGI entry point for gunicorn: `gunicorn naas.wsgi:app`.

A setting that is missing or wrong stops the server with one line saying which, rather
than a traceback from every worker. Once the app is built, what it holds for the life of
the worker is moved out of the garbage collector's sight (gc.freeze): a full collection
otherwise walks all of it, which made about one certificate render in fifteen take twice
as long as the rest (docs/performance.md).
"""

import gc

from naas.cli import build_app
from naas.observability import configure_logging

BOOT_ERROR = 3  # gunicorn's "worker failed to boot": the master stops instead of restarting workers

try:
    app = build_app()  # on a bad setting: prints one "Error: ..." line and exits
except SystemExit:
    raise SystemExit(BOOT_ERROR) from None
configure_logging(app)  # one line per request, as NAAS_LOG_FORMAT says
gc.collect()  # what start-up left as garbage goes now, not frozen for good
gc.freeze()
