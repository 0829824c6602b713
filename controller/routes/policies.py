"""Quotas (policies), auto-approval and extension requests: admins write
the policies and decide requests; students see their usage and ask for
more time."""

from flask_jwt_extended import current_user

from controller.routes import Blueprint
from controller.schemas import (
    AdminExtensionRequestPageSchema,
    AdminExtensionRequestSchema,
    AssignPolicySchema,
    AutoApprovalSchema,
    ExtensionApproveSchema,
    ExtensionQuerySchema,
    ExtensionRequestCreateSchema,
    ExtensionRequestPageSchema,
    ExtensionRequestSchema,
    PageArgsSchema,
    PolicyListSchema,
    PolicySchema,
    PolicyUpdateSchema,
    PolicyUsageSchema,
    PolicyWriteSchema,
    RejectSchema,
    UserSchema,
)
from controller.security import admin_required, login_required
from controller.services import extension_requests, policies

blp = Blueprint("policies", __name__, url_prefix="/api",
                description="Quotas, auto-approval and extension requests")


# --- admins ----------------------------------------------------------------

@blp.route("/admin/policies", methods=["GET"])
@admin_required
@blp.response(200, PolicyListSchema)
def list_policies():
    """Every policy, the default first, with how many users each applies to."""
    return {"items": policies.list_policies()}


@blp.route("/admin/policies", methods=["POST"])
@admin_required
@blp.arguments(PolicyWriteSchema)
@blp.response(201, PolicySchema)
def create_policy(args):
    """Add a named policy (e.g. for a thesis group)."""
    return policies.create_policy(current_user, **args)


@blp.route("/admin/policies/<int:policy_id>", methods=["PATCH"])
@admin_required
@blp.arguments(PolicyUpdateSchema(partial=True))
@blp.response(200, PolicySchema)
def update_policy(args, policy_id):
    """Change a policy's limits or auto-approval bounds (null: no limit)."""
    return policies.update_policy(policy_id, current_user, **args)


@blp.route("/admin/policies/<int:policy_id>", methods=["DELETE"])
@admin_required
@blp.response(204)
def delete_policy(policy_id):
    """Delete a named policy; its users fall back to the default."""
    policies.delete_policy(policy_id, current_user)


@blp.route("/admin/users/<int:user_id>/policy", methods=["PUT"])
@admin_required
@blp.arguments(AssignPolicySchema)
@blp.response(200, UserSchema)
def assign_policy(args, user_id):
    """Give a user a named policy, or (null) the default."""
    return policies.assign_policy(user_id, args["policy_id"], current_user)


@blp.route("/admin/auto-approval", methods=["GET"])
@admin_required
@blp.response(200, AutoApprovalSchema)
def get_auto_approval():
    """Whether policies may approve bookings by themselves, lab-wide."""
    return policies.auto_approval_setting()


@blp.route("/admin/auto-approval", methods=["PUT"])
@admin_required
@blp.arguments(AutoApprovalSchema)
@blp.response(200, AutoApprovalSchema)
def set_auto_approval(args):
    """Switch auto-approval (bookings and extensions) on or off for the whole lab."""
    return policies.set_auto_approval(args["enabled"], current_user)


@blp.route("/admin/extension-requests", methods=["GET"])
@admin_required
@blp.arguments(ExtensionQuerySchema, location="query")
@blp.response(200, AdminExtensionRequestPageSchema)
def list_extension_requests(args):
    """The queue of students' requests for more time (pending by default), oldest first."""
    return extension_requests.admin_requests(args["status"], args["page"], args["per_page"])


@blp.route("/admin/extension-requests/<int:request_id>/approve", methods=["POST"])
@admin_required
@blp.arguments(ExtensionApproveSchema)
@blp.response(200, AdminExtensionRequestSchema)
def approve_extension_request(args, request_id):
    """Extend the booking to the requested end (re-checking the node)."""
    return extension_requests.approve_request(request_id, current_user, args["note"])


@blp.route("/admin/extension-requests/<int:request_id>/reject", methods=["POST"])
@admin_required
@blp.arguments(RejectSchema)
@blp.response(200, AdminExtensionRequestSchema)
def reject_extension_request(args, request_id):
    """Refuse a request with a reason the student sees."""
    return extension_requests.reject_request(request_id, current_user, args["reason"])


# --- students ----------------------------------------------------------------

@blp.route("/student/usage", methods=["GET"])
@login_required
@blp.response(200, PolicyUsageSchema)
def my_usage():
    """One's policy and what one uses of it this week."""
    return policies.usage(current_user)


@blp.route("/student/bookings/<int:booking_id>/extend", methods=["POST"])
@login_required
@blp.arguments(ExtensionRequestCreateSchema)
@blp.response(200, ExtensionRequestSchema)
def request_extension(args, booking_id):
    """Ask for more time: granted at once within the policy and the node's room, else queued for an admin."""
    return extension_requests.request_extension(current_user, booking_id, **args)


@blp.route("/student/extension-requests", methods=["GET"])
@login_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ExtensionRequestPageSchema)
def my_extension_requests(args):
    """One's requests for more time and their outcome, newest first."""
    return extension_requests.student_requests(current_user, args["page"], args["per_page"])
