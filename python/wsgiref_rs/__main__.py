"""``python -m wsgiref_rs [OPTIONS] [MODULE:CALLABLE] [[ADDR:]PORT]``: the
``wsgiref`` command (``--help`` lists the options), in this interpreter,
with its ``sys.path`` and virtual environment as they are."""

import sys

from wsgiref_rs import _native


def console(argv=None):
    """Run the command with ``argv`` (default ``sys.argv[1:]``); its exit
    status (the ``wsgiref-rs`` script's entry point)."""
    args = sys.argv[1:] if argv is None else list(argv)
    # How the --reload parent starts its child: this interpreter (the
    # virtual environment's), this module, the same arguments.
    restart = [sys.executable, "-m", "wsgiref_rs", *args]
    return _native.main(args, restart)


if __name__ == "__main__":
    sys.exit(console())
