"""CPython's own wsgiref.validate.validator around any application, for
tests/python.rs: `wsgiref --python validated:flask_app.app` serves
validator(flask_app.app). Every WSGIWarning is an error, so a complaint about
the server becomes an exception, a 500 or a cut response, and a log line."""
import importlib
import warnings
from wsgiref.validate import validator

warnings.simplefilter("error")


class _Validated:
    def __init__(self, module_name):
        self._module = importlib.import_module(module_name)

    def __getattr__(self, name):
        submodule = self._module.__name__ + "." + name
        try:
            return _Validated(submodule)  # validated:mysite.wsgi.application
        except ModuleNotFoundError as error:
            if error.name != submodule:
                raise
        return validator(getattr(self._module, name))


def __getattr__(module_name):
    """PEP 562: `validated.flask_app` is flask_app with validated attributes."""
    if module_name.startswith("__"):
        raise AttributeError(module_name)
    return _Validated(module_name)
