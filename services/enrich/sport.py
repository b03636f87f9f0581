"""Whether a story is about sport: the one kind of story in which a town's name read as an
organisation is mostly an organisation, its team ("Karlsruhe beat Bochum 2-0").

Elsewhere such a name is the town: OntoNotes, the scheme of the English model's labels,
tags a town or a country standing for its government or people ("Bonn said") as a place
too, and so does CoNLL-2003.

A story is about sport when it names a sport or a word only sport uses (a striker, an
innings, a semifinal), or gives a match's score ("2-1"). Words that other news uses as
well stay out: a team, a goal, a final, a league, fans, a club, a victory, "beat".
"""

from __future__ import annotations

import re

SPORT_WORDS = frozenset(
    {"soccer", "football", "rugby", "cricket", "tennis", "baseball", "basketball", "hockey",
     "golf", "athletics", "cycling", "boxing", "squash",
     "coach", "coached", "coaching", "striker", "midfielder", "goalkeeper", "referee",
     "batsman", "bowler", "innings", "wicket", "wickets", "halftime", "half-time",
     "qualifier", "qualifiers", "semifinal", "semifinals", "semi-final", "semi-finals",
     "quarterfinal", "quarterfinals", "quarter-final", "quarter-finals", "playoff",
     "playoffs", "play-off", "play-offs", "standings", "stadium", "tournament",
     "championship", "championships", "olympic", "olympics"}
)  # fmt: skip
_ANY_SPORT_WORD = "|".join(sorted(SPORT_WORDS, key=len, reverse=True))
_SPORT_WORD = re.compile(rf"(?<![\w-])(?:{_ANY_SPORT_WORD})(?![\w-])", re.IGNORECASE)
# Two small numbers joined by a hyphen, not part of a date, a time or a longer figure
# ("1996-08-30", "10:30-11:45", "1.5-2.0"); a full stop may end the sentence ("won 2-0.").
_MATCH_SCORE = re.compile(r"(?<![\d:/-])(?<!\d[.,])\d{1,2}-\d{1,2}(?![\d:/-]|[.,]\d)")


def about_sport(*texts: str) -> bool:
    """Whether any of ``texts`` (a story's headline, its text) is about sport."""
    return any(_MATCH_SCORE.search(text) or _SPORT_WORD.search(text) for text in texts)
