"""The suite itself refuses to leave the machine."""

import socket

import pytest

from tests.conftest import NetworkAccessError


def test_connecting_to_a_public_address_fails_before_any_packet() -> None:
    with socket.socket() as s, pytest.raises(NetworkAccessError):
        s.connect(("93.184.216.34", 443))


def test_resolving_a_public_name_fails() -> None:
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("api.kraken.com", 443)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
