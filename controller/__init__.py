"""The controller: `create_app` builds the Flask app (see `controller.app` to run it)."""

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from controller import models  # noqa: F401  (tables known to Alembic and create_all)
from controller.cli import register_cli
from controller.config import Config, check_config, engine_url
from controller.errors import RequestLimits, register_error_handlers
from controller.extensions import api, cors, db, jwt, limiter, migrate
from controller.observability import configure_logging, init_request_logging
from controller.routes import RowIdConverter, admin, auth, calendar, health, policies, session_pages, student
from controller.security import init_jwt_callbacks, init_request_guard, init_security_headers
from controller.spa import bp as spa_bp
from controller.spa import docs_assets_bp

log = logging.getLogger(__name__)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment, with `overrides` on top (tests)."""
    app = Flask(__name__)
    config = Config()
    app.config.from_object(config)
    app.config.update(overrides or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = engine_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check_config(app.config)
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_JSON"])
    if app.config.get("JWT_SECRET_IS_EPHEMERAL") and not app.testing:
        log.warning("JWT_SECRET_KEY is not set: using a random key; tokens end with this process")
    app.wsgi_app = RequestLimits(app.wsgi_app)
    if app.config.get("TRUST_PROXY_HOPS"):
        hops = int(app.config["TRUST_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"),
                     render_as_batch=True, compare_type=True)
    jwt.init_app(app)
    limiter.init_app(app)
    if app.config["CORS_ORIGINS"]:
        cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}})
    api.init_app(app)
    register_error_handlers(app)
    init_request_logging(app)

    init_jwt_callbacks()
    init_security_headers(app)
    init_request_guard(app)
    for blueprint in (auth.blp, student.blp, admin.blp, health.blp, calendar.blp, policies.blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(session_pages.bp)
    app.register_blueprint(docs_assets_bp)
    app.register_blueprint(spa_bp)
    register_cli(app)
    return app
