"""Sign-in: password, then a TOTP code (or enrolment) for roles that need a second factor; sign-out; self-service
password reset by e-mail."""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from ketaclinic.accounts import services
from ketaclinic.accounts.access import is_fully_signed_in
from ketaclinic.accounts.forms import LoginForm, NewPasswordForm, OneTimeCodeForm, PasswordResetRequestForm
from ketaclinic.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from ketaclinic.accounts.models import User
from ketaclinic.audit.middleware import client_ip

PENDING_USER = "kc_mfa_pending_user"
PENDING_AT = "kc_mfa_pending_at"
PENDING_NEXT = "kc_mfa_next"
PENDING_MAX_S = 300  # the password step is good for five minutes


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("web:dashboard")


def _finish_login(request: HttpRequest, user: User, *, method: str, device: Any = None) -> HttpResponse:
    target = _safe_next(request, request.session.get(PENDING_NEXT) or request.GET.get("next"))
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # cycles the session key
    if device is not None:
        otp_login(request, device)
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    request.session.save()
    services.note_login(user=user, session_key=request.session.session_key or "", method=method)
    return redirect(target)


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT, 0)
    if user_id is None or time.time() - started > PENDING_MAX_S:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.GET.get("timeout"):
        messages.info(request, "You were signed out after a period of inactivity. Please sign in again.")
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            # AxesMiddleware replaces this response with lockout_response() below (audited once, there).
            return render(request, "accounts/login.html", {"form": form}, status=429)
        if user is None:
            services.note_failed_login(username=username, reason="bad password or unknown user")
            form.add_error(None, "That username and password do not match an active account.")
        elif not user.needs_mfa:
            return _finish_login(request, user, method="password")
        else:
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_AT] = time.time()
            request.session[PENDING_NEXT] = request.GET.get("next", "")
            if services.confirmed_totp_device(user) is None:
                return redirect("accounts:mfa_enrol")
            return redirect("accounts:login_verify")
    return render(request, "accounts/login.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.warning(request, "Please sign in with your password first.")
        return redirect("accounts:login")
    device = services.confirmed_totp_device(user)
    if device is None:
        return redirect("accounts:mfa_enrol")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_totp(device=device, token=form.cleaned_data["code"]):
            return _finish_login(request, user, method="password+totp", device=device)
        services.note_failed_login(username=user.username, reason="wrong or reused one-time code")
        form.add_error("code", "That code is not valid. Wait for a new code and try again.")
    return render(request, "accounts/verify.html", {"form": form, "pending_user": user})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration so it can sit inside the page


@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.warning(request, "Please sign in with your password first.")
        return redirect("accounts:login")
    if services.confirmed_totp_device(user) is not None:
        return redirect("accounts:login_verify")
    device = services.start_totp_enrolment(user=user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_enrolment(user=user, device=device, token=form.cleaned_data["code"]):
            messages.success(request, "Your authenticator app is set up.")
            return _finish_login(request, user, method="password+totp (enrolled)", device=device)
        form.add_error("code", "That code does not match. Check the time on your phone and try the next code.")
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode().rstrip("=")
    secret = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))  # groups of four, as authenticator apps show it
    context = {"form": form, "qr_svg": _qr_svg(device.config_url), "secret": secret, "pending_user": user}
    return render(request, "accounts/enrol.html", context)


@require_POST
def keepalive_view(request: HttpRequest) -> HttpResponse:
    """The page calls this while someone is typing, so filling a long form is activity (security.md H2).

    SessionLifetimeMiddleware has already refreshed the idle clock (or ended an expired session) by the time this
    runs; the answer says which."""
    return HttpResponse(status=204 if is_fully_signed_in(request) else 401)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.note_logout(user=request.user, session_key=request.session.session_key)
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


def lockout_response(request: HttpRequest, original_response: Any, credentials: dict[str, Any] | None) -> HttpResponse:
    """django-axes calls this when a username + address is locked out (security.md H8); it is audited."""
    username = (credentials or {}).get("username", "") or request.POST.get("username", "")
    services.note_lockout(username=username)
    return render(request, "accounts/locked_out.html", status=429)


# --- Self-service password reset (Django's views, ketaclinic's pages, writes through the accounts services) ---------


class _ResetPage:
    """What every reset page says about the link's life."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["reset_minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context


class PasswordResetRequestView(_ResetPage, auth_views.PasswordResetView):
    """Asks for the work e-mail address; always answers with the same confirmation (no account enumeration)."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        services.request_password_reset(
            email=form.cleaned_data["email"],
            client_ip=client_ip(self.request),
            base_url=self.request.build_absolute_uri("/"),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(_ResetPage, auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(_ResetPage, auth_views.PasswordResetConfirmView):
    """Opens the e-mailed link (Django moves the token out of the address into the session) and sets the password.

    Nobody is signed in afterwards (``post_reset_login``): the next sign-in asks for the new password and the second
    factor."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and not isinstance(response, HttpResponseRedirect):
            services.note_password_reset_link_refused(user=self.user)
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        services.complete_password_reset(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
