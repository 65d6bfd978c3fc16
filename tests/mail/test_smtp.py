"""The SMTP sender against a real SMTP server (aiosmtpd on loopback): delivery, TLS and
authentication, reply codes mapped to temporary/permanent failures, the hand-over point."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperboard.domain.smtp_url import SmtpConfig, parse_smtp_url
from paperboard.mail.message import OutgoingMessage, build_message
from paperboard.mail.sender import (
    InMemorySender,
    PermanentFailure,
    TemporaryFailure,
    UncertainDelivery,
    send_one,
)
from paperboard.mail.smtp import SmtpSender, dot_stuffed
from tests.digest_helpers import NOW, parse, parts
from tests.mailserver import (
    SmtpServer,
    free_port,
    password_authenticator,
    self_signed,
    serve_smtp,
)


def message(
    to: str = "ada@example.org", text: str = "Hello.\n", subject: str = "Hi"
) -> OutgoingMessage:
    data = build_message(
        from_header="paperboard <digest@example.org>",
        to=to,
        subject=subject,
        text=text,
        html=f"<p>{text}</p>",
        message_id="<test.1@example.org>",
        date=NOW,
    )
    return OutgoingMessage("digest@example.org", to, data, "<test.1@example.org>")


def plain(server: SmtpServer) -> SmtpSender:
    return SmtpSender(SmtpConfig(server.host, server.port, "none", timeout=5))


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with serve_smtp() as running:
        yield running


# --- PAPERBOARD_SMTP_URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpConfig("mail.example.org", 25, "none")),
        ("smtp://localhost:2525", SmtpConfig("localhost", 2525, "none")),
        (
            "smtp://user:p%40ss@host:587?starttls=1",
            SmtpConfig("host", 587, "starttls", "user", "p@ss"),
        ),
        # A user without starttls=0 never sends the password in the clear.
        ("smtp://user:pw@host:587", SmtpConfig("host", 587, "starttls", "user", "pw")),
        ("smtp://user:pw@host:25?starttls=0", SmtpConfig("host", 25, "none", "user", "pw")),
        ("smtps://user:pw@host", SmtpConfig("host", 465, "ssl", "user", "pw")),
        ("smtps://host:2465?timeout=5", SmtpConfig("host", 2465, "ssl", timeout=5.0)),
    ],
)
def test_smtp_url(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://host",
        "smtp://",
        "smtp://host:notaport",
        "smtp://host:70000",
        "smtp://host?starttls=maybe",
        "smtps://host?starttls=1",
        "smtp://host?tls=1",
        "smtp://host?timeout=0",
        "host:25",
    ],
)
def test_invalid_smtp_url(url: str) -> None:
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_password_is_not_in_the_config_repr() -> None:
    assert "secret" not in repr(parse_smtp_url("smtp://u:secret@host"))


# --- delivery ----------------------------------------------------------------------------------


def test_delivers_the_message_as_built(server: SmtpServer) -> None:
    sent = message(text="Line one.\n.A line that starts with a dot\n.\nLast line.\n")
    send_one(plain(server), sent)
    (received,) = server.recorder.received
    assert received.mail_from == "digest@example.org"
    assert received.rcpt_tos == ["ada@example.org"]
    # Dot-stuffing is undone by the server: the message arrives byte for byte.
    assert received.data.rstrip(b"\r\n") == sent.data.rstrip(b"\r\n")
    text, _html = parts(received.message)
    assert ".A line that starts with a dot\n.\nLast line." in text


def test_dot_stuffing() -> None:
    assert dot_stuffed(b"a\r\n.b\r\n.\r\n") == b"a\r\n..b\r\n..\r\n"
    assert dot_stuffed(b".start") == b"..start\r\n"


def test_one_connection_for_many_messages(server: SmtpServer) -> None:
    connections = []
    original = SmtpSender.connect

    def counting(self: SmtpSender):  # type: ignore[no-untyped-def]
        connections.append(1)
        return original(self)

    sender = plain(server)
    sender.connect = counting.__get__(sender)  # type: ignore[method-assign]
    with sender.session() as session:
        for n in range(5):
            session.send(message(to=f"user{n}@example.org"))
    assert len(connections) == 1
    assert server.recorder.recipients() == [f"user{n}@example.org" for n in range(5)]


def test_hand_over_runs_before_the_final_dot_and_can_abort(server: SmtpServer) -> None:
    calls: list[int] = []

    def hand_over() -> None:
        # The server has the whole body but not the dot: nothing is delivered yet.
        calls.append(len(server.recorder.received))

    class Abort(Exception):
        pass

    def refuse() -> None:
        raise Abort

    with plain(server).session() as session:
        session.send(message(to="first@example.org"), hand_over)
        with pytest.raises(Abort):
            session.send(message(to="aborted@example.org"), refuse)
        # The session reconnects after the abort.
        session.send(message(to="third@example.org"), hand_over)
    assert calls == [0, 1]
    assert server.recorder.recipients() == ["first@example.org", "third@example.org"]


# --- failures ----------------------------------------------------------------------------------


def test_4xx_is_temporary_and_the_session_goes_on(server: SmtpServer) -> None:
    server.recorder.rcpt_replies["busy@example.org"] = ["451 4.3.0 Try again later"]
    server.recorder.data_replies["later@example.org"] = ["452 4.2.2 Mailbox full for now"]
    with plain(server).session() as session:
        with pytest.raises(TemporaryFailure) as rcpt:
            session.send(message(to="busy@example.org"))
        with pytest.raises(TemporaryFailure) as data:
            session.send(message(to="later@example.org"))
        session.send(message(to="ok@example.org"))
    assert (rcpt.value.code, rcpt.value.connection) == (451, False)
    assert (data.value.code, data.value.connection) == (452, False)
    assert server.recorder.recipients() == ["ok@example.org"]


def test_5xx_is_permanent(server: SmtpServer) -> None:
    server.recorder.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]
    server.recorder.data_replies["spam@example.org"] = ["554 5.7.1 Rejected"]
    with plain(server).session() as session:
        with pytest.raises(PermanentFailure, match="550"):
            session.send(message(to="gone@example.org"))
        with pytest.raises(PermanentFailure, match="554"):
            session.send(message(to="spam@example.org"))
        session.send(message(to="ok@example.org"))
    assert server.recorder.recipients() == ["ok@example.org"]


def test_5xx_to_our_sender_address_does_not_blame_the_recipient(server: SmtpServer) -> None:
    server.recorder.mail_replies.append("550 5.7.1 Sender not allowed")
    with pytest.raises(TemporaryFailure, match="MAIL FROM: 550"):
        send_one(plain(server), message())


def test_421_means_reconnect(server: SmtpServer) -> None:
    server.recorder.rcpt_replies["a@example.org"] = ["421 4.3.2 Closing: too many messages"]
    with plain(server).session() as session:
        with pytest.raises(TemporaryFailure) as info:
            session.send(message(to="a@example.org"))
        assert info.value.connection
        session.send(message(to="b@example.org"))
    assert server.recorder.recipients() == ["b@example.org"]


def test_connection_refused_is_temporary() -> None:
    sender = SmtpSender(SmtpConfig("127.0.0.1", free_port(), "none", timeout=2))
    with pytest.raises(TemporaryFailure) as info:
        send_one(sender, message())
    assert info.value.connection


@pytest.fixture
def hangs_up_after_the_dot() -> Iterator[int]:
    """A minimal SMTP server that reads a whole message and closes without replying."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rwb") as stream:
            stream.write(b"220 fake ESMTP\r\n")
            stream.flush()
            while line := stream.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    stream.write(b"250 fake\r\n")
                elif verb == b"DATA":
                    stream.write(b"354 go ahead\r\n")
                    stream.flush()
                    while stream.readline() not in (b".\r\n", b""):
                        pass
                    return  # hang up: the client never hears whether it was taken
                else:
                    stream.write(b"250 OK\r\n")
                stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.close()
    thread.join(5)


def test_no_reply_after_the_dot_is_uncertain(hangs_up_after_the_dot: int) -> None:
    sender = SmtpSender(SmtpConfig("127.0.0.1", hangs_up_after_the_dot, "none", timeout=5))
    with pytest.raises(UncertainDelivery):
        send_one(sender, message())


# --- TLS and authentication --------------------------------------------------------------------


def test_starttls_with_login(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    options = {
        "tls_context": certificate.server_context(),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": password_authenticator("digest", "p@ss word"),
    }
    with serve_smtp(**options) as server:
        url = f"smtp://digest:p%40ss%20word@127.0.0.1:{server.port}?starttls=1&timeout=5"
        sender = SmtpSender.from_url(url, ssl_context=certificate.client_context())
        send_one(sender, message())
        assert server.recorder.recipients() == ["ada@example.org"]
        wrong = SmtpSender.from_url(
            f"smtp://digest:wrong@127.0.0.1:{server.port}?starttls=1&timeout=5",
            ssl_context=certificate.client_context(),
        )
        with pytest.raises(TemporaryFailure, match="535") as info:
            send_one(wrong, message())
        assert info.value.connection


def test_starttls_checks_the_certificate(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    with serve_smtp(tls_context=certificate.server_context(), require_starttls=True) as server:
        # The default context does not trust a self-signed certificate.
        sender = SmtpSender.from_url(f"smtp://127.0.0.1:{server.port}?starttls=1&timeout=5")
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
            send_one(sender, message())
        assert server.recorder.received == []


def test_implicit_tls(tmp_path: Path) -> None:
    certificate = self_signed(tmp_path)
    with serve_smtp(ssl_context=certificate.server_context()) as server:
        sender = SmtpSender.from_url(
            f"smtps://127.0.0.1:{server.port}?timeout=5", ssl_context=certificate.client_context()
        )
        send_one(sender, message(subject="Über TLS"))
        (received,) = server.recorder.received
        assert received.message["Subject"] == "Über TLS"


# --- the in-memory sender ----------------------------------------------------------------------


def test_in_memory_sender_scripts_failures() -> None:
    sender = InMemorySender()
    sender.fail("a@example.org", TemporaryFailure("451 later", 451))
    with pytest.raises(TemporaryFailure):
        send_one(sender, message(to="a@example.org"))
    send_one(sender, message(to="a@example.org"))
    assert [m.recipient for m in sender.messages] == ["a@example.org"]
    assert parse(sender.messages[0].data)["To"] == "a@example.org"
