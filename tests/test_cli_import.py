"""`flask forum import`: files and their summary, and bad input refused with nothing left behind."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
DEMO = Path(__file__).parent.parent / "demo" / "old-town-without-cars.txt"


def articles(client):
    return client.get("/api/v1/articles").json["articles"]


def test_the_demo_article_imports_with_its_slots(runner, client):
    result = runner.invoke(args=["forum", "import", str(DEMO), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary == {
        "id": summary["id"],
        "title": "The Old Town Must Close Its Streets to Cars",
        "threads": 11,
        "headings": 4,
        "citations": 10,
        "sources": 4,
    }
    article = client.get(f"/api/v1/articles/{summary['id']}").json
    assert article["date"] == "2024-03-14"
    kinds = [block["kind"] for block in article["blocks"]]
    assert kinds.count("caption") == 2 and kinds[0] == "caption"
    assert not article["blocks"][1]["text"].startswith("14-03-2024")
    assert all(block["kind"] != "heading" or block["thread"] is None for block in article["blocks"])


def test_title_and_format_options(runner, client):
    path = FIXTURES / "tram-fares.md"
    result = runner.invoke(
        args=["forum", "import", str(path), "--format", "markdown", "--title", "Fares, argued", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "Fares, argued"
    assert articles(client)[0]["title"] == "Fares, argued"


def test_without_json_it_says_what_it_made(runner):
    result = runner.invoke(args=["forum", "import", str(FIXTURES / "riverside-library.txt")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported article 1 ")
    assert "threads" in result.stdout


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"   \n\n \r\n", "empty"),
        (b"\x00\x01\x02binary\x00" * 20, "binary"),
        ("Titel\n\nEin Absatz über Straßen.\n".encode("latin-1"), "UTF-8"),
        (b"Only A Title\n\nA Heading\n\nAnother Heading\n", "paragraph"),
    ],
)
def test_bad_input_is_refused_and_leaves_nothing(runner, client, tmp_path, content, reason):
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    result = runner.invoke(args=["forum", "import", str(path), "--json"])
    assert result.exit_code != 0
    assert reason.lower() in result.stderr.lower()
    assert result.stdout == ""
    assert articles(client) == []


def test_over_the_size_limit(app, runner, client, tmp_path):
    app.config["FORUM_IMPORT_MAX_BYTES"] = 1_000
    path = tmp_path / "long.txt"
    path.write_text("A title\n\n" + "A sentence of the article. " * 100)
    result = runner.invoke(args=["forum", "import", str(path)])
    assert result.exit_code != 0 and "larger than" in result.stderr
    assert articles(client) == []


def test_a_missing_file(runner):
    result = runner.invoke(args=["forum", "import", "/nonexistent/article.txt"])
    assert result.exit_code != 0
    assert "Cannot read /nonexistent/article.txt" in result.stderr


def test_a_three_thousand_paragraph_article_imports_whole(runner, client, tmp_path):
    paragraphs = [f"Paragraph {n} says something arguable.[{n % 40 + 1}]" for n in range(3000)]
    path = tmp_path / "long.txt"
    path.write_text("A Long Article\n\n" + "\n\n".join(paragraphs) + "\n")
    result = runner.invoke(args=["forum", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["threads"], summary["citations"]) == (3000, 40)
    article = client.get(f"/api/v1/articles/{summary['id']}").json
    assert article["blocks"][-1]["text"] == "Paragraph 2999 says something arguable.[40]"
