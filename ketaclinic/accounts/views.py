"""Sign-in: password, then a TOTP code (or enrolment) for roles that need a second factor; sign-out."""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from ketaclinic.accounts import services
from ketaclinic.accounts.access import is_fully_signed_in
from ketaclinic.accounts.forms import LoginForm, OneTimeCodeForm
from ketaclinic.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from ketaclinic.accounts.models import User

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
