"""Liveness for load balancers and compose health checks (no auth, no secrets)."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from controller.errors import ServiceUnavailable
from controller.extensions import db
from controller.routes import Blueprint
from controller.schemas import HealthSchema

blp = Blueprint("health", __name__, url_prefix="/api", description="Service health")


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
def health():
    """Whether the controller and its database answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise ServiceUnavailable("The database does not answer.", {"database": "down"}) from exc
    return {"status": "ok", "database": "ok"}
