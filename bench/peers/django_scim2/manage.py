"""Django's command line for the bench peer project (migrations)."""
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchpeer.settings")
execute_from_command_line(sys.argv)
