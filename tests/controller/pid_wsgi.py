"""A WSGI app that answers with its worker's pid, so a test can see which
gunicorn worker holds each connection (tests/controller/test_serving.py)."""

import os


def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
