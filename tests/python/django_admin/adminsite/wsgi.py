"""The project's WSGI application, as startproject writes it (no StaticFilesHandler)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminsite.settings")

application = get_wsgi_application()
