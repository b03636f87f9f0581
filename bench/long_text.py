"""Long news texts written here, for measuring how enrichment cost grows with length.

A text is a run of wire-style paragraphs: datelines, quoted officials, organisations
defined with their acronym and named by it later, lists of towns, demonyms. The people
are invented from syllables, so a longer text names more distinct people, the way a long
report or a live blog does (a text that repeats twenty names hides any cost that grows
with the number of names); the places and international bodies are real. The same
length and seed give the same text.

    long_news_text(1_000_000)            # ~1 M characters in paragraphs
    long_news_text(300_000, lines=False)  # one line: no paragraph breaks at all
"""

from __future__ import annotations

import random

PLACES = (
    ("Lagos", "Nigeria", "Nigerian"), ("Nairobi", "Kenya", "Kenyan"),
    ("Accra", "Ghana", "Ghanaian"), ("Dakar", "Senegal", "Senegalese"),
    ("Cairo", "Egypt", "Egyptian"), ("Mumbai", "India", "Indian"),
    ("Dhaka", "Bangladesh", "Bangladeshi"), ("Jakarta", "Indonesia", "Indonesian"),
    ("Manila", "Philippines", "Filipino"), ("Hanoi", "Vietnam", "Vietnamese"),
    ("Osaka", "Japan", "Japanese"), ("Rotterdam", "Netherlands", "Dutch"),
    ("Hamburg", "Germany", "German"), ("Lyon", "France", "French"),
    ("Valencia", "Spain", "Spanish"), ("Porto", "Portugal", "Portuguese"),
    ("Lima", "Peru", "Peruvian"), ("Quito", "Ecuador", "Ecuadorian"),
    ("Montreal", "Canada", "Canadian"), ("Houston", "United States", "American"),
    ("Mosul", "Iraq", "Iraqi"), ("Kabul", "Afghanistan", "Afghan"),
    ("Karachi", "Pakistan", "Pakistani"), ("Bogota", "Colombia", "Colombian"),
)  # fmt: skip
TOWNS = (
    "Ikeja", "Abeokuta", "Machakos", "Thika", "Tema", "Kumasi", "Giza", "Alexandria",
    "Thane", "Pune", "Gazipur", "Bekasi", "Bogor", "Caloocan", "Haiphong", "Kobe", "Kyoto",
    "Delft", "Bremen", "Grenoble", "Alicante", "Braga", "Aveiro", "Callao", "Ibarra",
    "Laval", "Galveston", "Erbil", "Kirkuk", "Herat", "Hyderabad", "Medellin", "Cali",
)  # fmt: skip
BODIES = (
    ("World Health Organization", "WHO"), ("World Food Programme", "WFP"),
    ("International Monetary Fund", "IMF"), ("Food and Agriculture Organization", "FAO"),
    ("International Committee of the Red Cross", "ICRC"), ("African Union", "AU"),
    ("European Union", "EU"), ("United Nations Children's Fund", "UNICEF"),
)  # fmt: skip
SYLLABLES = (
    "ka", "lo", "mi", "ra", "to", "ne", "sa", "di", "ba", "ru", "ve", "zo", "fa", "li",
    "go", "he", "ja", "ko", "nu", "pe", "qi", "si", "ta", "wu", "yo", "mar", "len", "dor",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

SENTENCES = (
    "{CITY}, {country} — Officials in {city} said on {weekday} that roads to {town} and {town2} had reopened.",
    "\"We reached {town} before dawn,\" said {person}, who leads the emergency office in {city}.",
    "The {body} ({acronym}) said it had sent teams to {city} and to the districts of {town}, {town2} and {town3}.",
    "A spokesperson for the {acronym}, {person}, said supplies would last until {weekday}.",
    "{demonym} police said {number} people had been detained near {town}.",
    "{person} and {person2} met in {city} to discuss the budget, according to the ministry.",
    "Traders between {city} and {town} reported that lorries arrived less often this month.",
    "The {acronym} warned that prices across {country} could rise by {number} percent.",
    "Residents of {town} told {person} that the water had risen faster than expected.",
    "Engineers inspected bridges in {town2} on {weekday}, {person2} said.",
    "The mayor of {city}, {person}, promised a new rail line to {town}.",
    "Observers from the {body} said voting in {city} was orderly.",
)
PARAGRAPH_SENTENCES = (2, 6)


def long_news_text(chars: int, *, seed: int = 9, lines: bool = True) -> str:
    """About ``chars`` characters (never more) of news prose; one line when not ``lines``."""
    rng = random.Random(seed)
    paragraphs, length = [], 0
    while length < chars:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(*PARAGRAPH_SENTENCES)))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    text = ("\n\n" if lines else " ").join(paragraphs)
    return text[: text.rfind(" ", 0, chars)] if len(text) > chars else text


def _sentence(rng: random.Random) -> str:
    city, country, demonym = rng.choice(PLACES)
    town, town2, town3 = rng.sample(TOWNS, 3)
    body, acronym = rng.choice(BODIES)
    return rng.choice(SENTENCES).format(
        city=city, CITY=city.upper(), country=country, demonym=demonym,
        town=town, town2=town2, town3=town3, body=body, acronym=acronym,
        person=_person(rng), person2=_person(rng), weekday=rng.choice(WEEKDAYS),
        number=rng.randint(2, 900),
    )  # fmt: skip


def _person(rng: random.Random) -> str:
    return f"{_name(rng)} {_name(rng)}"


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
