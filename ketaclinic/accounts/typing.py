"""Request type for views behind ``staff_view`` and API operations behind auth: ``request.user`` is a real User."""

from django.http import HttpRequest

from ketaclinic.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User  # narrowed: the decorator or API auth has already refused anonymous users
