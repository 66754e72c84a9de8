"""Views for the per-request database connection check (tests/python.rs):
Django keeps one connection per context (asgiref.local.Local on a
ContextVar) and closes it from its request_finished receiver, which runs in
the response's close(). If close() ran in another context than the view,
the receiver would see (and close) another connection, and the view's would
stay open until the garbage collector finds it."""
import json
import os

from django.core.signals import request_finished
from django.db import connections
from django.http import HttpResponse

LAST = {}


def db(request):
    """Query the database; remember which connection object did it."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    LAST.clear()
    LAST["view"] = id(connection)
    return HttpResponse("ok\n", content_type="text/plain")


def _finished(sender, **kwargs):
    # Django's own close_old_connections receiver was connected first
    # (at `import django.db`), so it has already run.
    if "view" in LAST:
        connection = connections["default"]
        LAST["finished"] = id(connection)
        LAST["closed"] = connection.connection is None


request_finished.connect(_finished)


def db_report(request):
    """What the last /db request's request_finished saw, and the open file
    descriptors of this process now."""
    report = {
        "same_connection": LAST.get("view") == LAST.get("finished"),
        "closed": LAST.get("closed"),
        "open_descriptors": len(os.listdir("/proc/self/fd")),
    }
    return HttpResponse(json.dumps(report, sort_keys=True), content_type="application/json")
