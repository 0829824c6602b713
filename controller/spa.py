"""Serves the built web UI (`frontend/dist`) at `/`, with the SPA fallback:
any non-API path without a file answers `index.html` so client routes load;
and Swagger UI's assets for /api/docs at /api/docs/assets/ (from the pinned
swagger-ui-bundle package, so the docs work without internet)."""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("spa", __name__)
docs_assets_bp = Blueprint("docs_assets", __name__)
# The built app loads only its own files. Styles keep 'unsafe-inline' for
# libraries that inject <style> elements; scripts stay strictly 'self'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@bp.after_request
def content_security_policy(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


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


@docs_assets_bp.route("/api/docs/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
