"""Errors services raise for a request that is not allowed; views turn them into messages or HTTP codes."""


class ServiceError(Exception):
    """A write was refused; nothing was changed. ``field`` names the offending input where there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    """The actor's role, licence or location does not allow this write."""
