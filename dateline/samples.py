"""Sample articles for `make demo`: written here, about real places, deterministic.

Each article is one story type (a flood, a port strike, an election ...) told about a real
city and its neighbours, with a dateline, quoted officials and the organisations such a
story names. The people are invented; the places and international bodies are real. A
fixed seed makes the same ~200 articles every run, spread over twelve weeks so that facets
and the histogram have something to show.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import Struct


class City(Struct, frozen=True):
    name: str
    country: str
    demonym: str
    neighbours: tuple[str, str]


CITIES = (
    City("Lagos", "Nigeria", "Nigerian", ("Ikeja", "Abeokuta")),
    City("Nairobi", "Kenya", "Kenyan", ("Machakos", "Thika")),
    City("Mombasa", "Kenya", "Kenyan", ("Malindi", "Kilifi")),
    City("Accra", "Ghana", "Ghanaian", ("Tema", "Kumasi")),
    City("Dakar", "Senegal", "Senegalese", ("Thiès", "Rufisque")),
    City("Cairo", "Egypt", "Egyptian", ("Giza", "Alexandria")),
    City("Mumbai", "India", "Indian", ("Thane", "Pune")),
    City("Chennai", "India", "Indian", ("Kanchipuram", "Vellore")),
    City("Dhaka", "Bangladesh", "Bangladeshi", ("Narayanganj", "Gazipur")),
    City("Kathmandu", "Nepal", "Nepali", ("Bhaktapur", "Lalitpur")),
    City("Jakarta", "Indonesia", "Indonesian", ("Bekasi", "Bogor")),
    City("Manila", "Philippines", "Filipino", ("Quezon City", "Caloocan")),
    City("Hanoi", "Vietnam", "Vietnamese", ("Haiphong", "Bac Ninh")),
    City("Osaka", "Japan", "Japanese", ("Kobe", "Kyoto")),
    City("Busan", "South Korea", "South Korean", ("Ulsan", "Changwon")),
    City("Rotterdam", "Netherlands", "Dutch", ("Dordrecht", "Delft")),
    City("Hamburg", "Germany", "German", ("Lübeck", "Bremen")),
    City("Lyon", "France", "French", ("Grenoble", "Saint-Étienne")),
    City("Marseille", "France", "French", ("Toulon", "Aix-en-Provence")),
    City("Valencia", "Spain", "Spanish", ("Alicante", "Castellón de la Plana")),
    City("Porto", "Portugal", "Portuguese", ("Braga", "Aveiro")),
    City("Gdańsk", "Poland", "Polish", ("Gdynia", "Sopot")),
    City("São Paulo", "Brazil", "Brazilian", ("Campinas", "Santos")),
    City("Lima", "Peru", "Peruvian", ("Callao", "Huacho")),
    City("Quito", "Ecuador", "Ecuadorian", ("Latacunga", "Ibarra")),
    City("Montreal", "Canada", "Canadian", ("Laval", "Longueuil")),
    City("Vancouver", "Canada", "Canadian", ("Burnaby", "Surrey")),
    City("Houston", "United States", "American", ("Galveston", "Pasadena")),
    City("New Orleans", "United States", "American", ("Baton Rouge", "Metairie")),
)

FIRST = ("Amara", "Daniel", "Leila", "Tomás", "Mei", "Kwame", "Sofia", "Arjun", "Hana", "Lucas",
         "Nadia", "Omar", "Ingrid", "Rafael", "Yuki", "Chidi", "Elena", "Farid", "Grace", "Pablo")
LAST = ("Okafor", "Reyes", "Haddad", "Silva", "Tanaka", "Mensah", "Novak", "Iyer", "Kim", "Moreau",
        "Bakker", "Costa", "Nguyen", "Schmidt", "Diallo", "Rahman", "Alvarez", "Kowalski", "Sato", "Brennan")
SOURCES = ("coastwire.example", "dailyledger.example", "metroherald.example", "globalpost.example",
           "riverside-times.example")


class Story(Struct, frozen=True):
    kind: str
    titles: tuple[str, ...]
    paragraphs: tuple[str, ...]


STORIES = (
    Story("flood", (
        "Floods cut roads around {city} after record rainfall",
        "{city} residents count losses as floodwaters recede",
    ), (
        "{CITY}, {country} — Heavy rain flooded low-lying districts of {city} overnight, cutting the main road to {n1} and forcing hundreds of families from their homes, officials said on {weekday}.",
        "\"The water rose faster than anyone expected,\" said {person1}, who leads the city's emergency response office. \"Our teams reached {n2} only after the bridge reopened in the afternoon.\"",
        "The {demonym} Red Cross opened four shelters and said it was distributing drinking water and blankets. The World Meteorological Organization warned that more rain was likely across {country} this week.",
        "Farmers between {city} and {n2} reported flooded fields, and the regional water authority said reservoirs were close to capacity.",
    )),
    Story("port", (
        "Dock workers strike at the port of {city}",
        "Cargo piles up in {city} as port strike enters second day",
    ), (
        "{CITY}, {country} — Dock workers at the port of {city} walked off the job on {weekday} in a dispute over night-shift pay, leaving container ships waiting at anchor.",
        "{person1}, a spokesperson for the port authority, said talks with the union would resume in {n1}. The union's negotiator, {person2}, said members would \"stay out until the offer changes.\"",
        "Freight companies rerouted some cargo to {n2}. The World Trade Organization has warned that disruptions at busy ports quickly raise shipping costs for importers across the region.",
        "Trucks queued for several kilometres on the ring road around {city}, police said.",
    )),
    Story("election", (
        "{city} votes for a new mayor in a tight race",
        "High turnout as {city} elects its council",
    ), (
        "{CITY}, {country} — Voters in {city} lined up before dawn on {weekday} to choose a new mayor, with polls showing {person1} and {person2} almost level.",
        "Housing costs and public transport dominated the campaign. {person1} promised a tram line to {n1}; {person2} pledged to freeze local taxes.",
        "Election observers from the European Union and local monitoring groups said voting was orderly. Results from outlying districts near {n2} were expected after midnight.",
        "\"People here want to see the city work again,\" said {person3}, a teacher who voted in the old town.",
    )),
    Story("heat", (
        "Heatwave grips {city} as hospitals report rise in admissions",
        "{city} opens cooling centres in record heat",
    ), (
        "{CITY}, {country} — Temperatures in {city} passed 40 degrees Celsius on {weekday}, and hospitals reported a sharp rise in heat-related admissions.",
        "The World Health Organization urged older people to stay indoors during the afternoon. City officials opened cooling centres in libraries and schools, including three in {n1}.",
        "{person1}, a doctor at the main public hospital, said most patients were elderly or outdoor workers. \"Drink water before you are thirsty,\" she said.",
        "The {demonym} weather service said relief was unlikely before the weekend, with {n2} expected to be even hotter.",
    )),
    Story("transit", (
        "New metro line links {city} and {n1}",
        "{city} opens long-delayed rail link",
    ), (
        "{CITY}, {country} — The first trains on a new line between {city} and {n1} carried passengers on {weekday}, two years later than planned.",
        "Transport minister {person1} said the line would cut the commute to forty minutes. The project was financed in part by a loan from the World Bank.",
        "{person2}, who commutes daily from {n1}, called the opening \"a small miracle.\" Critics said stations in {n2} were still missing from the plan.",
        "Engineers from the national rail company will run reduced services for the first month while signalling is tested.",
    )),
    Story("startup", (
        "{city} start-up raises funds to expand across {country}",
        "Tech firms from {city} draw investors",
    ), (
        "{CITY}, {country} — A logistics start-up founded in {city} said on {weekday} it had raised new funding to expand to {n1} and {n2}.",
        "Chief executive {person1} said the company would double its staff. \"{demonym} businesses are ready to move faster,\" she said.",
        "The round was led by a regional investment fund with participation from the International Finance Corporation, the private-sector arm of the World Bank.",
        "Analyst {person2} said investors were increasingly looking beyond capital cities.",
    )),
    Story("football", (
        "{city} celebrates late winner in derby",
        "Fans pour into the streets of {city} after cup win",
    ), (
        "{CITY}, {country} — Thousands of fans filled the centre of {city} on {weekday} night after a stoppage-time goal by {person1} won the cup final.",
        "The side beat rivals from {n1} 2-1. Coach {person2} said the team \"never stopped believing.\"",
        "Police said the celebrations were peaceful. Supporters travelled from as far as {n2} to watch the match on giant screens.",
        "The win earns the club a place in continental competition next season.",
    )),
    Story("quake", (
        "Earthquake shakes {city}; minor damage reported",
        "{city} holds evacuation drill after tremor",
    ), (
        "{CITY}, {country} — A moderate earthquake shook {city} early on {weekday}, cracking walls in older buildings and briefly cutting power to parts of {n1}.",
        "Seismologist {person1} said the quake was centred about 30 kilometres from {n2} at a shallow depth.",
        "No deaths were reported. The United Nations Office for the Coordination of Humanitarian Affairs said it was in contact with {demonym} authorities.",
        "Schools in {city} held evacuation drills later in the day, and engineers began inspecting bridges.",
    )),
    Story("market", (
        "Food prices climb in {city} markets",
        "Vendors in {city} say costs are squeezing customers",
    ), (
        "{CITY}, {country} — Prices of rice, cooking oil and vegetables rose again at markets in {city} this month, vendors and shoppers said on {weekday}.",
        "\"I buy half of what I bought last year,\" said {person1}, a mother of three shopping in the central market.",
        "The Food and Agriculture Organization said poor harvests and higher transport costs were pushing up prices across {country}. Traders said lorries from {n1} and {n2} were arriving less often.",
        "Economist {person2} expects prices to ease after the next harvest.",
    )),
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LATEST = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def sample_articles(count: int = 200, seed: int = 20261124) -> list[dict[str, Any]]:
    """``count`` ArticleIn-shaped dicts, the same ones for the same seed."""
    rng = random.Random(seed)
    told: set[tuple[str, str]] = set()
    return [_article(rng, n, told) for n in range(count)]


def _article(rng: random.Random, n: int, told: set[tuple[str, str]]) -> dict[str, Any]:
    # each headline once while there are new ones (29 cities x 9 stories x 2 titles)
    while True:
        city, story = rng.choice(CITIES), rng.choice(STORIES)
        title = rng.choice(story.titles)
        if (city.name, title) not in told or len(told) >= len(CITIES) * len(STORIES) * 2:
            break
    told.add((city.name, title))
    published = LATEST - timedelta(days=rng.randrange(84), minutes=rng.randrange(1440))
    people = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(3)]
    slots = {
        "city": city.name, "CITY": city.name.upper(), "country": city.country,
        "demonym": city.demonym, "n1": city.neighbours[0], "n2": city.neighbours[1],
        "weekday": WEEKDAYS[published.weekday()],
        "person1": people[0], "person2": people[1], "person3": people[2],
    }
    source = rng.choice(SOURCES)
    slug = f"{story.kind}-{city.name.lower().replace(' ', '-')}-{n}"
    return {
        "url": f"https://{source}/{published:%Y/%m/%d}/{slug}",
        "title": title.format(**slots),
        "text": "\n\n".join(p.format(**slots) for p in story.paragraphs),
        "published_at": published.isoformat(),
        "source": source,
        "language": "en",
        "authors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}"],
    }
