"""Fetching an article from a URL: public addresses only, pinned to the address checked, one deadline, one error."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest

from forum.importing import ImportRefused, fetch_url, parse_article
from forum.importing.network import any_address
from forum.models import Role
from tests.article_server import article_server
from tests.parsing import assert_night_trains

LOOPBACK = ipaddress.ip_address("127.0.0.1")
COULD_NOT_FETCH = "The page at {url} could not be fetched; check the address, or save the page and upload it."


def only_127_0_0_1(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A policy that lets the test server in and keeps the rest of the loopback out."""
    return address == LOOPBACK


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[str]]]:
    with article_server() as served:
        yield served


@pytest.fixture
def server(served) -> str:
    served[1].clear()
    return served[0]


@pytest.fixture
def requests_seen(served) -> list[str]:
    """The Host headers of the requests the test server got during the test."""
    return served[1]


@pytest.fixture(autouse=True)
def connections(monkeypatch) -> list[tuple]:
    """Every address a socket connects to; one off the loopback fails the test before a packet leaves."""
    opened: list[tuple] = []
    connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address: tuple) -> None:
        if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            pytest.fail(f"the fetch connected to {address[0]}")
        opened.append(address[:2])
        connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    return opened


def resolver_of(answers: dict[str, list[str]], calls: list[str] | None = None):
    """A resolver that knows only `answers` and notes each name it is asked for."""

    def resolve(host: str, port: int, timeout: float) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, host)
        return answers[host]

    return resolve


# --- what comes back ----------------------------------------------------------------------------


def test_fetch_html_and_parse_it(server: str) -> None:
    body, content_type = fetch_url(f"{server}/article.html", allow=any_address)
    assert content_type.startswith("text/html")
    assert_night_trains(parse_article(body, content_type=content_type))


@pytest.mark.parametrize(
    ("path", "title"),
    [("/article.txt", "Selling the Riverside"), ("/article.md", "Why Tram Fares")],
)
def test_fetch_text_and_markdown(server: str, path: str, title: str) -> None:
    body, content_type = fetch_url(server + path, allow=any_address)
    assert parse_article(body, content_type=content_type).title.startswith(title)


def test_fetch_follows_redirects_and_recodes_declared_charsets(server: str) -> None:
    body, _ = fetch_url(f"{server}/redirect", allow=any_address)
    assert body.startswith(b"Selling the Riverside")
    body, content_type = fetch_url(f"{server}/latin1.html", allow=any_address)
    assert content_type == "text/html; charset=utf-8"
    article = parse_article(body, content_type=content_type)
    assert article.title == "Café" and article.blocks[0].text == "Crème brûlée."


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ftp://127.0.0.1/file", {}, "Only http and https"),
        ("file:///etc/passwd", {}, "Only http and https"),
        ("javascript:alert(1)", {}, "Only http and https"),
        ("http://", {}, "has no host name"),
        ("http://[oops/", {}, "is not a valid web address"),
        ("http://127.0.0.1/" + "x" * 2000, {}, "is longer than 2,000 characters"),
        ("http://127.0.0.1/\x00", {}, "holds control characters"),
        ("{server}/image.png", {}, "image/png"),
        ("{server}/missing", {}, "404 Not Found"),
        ("{server}/big.txt", {"max_bytes": 1000}, "larger than 1 KB"),
        ("{server}/endless", {"max_bytes": 100_000}, "larger than 100 KB"),
        ("{server}/redirect-ftp", {}, "not an http or https address"),
        ("{server}/loop", {}, "redirects more than 5 times"),
    ],
)
def test_fetch_refusals(server: str, url: str, options: dict, message: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        fetch_url(url.format(server=server), allow=any_address, **options)
    assert message in refused.value.message


def test_a_user_name_and_password_are_never_sent(server: str, requests_seen: list[str]) -> None:
    url = server.replace("http://", "http://user:secret@") + "/article.txt"
    with pytest.raises(ImportRefused) as refused:
        fetch_url(url, allow=any_address)
    assert "user name or password" in refused.value.message
    assert requests_seen == []


def test_an_international_host_name_is_looked_up_as_punycode(server: str, requests_seen: list[str]) -> None:
    port = server.rsplit(":", 1)[1]
    resolve = resolver_of({"xn--bcher-kva.test": ["127.0.0.1"]})
    body, _ = fetch_url(f"http://bücher.test:{port}/article.txt", allow=only_127_0_0_1, resolver=resolve)
    assert body.startswith(b"Selling the Riverside")
    assert requests_seen == [f"xn--bcher-kva.test:{port}"]


# --- only public addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "{server}/article.txt",  # a server that is really there
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
    ],
)
def test_addresses_off_the_public_internet_are_refused_unvisited(
    server: str, url: str, connections: list[tuple], requests_seen: list[str]
) -> None:
    with pytest.raises(ImportRefused) as refused:
        fetch_url(url.format(server=server))
    assert refused.value.message == (
        f"The address {url.format(server=server)} is not allowed: "
        "the forum imports only from public web addresses."
    )
    assert connections == [] and requests_seen == []


def test_a_name_is_refused_when_any_of_its_addresses_is(server: str, connections: list[tuple]) -> None:
    resolve = resolver_of({"mixed.test": ["127.0.0.1", "10.0.0.1"], "intranet.test": ["10.1.2.3"]})
    for name in ("mixed.test", "intranet.test"):
        with pytest.raises(ImportRefused) as refused:
            fetch_url(f"http://{name}/", allow=only_127_0_0_1, resolver=resolve)
        assert "is not allowed" in refused.value.message
    assert connections == []


def test_the_connection_goes_to_the_address_checked(
    server: str, connections: list[tuple], requests_seen: list[str]
) -> None:
    port = int(server.rsplit(":", 1)[1])
    calls: list[str] = []
    resolve = resolver_of({"article.test": ["127.0.0.1"]}, calls)
    body, _ = fetch_url(f"http://article.test:{port}/article.txt", allow=only_127_0_0_1, resolver=resolve)
    assert body.startswith(b"Selling the Riverside")
    # Looked up once, connected to that very address, and asked for by name.
    assert calls == ["article.test"]
    assert connections == [("127.0.0.1", port)]
    assert requests_seen == [f"article.test:{port}"]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[str, ssl.SSLContext]]:
    """A server on 127.0.0.1 whose certificate names article.test, and a context that trusts that certificate."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=article.test",
         "-addext", "subjectAltName=DNS:article.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    with article_server(tls=served) as (base, _):
        yield base.rsplit(":", 1)[1], ssl.create_default_context(cafile=str(cert))


def test_over_tls_the_certificate_is_checked_against_the_name_not_the_address(tls_server) -> None:
    port, trusted = tls_server
    resolve = resolver_of({"article.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    body, _ = fetch_url(
        f"https://article.test:{port}/article.txt", allow=only_127_0_0_1, resolver=resolve, ssl_context=trusted
    )
    assert body.startswith(b"Selling the Riverside")
    url = f"https://impostor.test:{port}/article.txt"
    with pytest.raises(ImportRefused) as refused:
        fetch_url(url, allow=only_127_0_0_1, resolver=resolve, ssl_context=trusted)
    assert refused.value.message == COULD_NOT_FETCH.format(url=url)


def test_a_redirect_is_checked_like_the_first_address(server: str, requests_seen: list[str]) -> None:
    port = server.rsplit(":", 1)[1]
    with pytest.raises(ImportRefused) as refused:
        fetch_url(f"{server}/to-127.0.0.2", allow=only_127_0_0_1)
    assert refused.value.message == (
        f"The page redirects to http://127.0.0.2:{port}/article.txt, which is not allowed: "
        "the forum imports only from public web addresses."
    )
    assert requests_seen == [f"127.0.0.1:{port}"]


# --- one error, one deadline --------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("http://127.0.0.1:{closed}/", {}),  # connection refused
        ("{server}/slow", {"timeout": 0.5}),  # no answer in time
        ("http://nowhere.test/", {"resolver": resolver_of({})}),  # no such name
    ],
    ids=["refused", "timed-out", "unknown-name"],
)
def test_every_failure_to_fetch_says_the_same(server: str, url: str, options: dict) -> None:
    url = url.format(server=server, closed=closed_port())
    with pytest.raises(ImportRefused) as refused:
        fetch_url(url, allow=any_address, **options)
    assert refused.value.message == COULD_NOT_FETCH.format(url=url)


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline(server: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(ImportRefused) as refused:
        fetch_url(server + path, allow=any_address, timeout=2)
    elapsed = time.monotonic() - started
    assert refused.value.message == COULD_NOT_FETCH.format(url=server + path)
    assert 1.9 < elapsed < 3.5, f"{elapsed:.2f}s"


def test_a_slow_name_lookup_counts_against_the_deadline(monkeypatch) -> None:
    lookup = socket.getaddrinfo

    def slow_lookup(host, *args, **kwargs):
        if host == "slow-dns.test":
            time.sleep(3)
            host = "127.0.0.1"
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    started = time.monotonic()
    with pytest.raises(ImportRefused) as refused:
        fetch_url("http://slow-dns.test:9/", allow=any_address, timeout=1)
    assert time.monotonic() - started < 2
    assert refused.value.message == COULD_NOT_FETCH.format(url="http://slow-dns.test:9/")


# --- through the forum: the API, the import page and the command line -----------------------------


def admin_token(client, make_user) -> str:
    user = make_user("ada", Role.ADMIN)
    return client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]


def test_the_api_fetches_only_from_public_addresses_unless_allowed(app, client, make_user, server) -> None:
    token = admin_token(client, make_user)
    url = f"{server}/article.txt"
    refused = client.api("POST", "/api/v1/articles", {"url": url}, token=token)
    assert refused.status_code == 422
    assert refused.json["error"]["message"] == (
        f"The address {url} is not allowed: the forum imports only from public web addresses."
    )
    assert client.get("/api/v1/articles").json["articles"] == []
    app.config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"] = True
    imported = client.api("POST", "/api/v1/articles", {"url": f" {url}\n"}, token=token)
    assert imported.status_code == 201, imported.json
    assert imported.json["title"].startswith("Selling the Riverside")
    assert imported.json["source_url"] == url  # as fetched, without the spaces around it


def test_the_import_page_fetches_only_from_public_addresses_unless_allowed(app, client, as_admin, server) -> None:
    url = f"{server}/article.md"
    refused = client.submit("/import", {"url": url, "action": "review"})
    assert refused.status_code == 422
    assert "is not allowed: the forum imports only from public web addresses." in refused.get_data(as_text=True)
    app.config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"] = True
    review = client.submit("/import", {"url": url, "action": "review"})
    assert review.status_code == 200
    assert "Why Tram Fares" in review.get_data(as_text=True)


def test_the_command_fetches_only_from_public_addresses_unless_allowed(app, runner, client, server) -> None:
    url = f"{server}/article.html"
    refused = runner.invoke(args=["forum", "import", url, "--json"])
    assert refused.exit_code == 1
    assert "is not allowed: the forum imports only from public web addresses." in refused.stderr
    assert client.get("/api/v1/articles").json["articles"] == []
    app.config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"] = True
    imported = runner.invoke(args=["forum", "import", url, "--json"])
    assert imported.exit_code == 0, imported.output
    assert client.get("/api/v1/articles").json["articles"][0]["title"] == "Night Trains Will Not Save the Climate"
