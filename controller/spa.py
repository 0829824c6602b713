"""Serves the built web UI (`frontend/dist`) at `/`, with the SPA fallback:
any non-API path without a file answers `index.html` so client routes load."""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("spa", __name__)


@bp.route("/", defaults={"path": ""})
@bp.route("/<path:path>")
def serve(path: str):
    if path.startswith("api/") or path == "api":
        abort(404)
    dist = Path(current_app.config["FRONTEND_DIST"])
    if not (dist / "index.html").is_file():
        return (
            "<h1>Compute booking API</h1><p>The web UI is not built: run <code>make run</code>"
            " (or <code>npm run build</code> in frontend/). API docs: <a href='/api/docs'>/api/docs</a></p>",
            200,
        )
    if path and (dist / path).is_file():
        return send_from_directory(dist, path)
    response = send_from_directory(dist, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response
