"""An application factory in Flask's convention, and no `app` or
`application`: for the start-up hints of tests/python.rs (`factory_app` and
`factory_app:create_app` are refused with a hint, `factory_app:create_app()`
serves)."""


def create_app():
    def greet(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"made by create_app()\n"]

    return greet
