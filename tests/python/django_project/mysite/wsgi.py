"""The project's WSGI application: Django's WSGIHandler, wrapped in
StaticFilesHandler so /static/ is served by Django itself."""
import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = StaticFilesHandler(get_wsgi_application())
