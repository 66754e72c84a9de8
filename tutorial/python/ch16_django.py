"""Chapter 16: a whole Django project in one file, with a WSGI middleware
written in Python around it. Serve it with this crate:
`cargo run --features python -- --python ch16_django --pythonpath tutorial/python`."""
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

# ANCHOR: project
settings.configure(
    DEBUG=False,
    SECRET_KEY='not a secret: a tutorial',
    ALLOWED_HOSTS=['127.0.0.1', 'localhost'],
    ROOT_URLCONF=__name__,  # this file is also the URL configuration
    MIDDLEWARE=[],
)


def hello(request, name):
    text = f'Hello, {name}, from Django! You asked for {request.path}.\n'
    return HttpResponse(text, content_type='text/plain; charset=utf-8')


urlpatterns = [path('hello/<str:name>', hello)]
# ANCHOR_END: project


# ANCHOR: middleware
class ServedBy:
    """WSGI middleware, as in chapter 6: it adds a header naming the server."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def with_header(status, headers, exc_info=None):
            headers = headers + [('X-Served-By', environ['SERVER_SOFTWARE'])]
            return start_response(status, headers, exc_info)
        return self.app(environ, with_header)


application = ServedBy(get_wsgi_application())
# ANCHOR_END: middleware
