"""The search journey of issue 18, in Chromium against the real app and the sandbox seed: an agent finds a
person by typing their phone number in another format than it was stored in, sees the hit grouped under
Person with the matched number, narrows by the type facet, and opens the record; screenshots per step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser


def test_an_agent_finds_a_person_by_typing_their_phone_in_another_format(new_page, seeded):
    (target,) = seeded.query("""
        MATCH (u:User {username: 'agent_garcia'})
        MATCH (p:Person {owner_uid: u.uid})-[:USES_PHONE {status: 'active'}]->(ph:Phone)
        WHERE coalesce(p.deleted, false) = false AND ph.e164 STARTS WITH '+1'
        RETURN p.uid AS uid, p.family_name AS family, ph.e164 AS e164
        ORDER BY p.uid LIMIT 1""")
    digits = target["e164"][2:]
    typed = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"

    page = new_page()
    page.set_default_timeout(90_000)  # a search on a loaded machine may take seconds
    page.set_default_navigation_timeout(90_000)
    sign_in(page, "agent_garcia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.get_by_label(re.compile("^Words to find")).fill(typed)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile(r"results? for"))).to_be_visible()
    persons = page.locator("section.group", has=page.locator("#g-Person"))
    link = f'a[href="/records/{target["uid"]}"]'
    expect(persons.locator(link)).to_be_visible()
    expect(persons.locator(".search-hit", has=page.locator(link)).locator(".snippet")).to_contain_text(f"phone {target['e164']}")
    shot(page, "12-search-phone-other-format")

    page.locator("ul.facet-type").get_by_role("link", name="Person", exact=True).click()
    expect(page).to_have_url(re.compile(r"type=Person"))
    expect(page.locator("section.group")).to_have_count(1)
    shot(page, "12-search-phone-person-facet")

    page.locator(f'section.group a[href="/records/{target["uid"]}"]').click()
    expect(page).to_have_url(re.compile(rf"/records/{target['uid']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(target["family"])
