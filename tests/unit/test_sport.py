from services.enrich.sport import about_sport


def test_a_story_naming_a_sport_or_a_word_only_sport_uses_is_about_sport():
    for headline, text in [
        ("SOCCER - LENTINI MOVES TO ATALANTA", "Lentini joined Milan from Torino."),
        ("Lentini moves to Atalanta", "His former coach at Torino welcomed him."),
        ("Yorkshire v Essex", "Yorkshire were 290 all out in their first innings."),
        ("Quarter-finals", "Results of the Hong Kong Open quarter-finals."),
    ]:
        assert about_sport(headline, text), text


def test_a_match_score_is_about_sport_a_date_a_time_or_a_figure_is_not():
    assert about_sport("", "Karlsruhe beat Bochum 2-0 on Saturday.")
    assert about_sport("", "Graf beat Zvereva 6-4 6-2.")
    assert about_sport("England beat Moldova 2-0", "")
    for text in (
        "NEW YORK 1996-08-30",
        "The meeting ran from 10:30-11:45.",
        "Shares rose 1.5-2.0 percent.",
        "Firms with 100-200 staff.",
    ):
        assert not about_sport("", text), text


def test_words_other_news_uses_as_well_are_not_about_sport():
    text = (
        '"Our teams reached Kilifi," she said. Its goal is a final deal; the Arab League, '
        "the Paris Club and fans of the plan welcomed the victory, which beat forecasts."
    )
    assert not about_sport("Floods cut roads around Mombasa", text)
