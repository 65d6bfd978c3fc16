"""Subscribing to digests: the form, confirmation, one-click unsubscribe, the manage page, and
``POST /api/subscriptions``. Handlers parse, call ``mail.service.Subscriptions``, render.

Links in emails carry signed tokens (mail/tokens.py), so none of these pages needs an
account or a session: RFC 8058 one-click unsubscribe must work from a mail provider's server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from paperboard.config import Settings
from paperboard.domain.addresses import InvalidAddress
from paperboard.domain.topics import (
    InvalidTopics,
    Topics,
    parse_topics,
)
from paperboard.mail.service import THROTTLED, InvalidFrequency, Subscriptions
from paperboard.mail.tokens import InvalidToken, Purpose
from paperboard.storage.subscriptions import Subscriber
from paperboard.storage.users import User
from paperboard.web.deps import get_runtime, get_settings
from paperboard.web.errors import PageError
from paperboard.web.session import Csrf, SignedIn
from paperboard.web.templating import render

log = logging.getLogger(__name__)

# Pages stay out of /openapi.json (each says include_in_schema=False); the API route is in it.
router = APIRouter(default_response_class=HTMLResponse)
PAGE = {"include_in_schema": False}

MAX_TOKEN_CHARS = 120
NOT_CONFIGURED = "Email digests are not set up on this paperboard (PAPERBOARD_SMTP_URL)."
NOT_VERIFIED = (
    "Verify your address first: follow the link we mailed to it (or ask for a new one below)."
)
STATUS_LABELS = {
    "pending": "Waiting for you to confirm (follow the link in the confirmation email)",
    "confirmed": "Subscribed",
    "unsubscribed": "Unsubscribed",
    "bounced": "Paused: mail to this address came back undelivered",
}

Token = Annotated[str, Query(min_length=1, max_length=MAX_TOKEN_CHARS)]


def get_subscriptions(request: Request) -> Subscriptions:
    """The runtime's (runtime.py): requests queue their mail; links work without a sender."""
    return get_runtime(request).subscriptions


Service = Annotated[Subscriptions, Depends(get_subscriptions)]


# --- the form ----------------------------------------------------------------------------------


@dataclass
class FormValues:
    email: str = ""
    frequency: str = "daily"
    categories: list[str] = field(default_factory=list)
    other_categories: str = ""
    keywords: str = ""
    interest: str = ""
    weekly_day: str = "Monday"

    def topics(self) -> Topics:
        return parse_topics(
            [*self.categories, self.other_categories],
            [self.keywords],
            self.interest,
        )


def _form_from(subscriber: Subscriber, choices: tuple[str, ...], weekly_day: str) -> FormValues:
    topics = subscriber.topics
    return FormValues(
        email=subscriber.email,
        frequency=subscriber.frequency,
        categories=[c for c in topics.categories if c in choices],
        other_categories=", ".join(c for c in topics.categories if c not in choices),
        keywords=", ".join(topics.keywords),
        interest=topics.interest or "",
        weekly_day=weekly_day,
    )


def _form_context(settings: Settings, form: FormValues) -> dict[str, object]:
    form.weekly_day = settings.digest_weekly_day.capitalize()
    return {"form": form, "category_choices": settings.categories}


FormText = Annotated[str, Form(max_length=1200)]


@router.get("/subscribe", name="subscribe", **PAGE)
def subscribe_form(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    email: Annotated[str, Query(max_length=254)] = "",
) -> Response:
    form = FormValues(email=email)
    context = _form_context(settings, form) | {"available": service.available, "error": None}
    return render(request, "subscribe.html", context)


# The mail goes out from the runtime's mail queue: neither answer below waits on the mail
# server, or says whether the address was subscribed already.


@router.post("/subscribe", **PAGE)
def subscribe_submit(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    email: Annotated[str, Form(max_length=254)] = "",
    frequency: Annotated[str, Form(max_length=16)] = "daily",
    categories: Annotated[list[str] | None, Form()] = None,
    other_categories: FormText = "",
    keywords: FormText = "",
    interest: FormText = "",
    website: FormText = "",
) -> Response:
    form = FormValues(email, frequency, categories or [], other_categories, keywords, interest)
    context = _form_context(settings, form) | {"available": service.available}
    if website:
        # The hidden field only robots fill: answer as if it worked, send nothing.
        return render(request, "subscribe_sent.html", {"email": email, "frequency": frequency})
    if not service.available:
        return render(request, "subscribe.html", context | {"error": None}, status_code=503)
    try:
        topics = form.topics()
        service.request(email, frequency, topics)
    except (InvalidAddress, InvalidFrequency, InvalidTopics) as exc:
        message = "That is not an email address." if isinstance(exc, InvalidAddress) else str(exc)
        return render(request, "subscribe.html", context | {"error": message}, status_code=400)
    return render(request, "subscribe_sent.html", {"email": email.strip(), "frequency": frequency})


# --- links from emails -------------------------------------------------------------------------


def _link_error(exc: InvalidToken) -> PageError:
    return PageError(
        400,
        f"{str(exc).capitalize()}. Links in our emails work as they were sent; a link that was "
        "cut or changed does not.",
        title="This link does not work",
        links=[("Subscribe again", "/subscribe")],
    )


@router.get("/subscribe/confirm", name="subscribe_confirm", **PAGE)
def confirm(request: Request, service: Service, token: Token) -> Response:
    """Confirm (idempotent). A GET, because that is what a link in an email can do."""
    try:
        subscriber = service.confirm(token)
    except InvalidToken as exc:
        raise _link_error(exc) from None
    links = service.links(subscriber)
    return render(
        request,
        "subscribe_confirmed.html",
        {"subscriber": subscriber, "manage_url": links.manage_url},
    )


@router.get("/unsubscribe", name="unsubscribe", **PAGE)
def unsubscribe_page(request: Request, service: Service, token: Token) -> Response:
    """Shows a button: a link scanner that follows every link in a mail unsubscribes no one."""
    try:
        subscriber = service.subscriber_for(token, Purpose.UNSUBSCRIBE)
    except InvalidToken as exc:
        raise _link_error(exc) from None
    links = service.links(subscriber)
    context = {"subscriber": subscriber, "token": token, "done": False}
    return render(request, "subscribe_unsubscribe.html", context | {"manage_url": links.manage_url})


@router.post("/unsubscribe", **PAGE)
def unsubscribe(request: Request, service: Service, token: Token) -> Response:
    """The button, and RFC 8058 one-click: a POST with ``List-Unsubscribe=One-Click`` from
    the mail provider. No session, no redirect; effective at once."""
    try:
        subscriber = service.unsubscribe(token)
    except InvalidToken as exc:
        raise _link_error(exc) from None
    links = service.links(subscriber)
    context = {"subscriber": subscriber, "token": token, "done": True}
    return render(request, "subscribe_unsubscribe.html", context | {"manage_url": links.manage_url})


def _manage_page(
    request: Request,
    settings: Settings,
    subscriber: Subscriber,
    token: str,
    *,
    form: FormValues | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    weekly_day = settings.digest_weekly_day.capitalize()
    form = form or _form_from(subscriber, settings.categories, weekly_day)
    context = _form_context(settings, form) | {
        "subscriber": subscriber,
        "token": token,
        "status_label": STATUS_LABELS.get(subscriber.status, subscriber.status),
        "notice": notice,
        "error": error,
    }
    return render(request, "subscribe_manage.html", context, status_code=status_code)


@router.get("/subscription/manage", name="subscription_manage", **PAGE)
def manage_page(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    token: Token,
) -> Response:
    try:
        subscriber = service.subscriber_for(token, Purpose.MANAGE)
    except InvalidToken as exc:
        raise _link_error(exc) from None
    return _manage_page(request, settings, subscriber, token)


@router.post("/subscription/manage", **PAGE)
def manage_submit(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    token: Token,
    action: Annotated[Literal["save", "unsubscribe", "resubscribe"], Form()] = "save",
    frequency: Annotated[str, Form(max_length=16)] = "daily",
    categories: Annotated[list[str] | None, Form()] = None,
    other_categories: FormText = "",
    keywords: FormText = "",
    interest: FormText = "",
) -> Response:
    subscriptions = service
    try:
        subscriber = subscriptions.subscriber_for(token, Purpose.MANAGE)
    except InvalidToken as exc:
        raise _link_error(exc) from None
    form = FormValues(
        subscriber.email, frequency, categories or [], other_categories, keywords, interest
    )
    if action == "unsubscribe":
        subscriber = subscriptions.unsubscribe_managed(token)
        return _manage_page(request, settings, subscriber, token, notice="Unsubscribed.")
    try:
        subscriber = subscriptions.update(token, frequency, form.topics())
    except (InvalidFrequency, InvalidTopics) as exc:
        return _manage_page(
            request, settings, subscriber, token, form=form, error=str(exc), status_code=400
        )
    notice = "Saved."
    if action == "resubscribe":
        subscriber = subscriptions.resubscribe(token)
        notice = f"Subscribed again: the next {subscriber.frequency} digest comes to you."
    return _manage_page(request, settings, subscriber, token, notice=notice)


# --- a signed-in user's own subscription ---------------------------------------------------------
# Sign-up does not check the address typed, so the settings page shows the subscription of the
# account's address only once the address is verified (a link mailed to it was followed):
# before that it shows nothing bound to the address, the same whether or not it is subscribed.
# Even then it changes the subscription only through the manage link mailed to the address.


def _account_page(
    request: Request,
    service: Subscriptions,
    settings: Settings,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    shown = service.available and user.email_verified
    subscriber = service.for_email(user.email) if shown else None
    weekly_day = settings.digest_weekly_day.capitalize()
    if subscriber is not None:
        form = _form_from(subscriber, settings.categories, weekly_day)
    else:
        form = FormValues(email=user.email)
    context = _form_context(settings, form) | {
        "user": user,
        "verified": user.email_verified,
        "subscriber": subscriber,
        "status_label": STATUS_LABELS.get(subscriber.status, "") if subscriber else None,
        "available": service.available,
        "notice": notice,
        "error": error,
    }
    return render(request, "account_digest.html", context, status_code=status_code)


@router.get("/account/digest", name="account_digest", **PAGE)
def account_digest(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    user: SignedIn,
) -> Response:
    return _account_page(request, service, settings, user)


@router.post("/account/digest", **PAGE)
def account_digest_link(
    request: Request,
    _: Csrf,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    user: SignedIn,
) -> Response:
    """Mail the manage link of the account address's subscription (a confirmation link when
    it is not confirmed yet); only for a verified address, and without saying anything of
    the address's subscription before that."""
    if not service.available:
        return _account_page(
            request, service, settings, user, error=NOT_CONFIGURED, status_code=503
        )
    if not user.email_verified:
        return _account_page(request, service, settings, user, error=NOT_VERIFIED, status_code=403)
    subscriber = service.for_email(user.email)
    if subscriber is None:
        raise PageError(400, "There is no subscription for your address yet: subscribe below.")
    result = service.request(subscriber.email, subscriber.frequency, subscriber.topics)
    if result.mailed == THROTTLED:
        notice = f"We mailed {subscriber.email} a few minutes ago: please check your inbox."
    else:
        notice = f"We mailed a link to {subscriber.email}: follow it to change or stop the digest."
    return _account_page(request, service, settings, user, notice=notice)
