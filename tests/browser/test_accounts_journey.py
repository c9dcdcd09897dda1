"""A visitor's first visit, in a real browser: register, sign out, sign in again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

NAME = "rosalind"
PASSWORD = "quiet harbour lantern 42"


@pytest.mark.browser
def test_visitor_registers_signs_out_and_signs_in_again(
    page: Page, live_server: str, console_errors: list[str]
):
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="Articles")).to_be_visible()
    account = page.get_by_role("navigation", name="Account")
    expect(account).not_to_contain_text("Signed in as")
    expect(page.locator('meta[name="csrf-token"]')).to_have_count(0)

    account.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Register")).to_be_visible()
    page.get_by_label("User name").fill(NAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()

    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_role("status")).to_contain_text(f"Welcome, {NAME}.")
    expect(account).to_contain_text(f"Signed in as {NAME}")
    csrf_meta = page.locator('meta[name="csrf-token"]')
    expect(csrf_meta).to_have_count(1)
    expect(csrf_meta).to_have_attribute("content", re.compile(r"\S{16,}"))

    account.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(account).not_to_contain_text("Signed in as")
    expect(page.locator('meta[name="csrf-token"]')).to_have_count(0)

    account.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill(NAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(live_server + "/")
    expect(account).to_contain_text(f"Signed in as {NAME}")
    expect(page.locator('meta[name="csrf-token"]')).to_have_count(1)
    assert console_errors == []
