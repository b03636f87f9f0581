"""Publisher boilerplate: found by line shape and position, never by the story's own lines."""

from __future__ import annotations

from services.enrich.boilerplate import (
    boilerplate_regions,
    publisher_key,
    title_boilerplate,
    without_boilerplate,
)

PLAYER = "Dutch Troops Reinforce Dikes Near Rotterdam\nLoading video\n\n0:00 / 2:14\n\n"
STORY = (
    "Soldiers reinforced dikes along the Maas on Tuesday as the river kept rising, "
    "the Dutch defence ministry said.\n\n"
    "Residents of Dordrecht were told to move their cars to higher ground before nightfall.\n\n"
)
SIGN_OFF = "With reporting by Reuters and ANP\n"
FOOTER = (
    "Harbour Radio journalists report the news in 12 languages across Europe.\n\n"
    "If you live in Belgium, please note that our app may not be available to you.\n\n"
    "To learn more, click here.\n"
)


def marked(text: str, source: str = "") -> list[str]:
    return [text[start:end] for start, end in boilerplate_regions(text, source)]


def test_a_media_player_and_its_title_are_boilerplate_but_not_the_story():
    text = PLAYER + STORY
    assert marked(text) == [
        "Dutch Troops Reinforce Dikes Near Rotterdam",
        "Loading video",
        "0:00 / 2:14",
    ]


def test_everything_after_the_wire_sign_off_is_the_pages_footer_and_the_sign_off_is_kept():
    text = STORY + SIGN_OFF + FOOTER
    found = marked(text)
    assert found[0].startswith("Harbour Radio journalists report")
    assert found[-1] == "To learn more, click here."
    assert not any("Reuters" in line or "Dordrecht" in line for line in found)


def test_without_a_sign_off_trailing_notes_are_found_by_who_speaks_and_who_is_named():
    text = STORY + FOOTER
    found = marked(text, source="www.harbourradio.eu")
    assert found == [line for line in FOOTER.splitlines() if line]


def test_a_last_paragraph_naming_the_publisher_is_still_story():
    text = STORY + "Harbour Radio's reporter in Dordrecht counted 40 boats on the flooded square.\n"
    assert marked(text, source="harbourradio.eu") == []


def test_a_quote_addressing_the_reader_is_not_a_publisher_note():
    text = STORY + '"If you stay, we cannot help you," the mayor told residents.\n'
    assert marked(text) == []


def test_a_short_copyright_line_is_boilerplate_a_paragraph_mentioning_copyright_is_not():
    long_paragraph = (
        "The museum in Delft said the flood damaged paintings whose copyright belongs to the "
        "heirs of a local artist, and that restorers from Leiden would assess them next week "
        "together with insurers from Amsterdam and experts sent by the city council."
    )
    text = STORY + long_paragraph + "\n\n© 2026 Harbour Radio. All rights reserved.\n"
    assert marked(text) == ["© 2026 Harbour Radio. All rights reserved."]


def test_a_plain_story_has_no_boilerplate():
    assert marked(STORY) == []
    assert marked("") == []


def test_the_publisher_key_is_the_name_in_the_host_or_the_name_given():
    assert publisher_key("www.harbourradio.eu") == "harbourradio"
    assert publisher_key("https://news.bbc.co.uk/world") == "bbc"
    assert publisher_key("edition.cnn.com") == "cnn"
    assert publisher_key("RFE/RL") == "rferl"
    assert publisher_key("") == ""


def test_blanking_boilerplate_keeps_every_offset_of_the_story():
    text = PLAYER + STORY + SIGN_OFF + FOOTER
    story = without_boilerplate(text, boilerplate_regions(text))
    assert len(story) == len(text)
    start = text.index("Dordrecht")
    assert story[start : start + 9] == "Dordrecht"
    assert "Rotterdam" not in story and "Harbour Radio" not in story
    assert story.count("\n") == text.count("\n")


def test_the_publishers_name_after_a_headline_is_boilerplate():
    source = "www.harbourradio.eu"
    title = "Dikes hold in Dordrecht | Harbour Radio"
    assert [title[s:e] for s, e in title_boilerplate(title, source)] == [" | Harbour Radio"]
    title = "Harbour Radio — Dikes hold in Dordrecht - Europe"
    assert [title[s:e] for s, e in title_boilerplate(title, source)] == ["Harbour Radio — "]
    assert title_boilerplate("Harbour Radio wins an award for its flood coverage", source) == []
    assert title_boilerplate("Dikes hold | Dordrecht", "") == []


def test_a_dateline_and_a_table_of_results_are_story_not_widgets():
    text = (
        "BELGRADE 1996-08-30\n"
        "Results of the basketball tournament on Friday:\n"
        "Partizan 92 Red Star 85\n"
        "7-6 (7-1) 6-2\n"
        "Standings: Partizan 6 points, Red Star 4\n"
    )
    assert marked(text) == ["7-6 (7-1) 6-2"]  # bare figures are no one's name
