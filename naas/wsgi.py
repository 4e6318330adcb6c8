"""The WSGI entry point for gunicorn: `gunicorn naas.wsgi:app`."""
from naas import create_app

app = create_app()
