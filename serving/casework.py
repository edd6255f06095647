"""What the casework routes share: turning casework rule failures into API errors."""

from __future__ import annotations

from matching.lifecycle import InvalidTransition
from serving.errors import ApiError


def invalid_transition(error: InvalidTransition) -> ApiError:
    """409 ``invalid_transition`` naming the outcomes the referral may move to next."""
    allowed = [o.value for o in error.allowed]
    return ApiError(
        409,
        "invalid_transition",
        str(error),
        [("outcome", "allowed next: " + (", ".join(allowed) or "none (the outcome is final)"))],
    )
