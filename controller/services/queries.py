"""Query helpers every service uses: fetch-or-404, pagination, text search."""

from sqlalchemy import or_

from controller.errors import NotFound
from controller.extensions import db


def get_or_404(model, object_id: int, message: str):
    """The row with this id; NotFound with `message` when there is none."""
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(message)
    return obj


def text_search(text: str, *columns):
    """A condition: one of `columns` contains `text`, case-insensitively and
    literally (`%`, `_` and the escape character match only themselves)."""
    return or_(*(column.icontains(text, autoescape=True) for column in columns))


def paginate(stmt, page: int, per_page: int, count=None, total: int | None = None) -> dict:
    """One page of `stmt`'s rows with the total, in the API's list shape.
    `total`, or `count` (a cheaper statement giving it), when the caller
    knows a cheaper way than counting `stmt` as a subquery."""
    if total is None:
        if count is None:
            count = db.select(db.func.count()).select_from(stmt.order_by(None).subquery())
        total = db.session.scalar(count)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def commit_keeping_state() -> None:
    """Commit without expiring the session's objects, so a response built
    from them does not read them back. Only for a unit of work whose objects
    hold every value the response shows (nothing set by the database but
    the ids the flush returned)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
