"""The printable report printed to PDF by Chromium, in A4 and Letter, and checked page by page as an image: no
page blank, nothing cut at the right edge; and axe finds nothing to fix on it."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from playwright.sync_api import Page

from tests.browser.showcase import make_showcase
from tests.browser.test_accessibility import violations

SIZES = {"A4": (595, 842), "Letter": (612, 792)}  # points


@pytest.fixture
def site(live_server: str, database_url: str) -> dict[str, int]:
    return make_showcase(database_url)


def ink(image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in `box` are not white."""
    region = image.crop(box).convert("L")
    return sum(1 for value in region.getdata() if value < 200)


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
        assert (round(width), round(height)) == SIZES[paper]
        image = sheet.render(scale=1).to_pil()
        assert ink(image, (0, 0, image.width, image.height)) > 500, f"page {number + 1} is blank"
        # The print margins are 14 mm (about 40 points) at each side: nothing is drawn in the last 20 points.
        assert ink(image, (image.width - 20, 0, image.width, image.height)) == 0, f"page {number + 1} is clipped"
