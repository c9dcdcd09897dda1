"""Connections for fetching articles: to addresses a policy allows, to the very address checked, by one deadline."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable

import httpcore

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int, float], list[str]]

# Ranges this Python's `is_global` still counts as global, though nothing public lives there.
NOT_GLOBAL = tuple(
    ipaddress.ip_network(network)
    for network in (
        "192.88.99.0/24",  # 6to4 relay anycast
        "::/96",  # IPv4-compatible IPv6, deprecated
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4, which carries any IPv4 address inside
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fec0::/10",  # site-local, deprecated
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# getaddrinfo takes no timeout: lookups run here, and a lookup past the deadline is left to finish alone.
LOOKUPS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="forum-import-dns")


class AddressNotAllowed(Exception):
    """The host is, or resolves to, an address the policy refuses."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


class DeadlinePassed(TimeoutError):
    """The fetch ran out of time."""


def is_public(address: Address) -> bool:
    """Whether an address is globally routable: not loopback, private, link-local, shared, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 reaches that IPv4 address.
        inner = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF) if address in NAT64 else None
        )
        if inner is not None:
            return is_public(inner)
    return (
        address.is_global
        and not address.is_multicast
        and not any(address in network for network in NOT_GLOBAL)
    )


def any_address(address: Address) -> bool:
    """Every address allowed (`FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES`, for tests against local servers)."""
    return True


def resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of a host name (or the address an IP literal is), within `timeout` seconds."""
    lookup = LOOKUPS.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        answers = lookup.result(timeout)
    except concurrent.futures.TimeoutError:
        raise DeadlinePassed(host) from None
    except UnicodeError:
        # A name the IDNA codec refuses (a label over 63 characters) is a name DNS cannot answer for.
        raise socket.gaierror(socket.EAI_NONAME, host) from None
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


class Deadline:
    """One moment every step of a fetch must finish by."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, timeout: float | None = None) -> float:
        """The seconds left (at most `timeout`), or `DeadlinePassed` when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the fetch ran out of time")
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read what the server has sent, waiting at most until the deadline."""
        return self.stream.read(max_bytes, self.deadline.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send bytes, waiting at most until the deadline."""
        self.stream.write(buffer, self.deadline.left(timeout))

    def close(self) -> None:
        """Close the connection."""
        self.stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """TLS over this connection, still bound by the deadline; the certificate is checked against the host name."""
        secure = self.stream.start_tls(ssl_context, server_hostname, self.deadline.left(timeout))
        return DeadlineStream(secure, self.deadline)

    def get_extra_info(self, info: str) -> object:
        """What the underlying connection tells (its TLS object, its peer)."""
        return self.stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Opens connections only to addresses `allow` accepts, to the very address it checked, within the deadline."""

    def __init__(
        self, deadline: Deadline, allow: Callable[[Address], bool], resolver: Resolver = resolve
    ) -> None:
        self.deadline = deadline
        self.allow = allow
        self.resolver = resolver
        self.direct = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """A connection to the host, refused unless every address it resolves to is allowed."""
        addresses = [ipaddress.ip_address(a) for a in self.resolver(host, port, self.deadline.left(timeout))]
        # One refused address refuses the host: its DNS could hand out that one next time.
        if not addresses or not all(self.allow(address) for address in addresses):
            raise AddressNotAllowed(host)
        failure: Exception | None = None
        for address in addresses:
            try:
                # An address, not the name: nothing is resolved again between the check and the connection.
                stream = self.direct.connect_tcp(
                    str(address), port, self.deadline.left(timeout), local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            return DeadlineStream(stream, self.deadline)
        raise failure or httpcore.ConnectError(host)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Never: an article comes over TCP."""
        raise AddressNotAllowed(path)

    def sleep(self, seconds: float) -> None:
        """Wait (httpcore's retries; none are made)."""
        time.sleep(min(seconds, self.deadline.left()))
