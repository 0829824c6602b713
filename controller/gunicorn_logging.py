"""Gunicorn's access log with secrets masked: a calendar feed's URL holds
its token in the path, which the default access log would write out.
Used with `--logger-class controller.gunicorn_logging.MaskingLogger`."""

from gunicorn.glogging import Logger

from controller.observability import loggable_path


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        masked = loggable_path(path)
        if masked != path:
            atoms["U"] = masked
            atoms["r"] = f"{environ['REQUEST_METHOD']} {masked} {environ['SERVER_PROTOCOL']}"
        return atoms
