"""The smallest Django project that serves django-scim2: the SCIM views at /scim/v2/, users
in an SQLite file (`PEER_DB`), a bearer token, and no session, CSRF or admin machinery,
which a SCIM client never uses."""
import os

SECRET_KEY = "scim-seats-bench-peer"  # nothing is signed: no sessions, no admin
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_scim", "benchusers"]
AUTH_USER_MODEL = "benchusers.User"
MIDDLEWARE = ["benchpeer.auth.BearerTokenMiddleware"]
ROOT_URLCONF = "benchpeer.urls"
WSGI_APPLICATION = "benchpeer.wsgi.application"
# Connections kept between requests, as a deployment would set it (Django's default opens one
# per request).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PEER_DB"],
                         "CONN_MAX_AGE": None}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "OAuth Bearer Token",
         "description": "A static bearer token"},
    ],
}
