"""Account pages: sign-up, sign-in, sign-out, password reset, account settings (the address and
its verification included) and API tokens. The session and CSRF machinery they use is
web/session.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from paperboard.community.errors import (
    InvalidInput,
    LoginFailed,
)
from paperboard.community.service import Community
from paperboard.community.tokens import EXPIRY_CHOICES_DAYS, expiry_in_days
from paperboard.storage.users import User
from paperboard.web.errors import PageError
from paperboard.web.session import (
    CommunityDep,
    Csrf,
    Field,
    NextField,
    RowId,
    SignedIn,
    clear_session_cookie,
    client_of,
    is_personal,
    redirect_to,
    safe_next,
    set_session_cookie,
    viewer_of,
)
from paperboard.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


# --- sign up, sign in, sign out ----------------------------------------------------------------


@router.get("/signup", name="signup")
def signup_page(request: Request, next: str = "/") -> Response:
    if is_personal(request):
        return redirect_to(safe_next(next))
    return render(request, "signup.html", {"form": {}, "error": None, "next": safe_next(next)})


@router.post("/signup")
def signup(
    request: Request,
    _: Csrf,
    community: CommunityDep,
    username: Field = "",
    email: Field = "",
    password: Field = "",
    next: NextField = "/",
) -> Response:
    try:
        user = community.accounts.sign_up(username, email, password, client=client_of(request))
    except InvalidInput as exc:
        form = {"username": username, "email": email}
        context = {"form": form, "error": exc.message, "field": exc.field, "next": safe_next(next)}
        return render(request, "signup.html", context, status_code=400)
    response = redirect_to(safe_next(next))
    set_session_cookie(response, request, community.accounts.start_session(user))
    return response


@router.get("/login", name="login")
def login_page(request: Request, next: str = "/") -> Response:
    if is_personal(request):
        return redirect_to(safe_next(next))
    context = {"username": "", "error": None, "next": safe_next(next)}
    return render(request, "login.html", context)


@router.post("/login")
def login(
    request: Request,
    _: Csrf,
    community: CommunityDep,
    username: Field = "",
    password: Field = "",
    next: NextField = "/",
) -> Response:
    try:
        user = community.accounts.log_in(username, password, client=client_of(request))
    except LoginFailed as exc:
        context = {"username": username, "error": exc.message, "next": safe_next(next)}
        return render(request, "login.html", context, status_code=401)
    response = redirect_to(safe_next(next))
    set_session_cookie(response, request, community.accounts.start_session(user))
    return response


@router.post("/logout", name="logout")
def logout(request: Request, _: Csrf, community: CommunityDep) -> Response:
    viewer = viewer_of(request)
    if viewer.session_token:
        community.accounts.end_session(viewer.session_token)
    response = redirect_to("/")
    clear_session_cookie(response, request)
    return response


# --- password reset ----------------------------------------------------------------------------


@router.get("/forgot-password", name="forgot_password")
def forgot_page(request: Request) -> Response:
    return render(request, "password_forgot.html", {"sent": False, "mailer": True, "email": ""})


@router.post("/forgot-password")
def forgot(request: Request, _: Csrf, community: CommunityDep, email: Field = "") -> Response:
    mailer = community.accounts.request_reset(email, client=client_of(request))
    context = {"sent": True, "mailer": mailer, "email": email}
    return render(request, "password_forgot.html", context)


@router.get("/reset-password", name="reset_password")
def reset_page(request: Request, community: CommunityDep, token: str = "") -> Response:
    try:
        user = community.accounts.check_reset_token(token[:200])
    except InvalidInput as exc:
        raise PageError(400, exc.message, title="Link expired") from None
    context = {"token": token, "username": user.username, "error": None}
    return render(request, "password_reset.html", context)


@router.post("/reset-password")
def reset(
    request: Request,
    _: Csrf,
    community: CommunityDep,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Field = "",
) -> Response:
    try:
        community.accounts.reset_password(token, password)
    except InvalidInput as exc:
        if exc.field is None:
            raise PageError(400, exc.message, title="Link expired") from None
        context = {"token": token, "username": "", "error": exc.message}
        return render(request, "password_reset.html", context, status_code=400)
    response = redirect_to("/login?reset=1")
    clear_session_cookie(response, request)
    return response


# --- account settings and API tokens ----------------------------------------------------------


def _account_page(
    request: Request,
    community: Community,
    user: User,
    *,
    message: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "tokens": community.tokens.tokens_of(user),
        "expiry_choices": EXPIRY_CHOICES_DAYS,
        "now": community.context.clock(),
        "can_verify": community.addresses.can_mail,
        "message": message,
        "error": error,
        "new_token": new_token,
    }
    return render(request, "account.html", context, status_code=status_code)


@router.get("/account", name="account")
def account_page(request: Request, user: SignedIn, community: CommunityDep) -> Response:
    return _account_page(request, community, user)


@router.post("/account")
def account_update(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    display_name: Annotated[str, Form(max_length=200)] = "",
    votes_public: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        updated = community.accounts.update_settings(
            user, display_name=display_name, votes_public=votes_public == "1"
        )
    except InvalidInput as exc:
        return _account_page(request, community, user, error=exc.message, status_code=400)
    return _account_page(request, community, updated, message="Saved.")


@router.post("/account/password")
def account_password(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    current_password: Field = "",
    new_password: Field = "",
) -> Response:
    try:
        community.accounts.change_password(user, current_password, new_password)
    except InvalidInput as exc:
        return _account_page(request, community, user, error=exc.message, status_code=400)
    # Changing the password ended every session, this one too: sign in again here.
    response = redirect_to("/login?next=/account")
    clear_session_cookie(response, request)
    return response


@router.post("/account/email")
def account_email(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    email: Field = "",
    current_password: Field = "",
) -> Response:
    try:
        updated = community.accounts.change_email(user, email, current_password)
    except InvalidInput as exc:
        return _account_page(request, community, user, error=exc.message, status_code=400)
    message = "Saved." if updated.email_verified else f"Saved. {_check_sent(community, updated)}"
    return _account_page(request, community, updated, message=message)


@router.post("/account/email/verify")
def account_email_verify(
    request: Request, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    """Mail the link that verifies the account's address again."""
    if user.email_verified:
        return _account_page(request, community, user, message="Your address is verified.")
    community.accounts.request_address_check(user)
    return _account_page(request, community, user, message=_check_sent(community, user))


def _check_sent(community: Community, user: User) -> str:
    if not community.addresses.can_mail:
        return "Verifying an address needs email, which this paperboard does not send."
    return f"We mailed a link to {user.email}: follow it to verify the address."


@router.get("/verify-email", name="verify_email")
def verify_email(request: Request, community: CommunityDep, token: str = "") -> Response:
    """The link mailed to an address. A GET, because that is what a link in a mail can do;
    following it twice changes nothing. No session needed: the link is the proof."""
    try:
        user = community.addresses.verify(token[:200])
    except InvalidInput as exc:
        raise PageError(400, exc.message, title="Link expired") from None
    return render(request, "email_verified.html", {"verified_user": user})


@router.post("/account/tokens")
def token_create(
    request: Request,
    _: Csrf,
    user: SignedIn,
    community: CommunityDep,
    name: Annotated[str, Form(max_length=200)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        expires_in = _days(expires_days)
        _info, token = community.tokens.create(user, name, expires_in=expires_in)
    except InvalidInput as exc:
        return _account_page(request, community, user, error=exc.message, status_code=400)
    return _account_page(request, community, user, new_token=token, status_code=201)


def _days(text: str) -> timedelta | None:
    """The form's expiry: a number of days, or "" (never)."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput("Choose when the token expires.", field="expires_days")
    return expiry_in_days(int(text))


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(
    request: Request, token_id: RowId, _: Csrf, user: SignedIn, community: CommunityDep
) -> Response:
    community.tokens.revoke(token_id, by=user)
    return redirect_to("/account#tokens")
