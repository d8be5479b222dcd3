"""The console as its users use it, in Chromium: customer service, identity admins, marketers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from playwright.sync_api import expect

from tests.console.conftest import Console, Visit

LI_WEI_PHONE = "13800138001"
ZHANG_MIN_PHONE = "13912345678"


def _sign_in(visit: Visit, link: str) -> Any:
    page = visit.page
    page.goto(link)
    expect(page.locator("#lookup-query")).to_be_visible()
    return page


def _look_up(page: Any, text: str) -> None:
    page.fill("#lookup-query", text)
    page.click("#lookup-submit")
    expect(page.locator("#one-id")).to_be_visible()


def test_printed_link_signs_in_once_and_service_finds_a_consumer_by_phone_masked(
    console: Console, open_page: Any
) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "profilegraph", "console-link", "--role", "service", "--url", console.url],
        env=console.graph.cli_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed.startswith(f"{console.url}/console/#sign-in=")

    visit = open_page()
    page = _sign_in(visit, printed)
    assert "sign-in=" not in page.url  # the ticket is taken out of the address at once
    expect(page.locator("#caller")).to_contain_text("service")
    _look_up(page, "+86 138-0013-8001")  # any spelling of the phone

    expect(page.locator("#one-id")).to_have_text(console.one_id_of("PHONE", LI_WEI_PHONE))
    identifiers = page.locator("#identifiers-table")
    expect(identifiers).to_contain_text("138****8001")
    expect(identifiers).to_contain_text("l***@example.com")
    assert LI_WEI_PHONE not in page.content()
    assert "liwei@example.com" not in page.content()
    expect(page.locator("#timeline")).to_contain_text("SO-1001-4")
    expect(page.locator("#timeline")).to_contain_text("Campaign Autumn tea: clicked")
    # the stage moves with the date (the sample's events are dated): the page shows what the API says
    stage = console.graphql(
        "query($v: String!) { profileByIdentifier(type: PHONE, value: $v) { lifecycle { stage } } }",
        {"v": LI_WEI_PHONE},
    )["profileByIdentifier"]["lifecycle"]["stage"]
    expect(page.locator("#value")).to_contain_text(stage)
    # What only admins may do is not offered to customer service.
    expect(page.locator("a[data-route=admin]")).to_have_count(0)
    expect(page.locator("#merge")).to_have_count(0)
    expect(page.locator("#unmask")).to_have_count(0)

    second = open_page().page
    second.goto(printed)
    expect(second.locator("#sign-in-error")).to_contain_text("used already")


def test_lookup_by_order_number_email_and_member_id(console: Console, open_page: Any) -> None:
    page = _sign_in(open_page(), console.sign_in_link("service"))
    li_wei = console.one_id_of("PHONE", LI_WEI_PHONE)
    for typed in ("SO-1001-2", "  LiWei@example.COM ", "M1001"):
        page.goto(f"{console.url}/console/#/lookup")
        _look_up(page, typed)
        expect(page.locator("#one-id")).to_have_text(li_wei)
    page.goto(f"{console.url}/console/#/lookup")
    page.fill("#lookup-query", "nobody-at-all")
    page.click("#lookup-submit")
    expect(page.locator("#lookup-none")).to_contain_text("nobody-at-all")


def test_show_unmasked_asks_a_reason_that_goes_into_the_audit(console: Console, open_page: Any) -> None:
    page = _sign_in(open_page(), console.sign_in_link("service", "pii:read", subject="agent-7"))
    _look_up(page, LI_WEI_PHONE)
    expect(page.locator("#identifiers-table")).to_contain_text("138****8001")  # masked until asked

    page.click("#unmask")
    page.click("#dialog-confirm")  # no reason given: refused in the page
    expect(page.locator("#dialog-error")).not_to_be_empty()
    page.fill("#dialog-reason", "caller verified, ticket 4711")
    page.click("#dialog-confirm")
    expect(page.locator("#unmasked-banner")).to_contain_text("ticket 4711")
    expect(page.locator("#identifiers-table")).to_contain_text("+8613800138001")

    entries = console.graphql(
        '{ auditLog(action: "read_unmasked", first: 20) { edges { node { actor reason oneIds } } } }'
    )
    reads = [edge["node"] for edge in entries["auditLog"]["edges"] if edge["node"]["actor"] == "agent-7"]
    assert reads
    assert reads[0]["reason"] == "caller verified, ticket 4711"
    assert console.one_id_of("PHONE", LI_WEI_PHONE) in reads[0]["oneIds"]


def test_what_was_recorded_only_on_the_family_tablet_shows_apart_on_each_members_profile(
    console: Console, open_page: Any
) -> None:
    page = _sign_in(open_page(), console.sign_in_link("service"))
    for typed in ("13700001111", "136 0000 2222"):  # Wang Fang, then Chen Jie: both use TABLET-HOME-7
        page.goto(f"{console.url}/console/#/lookup")
        _look_up(page, typed)
        shared = page.locator("#shared-activity")
        expect(shared).to_contain_text("On shared devices")
        expect(shared).to_contain_text("1 of 1 shown")
        expect(shared.locator("li")).to_have_count(1)
        expect(shared.locator("li")).to_contain_text("c-gift")  # the view nobody was signed in for
        expect(page.locator("#timeline")).not_to_contain_text("c-gift")  # not among their own facts

    page.goto(f"{console.url}/console/#/lookup")
    _look_up(page, LI_WEI_PHONE)  # never used the tablet
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#shared-activity")).to_have_count(0)


def test_admin_sees_the_graph_and_explains_two_identifiers(console: Console, open_page: Any) -> None:
    page = _sign_in(open_page(), console.sign_in_link("admin"))
    _look_up(page, "13700001111")  # Wang Fang, who shares a family tablet with Chen Jie
    graph = page.locator("#graph")
    expect(graph.locator("canvas").first).to_be_visible()  # drawn by Cytoscape.js
    buttons = page.locator("#graph-nodes button")
    expect(buttons.filter(has_text="household device")).to_have_count(1)
    expect(buttons.filter(has_text="member_id:")).to_have_count(1)  # Chen Jie's card: a neighbour

    buttons.filter(has_text="phone:137").click()
    buttons.filter(has_text="email:").click()
    expect(page.locator("#explanation h3")).to_contain_text("Linked")

    buttons.filter(has_text="email:").click()  # unpick
    buttons.filter(has_text="member_id:").click()
    explanation = page.locator("#explanation")
    expect(explanation.locator("h3")).to_contain_text("Not linked")
    expect(explanation).to_contain_text("household")


def test_admin_merges_and_splits_and_the_retired_one_id_redirects(console: Console, open_page: Any) -> None:
    li_wei = console.one_id_of("PHONE", LI_WEI_PHONE)
    zhang_min = console.one_id_of("PHONE", ZHANG_MIN_PHONE)
    page = _sign_in(open_page(), console.sign_in_link("admin", "pii:read"))
    _look_up(page, LI_WEI_PHONE)

    page.click("#merge")
    page.fill("#merge-with", zhang_min)
    expect(page.locator("#dialog-change")).to_contain_text(f"{li_wei} and {zhang_min}")
    page.fill("#dialog-reason", "same person, confirmed by phone")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("merged into")
    survivor = page.locator("#one-id").inner_text()
    assert survivor in {li_wei, zhang_min}
    expect(page.locator("#history")).to_contain_text("same person, confirmed by phone")

    # The retired OneID, looked up, shows the survivor with a note.
    retired = zhang_min if survivor == li_wei else li_wei
    page.goto(f"{console.url}/console/#/lookup")
    _look_up(page, retired)
    expect(page.locator("#redirected")).to_contain_text(retired)
    expect(page.locator("#one-id")).to_have_text(survivor)

    page.click("#unmask")
    page.fill("#dialog-reason", "split review")
    page.click("#dialog-confirm")
    expect(page.locator("#identifiers-table")).to_contain_text("+8613912345678")
    page.click("#split")
    for text in ("phone:+8613912345678", "alipay_uid:2088000011112222", "member_id:M1002"):
        page.locator("#split-choices label", has_text=text).locator("input").check()
    page.fill("#dialog-reason", "merged by mistake")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("split into 2 profiles")
    expect(page.locator("#identifiers-table")).not_to_contain_text("+8613912345678")
    assert console.one_id_of("PHONE", ZHANG_MIN_PHONE) != console.one_id_of("PHONE", LI_WEI_PHONE)


def test_a_service_token_trying_an_admin_action_sees_forbidden(console: Console, open_page: Any) -> None:
    li_wei = console.one_id_of("PHONE", LI_WEI_PHONE)
    zhang_min = console.one_id_of("PHONE", ZHANG_MIN_PHONE)
    page = _sign_in(open_page(), console.sign_in_link("service"))
    page.goto(f"{console.url}/console/#/admin")  # not in a service agent's navigation, but reachable
    expect(page.locator("#notice")).to_contain_text("FORBIDDEN")
    page.fill("#admin-merge-a", li_wei)
    page.fill("#admin-merge-b", zhang_min)
    page.click("#admin-merge button[type=submit]")
    page.fill("#dialog-reason", "trying")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("FORBIDDEN")
    assert console.one_id_of("PHONE", LI_WEI_PHONE) != console.one_id_of("PHONE", ZHANG_MIN_PHONE)


def test_marketer_sees_the_value_map_and_builds_an_audience_with_a_live_count(console: Console, open_page: Any) -> None:
    snapshot = [sys.executable, "-m", "profilegraph", "clv", "snapshot"]
    subprocess.run(snapshot, env=console.graph.cli_env(), capture_output=True, check=True)
    page = _sign_in(open_page(), console.sign_in_link("service"))
    page.click("a[data-route=values]")
    expect(page.locator("#clv-histogram")).to_be_visible()
    expect(page.locator("#history-chart")).to_be_visible()  # the value map over time, from the snapshot
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    expect(page.locator("#stage-chart")).to_be_visible()
    value_map = console.graphql("{ valueMap(buckets: [0, 100]) { customers stages { name count } } }")["valueMap"]
    expect(page.locator("#value-customers")).to_have_text(str(value_map["customers"]))
    stage_rows = page.locator("#stages-table tbody tr")
    expect(stage_rows).to_have_count(len(value_map["stages"]))

    page.click("a[data-route=audiences]")
    everyone = console.graphql("{ profiles { totalCount } }")["profiles"]["totalCount"]
    expect(page.locator("#audience-count")).to_have_text(f"{everyone} consumers")
    page.select_option("#aud-stage", "POTENTIAL")
    potential = console.graphql("{ profiles(filter: {stage: POTENTIAL}) { totalCount } }")["profiles"]["totalCount"]
    assert 0 < potential < everyone
    expect(page.locator("#audience-count")).to_have_text(f"{potential} consumers")
    page.fill("#aud-name", "leads")
    page.click("#aud-save")
    expect(page.locator("#saved-audiences")).to_contain_text("leads")


def test_chinese_browsers_get_chinese_text(console: Console, open_page: Any) -> None:
    page = _sign_in(open_page(locale="zh-CN"), console.sign_in_link("service"))
    expect(page.locator("a[data-route=lookup]")).to_have_text("查询")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    _look_up(page, LI_WEI_PHONE)
    expect(page.locator("#identifiers h2")).to_have_text("标识")


def test_usable_on_a_tablet_and_at_1280_px(console: Console, open_page: Any) -> None:
    for width, height in ((1280, 800), (820, 1180)):
        page = _sign_in(open_page(width=width, height=height), console.sign_in_link("admin"))
        _look_up(page, LI_WEI_PHONE)
        expect(page.locator("#graph canvas").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"


def test_a_profile_still_loading_for_a_page_left_does_not_replace_the_page_shown(
    console: Console, open_page: Any
) -> None:
    page = _sign_in(open_page(), console.sign_in_link("admin"))
    _look_up(page, LI_WEI_PHONE)
    held: list[Any] = []

    def hold_profile_reads(route: Any) -> None:
        if "query Profile(" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_profile_reads)
    page.locator("#identifiers-table tbody tr", has_text="POS-55001").get_by_role("button", name="Block").click()
    page.fill("#dialog-reason", "card reported stolen")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("pos_card:POS-55001 is now blocked")
    page.wait_for_function("() => document.querySelector('#view > p') !== null")  # the reload has begun
    assert held, "the profile's reload after the block was not seen"

    page.click("a[data-route=admin]")
    expect(page.locator("#admin-unblock")).to_be_visible()
    with page.expect_response(lambda response: response.request in [route.request for route in held]):
        for route in held:
            route.continue_()
    page.evaluate("() => new Promise((settled) => setTimeout(settled, 100))")  # the late answer is drawn
    expect(page.locator("#admin-unblock")).to_be_visible()
    expect(page.locator("#one-id")).to_have_count(0)


def test_admin_blocks_and_unblocks_an_identifier_with_a_reason(console: Console, open_page: Any) -> None:
    page = _sign_in(open_page(), console.sign_in_link("admin"))
    _look_up(page, LI_WEI_PHONE)
    row = page.locator("#identifiers-table tbody tr", has_text="POS-55001")
    row.get_by_role("button", name="Block").click()
    expect(page.locator("#dialog-change")).to_contain_text("never link anything again")
    page.fill("#dialog-reason", "card reported stolen")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("pos_card:POS-55001 is now blocked")
    expect(row).to_have_count(0)  # a blocked identifier belongs to no profile

    page.click("a[data-route=admin]")
    page.fill("#admin-identifier", "pos_card:POS-55001")
    page.click("#admin-unblock")
    page.fill("#dialog-reason", "card found")
    page.click("#dialog-confirm")
    expect(page.locator("#notice")).to_contain_text("pos_card:POS-55001 is now active")
    page.goto(f"{console.url}/console/#/lookup")
    _look_up(page, LI_WEI_PHONE)
    expect(row).to_contain_text("active")
    entries = console.graphql("{ auditLog(first: 5) { edges { node { action reason } } } }")["auditLog"]["edges"]
    assert [(e["node"]["action"], e["node"]["reason"]) for e in entries[:2]] == [
        ("unblock", "card found"),
        ("block", "card reported stolen"),
    ]
