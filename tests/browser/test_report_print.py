"""The printable report printed to PDF by Chromium, in A4 and Letter, and checked page by page as an image: no
page blank, nothing cut at the right edge; and axe finds nothing to fix on it."""

from __future__ import annotations

import io

import numpy
import pypdfium2
import pytest
from playwright.sync_api import Page

from tests.browser.showcase import make_showcase
from tests.browser.test_accessibility import violations

SIZES = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}  # points
# Chromium rounds a page to whole CSS pixels (0.75 point each): A4 comes out 595.5 x 842.25 points. A point and a
# half either way is well under what tells A4 from Letter (17 points across, 50 down).
SLACK = 1.5


@pytest.fixture
def site(live_server: str, database_url: str) -> dict[str, int]:
    return make_showcase(database_url)


def ink(pixels: numpy.ndarray) -> int:
    """How many of these grey pixels are not white."""
    return int((pixels < 200).sum())


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("paper", list(SIZES))
def test_the_report_prints_to_pdf_with_every_page_written_and_nothing_clipped(
    page: Page, live_server: str, site: dict[str, int], paper: str
):
    page.goto(f"{live_server}/articles/{site['article']}/report")
    assert violations(page) == []
    page.emulate_media(media="print")
    pdf = pypdfium2.PdfDocument(io.BytesIO(page.pdf(format=paper, print_background=False)))
    assert len(pdf) >= 1
    text = "".join(pdf[n].get_textpage().get_text_range() for n in range(len(pdf)))
    assert "A report of the debate on this article" in text
    for number in range(len(pdf)):
        sheet = pdf[number]
        width, height = sheet.get_size()
        expected = SIZES[paper]
        assert abs(width - expected[0]) <= SLACK and abs(height - expected[1]) <= SLACK, (width, height)
        pixels = sheet.render(scale=1, grayscale=True).to_numpy()  # a pixel a point, rows of grey values
        assert ink(pixels) > 500, f"page {number + 1} is blank"
        # The print margins are 14 mm (about 40 points) at each side: nothing is drawn in the last 20 points.
        assert ink(pixels[:, -20:]) == 0, f"page {number + 1} is clipped"
