"""Entry point for an external WSGI server: `gunicorn app.wsgi:app`."""
from app.factory import create_app

app = create_app()
