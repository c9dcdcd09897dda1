"""A process killed in the middle of an import leaves no article behind."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DYING_IMPORT = """
import os, sys
from forum.services import article_storage

stored = article_storage.import_article

def store_then_die(*args, **kwargs):
    article = stored(*args, **kwargs)  # every block is written, in the open transaction
    os.write(1, f"stored {len(article.blocks)}\\n".encode())  # past the CLI runner's capture
    os._exit(9)  # killed before the commit, as by the OOM killer or a power cut

article_storage.import_article = store_then_die

from wsgi import create_app

app = create_app({"SECRET_KEY": "x", "FORUM_DATABASE_URL": sys.argv[1]})
app.test_cli_runner().invoke(args=["forum", "import", sys.argv[2]])
print("not reached", flush=True)
"""


def test_a_killed_import_leaves_nothing(database_url, client, tmp_path):
    article = tmp_path / "long.txt"
    article.write_text("A Long Article\n\n" + "\n\n".join(f"Paragraph {n}.[1]" for n in range(500)))
    result = subprocess.run(
        [sys.executable, "-c", DYING_IMPORT, database_url, str(article)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 9, result.stderr
    assert "stored 500" in result.stdout and "not reached" not in result.stdout
    assert client.get("/api/v1/articles").json["articles"] == []
