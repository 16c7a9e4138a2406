"""English and French vocabulary of the chat assistant.

Every phrase is written in the folded form ``normalize`` produces: lower case, no accents,
apostrophes and hyphens turned into spaces ("film d'horreur" -> "film d horreur", "sci-fi" ->
"sci fi"). The parser matches them longest first, so "comedie musicale" beats "comedie".

Genre ids are TMDb's. Keywords are TMDb keyword names (discover resolves them to ids and ORs them),
chosen among the ones the offline catalog has too. Moods map to one genre where one fits, because
several mood genres combined with ALL would match almost nothing; keywords are used where a
genre would be too broad (mind-bending) since every keyword narrows the result a lot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

# TMDb movie genre ids.
ACTION, ADVENTURE, ANIMATION, COMEDY, CRIME, DOCUMENTARY, DRAMA = 28, 12, 16, 35, 80, 99, 18
FAMILY, FANTASY, HISTORY, HORROR, MUSIC, MYSTERY, ROMANCE = 10751, 14, 36, 27, 10402, 9648, 10749
SCIFI, TV_MOVIE, THRILLER, WAR, WESTERN = 878, 10770, 53, 10752, 37

# id -> (English name, French name), as TMDb (and the offline catalog) name them.
GENRE_NAMES: Final[dict[int, tuple[str, str]]] = {
    ACTION: ("Action", "Action"),
    ADVENTURE: ("Adventure", "Aventure"),
    ANIMATION: ("Animation", "Animation"),
    COMEDY: ("Comedy", "Comédie"),
    CRIME: ("Crime", "Crime"),
    DOCUMENTARY: ("Documentary", "Documentaire"),
    DRAMA: ("Drama", "Drame"),
    FAMILY: ("Family", "Familial"),
    FANTASY: ("Fantasy", "Fantastique"),
    HISTORY: ("History", "Histoire"),
    HORROR: ("Horror", "Horreur"),
    MUSIC: ("Music", "Musique"),
    MYSTERY: ("Mystery", "Mystère"),
    ROMANCE: ("Romance", "Romance"),
    SCIFI: ("Science Fiction", "Science-Fiction"),
    TV_MOVIE: ("TV Movie", "Téléfilm"),
    THRILLER: ("Thriller", "Thriller"),
    WAR: ("War", "Guerre"),
    WESTERN: ("Western", "Western"),
}

# ISO 639-1 -> (English name, French name) for replies.
LANGUAGE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "fr": ("French", "français"),
    "en": ("English", "anglais"),
    "ko": ("Korean", "coréen"),
    "ja": ("Japanese", "japonais"),
    "es": ("Spanish", "espagnol"),
    "it": ("Italian", "italien"),
    "de": ("German", "allemand"),
    "zh": ("Chinese", "chinois"),
    "cn": ("Cantonese", "cantonais"),
    "hi": ("Hindi", "hindi"),
    "ru": ("Russian", "russe"),
    "sv": ("Swedish", "suédois"),
    "da": ("Danish", "danois"),
    "no": ("Norwegian", "norvégien"),
    "fi": ("Finnish", "finnois"),
    "pt": ("Portuguese", "portugais"),
    "tr": ("Turkish", "turc"),
    "fa": ("Persian", "persan"),
    "th": ("Thai", "thaï"),
    "nl": ("Dutch", "néerlandais"),
    "pl": ("Polish", "polonais"),
    "el": ("Greek", "grec"),
    "ar": ("Arabic", "arabe"),
    "he": ("Hebrew", "hébreu"),
}

# Relative time and length defaults (years relative to the parser's reference year).
RECENT_YEARS: Final = 5  # "recent" = released in the last 5 years
CLASSIC_YEAR_TO: Final = 1979  # "classic" / "old" = before 1980
MODERN_YEAR_FROM: Final = 2000
SHORT_RUNTIME: Final = 100  # "short", "something short"
NOT_TOO_LONG_RUNTIME: Final = 120
LONG_RUNTIME: Final = 140  # "long", "epic length" -> runtime_min
SHORTER_STEP: Final = 20  # "shorter" lowers the previous maximum by this much
MIN_SHORTER: Final = 60
ACCLAIMED_RATING: Final = 7.5
GOOD_RATING: Final = 7.0
MASTERPIECE_RATING: Final = 8.0
BETTER_STEP: Final = 0.5


# ------------------------------------------------------------------------------ normalisation

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# French "animé" (animated) and English "anime" (Japanese animation) fold to the same word:
# the accent is the only clue, so it is read before folding.
_FR_ANIMATED = re.compile(r"\banim[éÉ](?:e|es|s)?\b", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# The period of an initial ("Samuel L. Jackson") does not end a clause.
_INITIAL = re.compile(r"(?<![^\W\d_])([^\W\d_])\.(?=\s+[^\W\d_])")
_RANGE_DASH = re.compile(r"(?<=\d)\s*[-\u2013\u2014]\s*(?=\d)")
_CLAUSE = re.compile(r"[,;:!?()\[\]{}\"«»…\u2013\u2014]|\.(?!\d)|\n")
_KEEP = re.compile(r"[^a-z0-9.,+#/<>%\s]")


def fold_text(text: str) -> str:
    """Lower case without accents (no tokenisation): 'Amélie' -> 'amelie'."""
    text = text.translate(_LIGATURES).casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


def normalize(text: str) -> str:
    """The parser's view of a message: folded tokens separated by single spaces, clause
    punctuation kept as "," tokens, decimals ("7,5" -> "7.5") and ranges ("1990-2000") kept."""
    text = text.translate(_APOSTROPHES)
    text = _FR_ANIMATED.sub("animated", text)
    text = fold_text(text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _INITIAL.sub(r"\1 ", text)
    text = _RANGE_DASH.sub(" to ", text)
    text = _CLAUSE.sub(" , ", text)
    text = text.replace("+", " + ").replace("#", " # ").replace("/", " / ")
    text = text.replace("<", " < ").replace(">", " > ")
    text = _KEEP.sub(" ", text)
    # a lone "." left between words (not a decimal point) is noise
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    tokens: list[str] = []
    for token in text.split():
        if token != "," or (tokens and tokens[-1] != ","):
            tokens.append(token)
    while tokens and tokens[-1] == ",":
        tokens.pop()
    while tokens and tokens[0] == ",":
        tokens.pop(0)
    return " ".join(tokens)


# ------------------------------------------------------------------------------------ effects


@dataclass(frozen=True, slots=True)
class Effect:
    """What a phrase means. ``kind`` says how the parser applies it."""

    kind: str  # genre, mood, topic, language, time, quality, length, sort, trending, compare, noise
    genres: tuple[int, ...] = ()
    keywords: tuple[str, ...] = ()
    language: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    relative: str | None = None  # recent, this_year, last_year, newer, older, shorter, longer, better
    min_vote_average: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    sort: str | None = None


PHRASES: dict[tuple[str, ...], Effect] = {}


def _add(effect: Effect, *phrases: str) -> None:
    for phrase in phrases:
        key = tuple(phrase.split())
        if key in PHRASES and PHRASES[key] != effect:
            raise ValueError(f"phrase {phrase!r} defined twice")
        PHRASES[key] = effect


def _genre(*ids: int) -> Effect:
    return Effect("genre", genres=ids)


def _mood(*ids: int, keywords: tuple[str, ...] = ()) -> Effect:
    return Effect("mood", genres=ids, keywords=keywords)


def _topic(*keywords: str, genres: tuple[int, ...] = ()) -> Effect:
    return Effect("topic", genres=genres, keywords=keywords)


# -- genres (the everyday words too) ---------------------------------------------------------------
_add(_genre(ACTION), "action", "action movie", "action movies", "action film", "action films", "actioner")
_add(_genre(ACTION), "film d action", "films d action", "de l action", "d action")
_add(_genre(ADVENTURE), "adventure", "adventures", "adventure movie", "adventure movies")
_add(
    _genre(ADVENTURE),
    "aventure",
    "aventures",
    "film d aventure",
    "films d aventure",
    "d aventure",
    "d aventures",
)
_add(_genre(ANIMATION), "animation", "animated", "cartoon", "cartoons", "animated movie", "animated movies")
_add(_genre(ANIMATION), "dessin anime", "dessins animes", "dessin animated", "dessins animated")
_add(_genre(ANIMATION), "film d animation", "films d animation", "d animation", "pixar")
_add(Effect("genre", genres=(ANIMATION,), language="ja"), "anime", "animes", "japanimation")
_add(_genre(COMEDY), "comedy", "comedies", "comedie", "comedies", "comique", "comiques", "comedy movie")
_add(
    _genre(COMEDY, ROMANCE),
    "rom com",
    "romcom",
    "rom coms",
    "romcoms",
    "romantic comedy",
    "romantic comedies",
)
_add(_genre(COMEDY, ROMANCE), "comedie romantique", "comedies romantiques")
_add(_topic("dark comedy", genres=(COMEDY,)), "dark comedy", "black comedy", "comedie noire", "humour noir")
_add(
    _genre(CRIME),
    "crime",
    "crime movie",
    "crime movies",
    "crime film",
    "crime films",
    "gangster",
    "gangsters",
)
_add(_genre(CRIME), "mafia", "mob", "mob movie", "mob movies", "film noir", "noir")
_add(_genre(CRIME), "policier", "policiers", "polar", "polars", "film policier", "films policiers")
_add(_genre(CRIME), "film de gangsters", "films de gangsters", "de gangsters")
_add(_genre(DOCUMENTARY), "documentary", "documentaries", "doc", "docs", "docu", "docus")
_add(_genre(DOCUMENTARY), "documentaire", "documentaires")
_add(_genre(DRAMA), "drama", "dramas", "dramatic", "drame", "drames", "dramatique", "dramatiques")
_add(_genre(FAMILY), "family", "family movie", "family movies", "family friendly", "kid friendly", "kids")
_add(_genre(FAMILY), "for kids", "for the kids", "with the kids", "with my kids", "children", "for children")
_add(_genre(FAMILY), "familial", "familiale", "familiaux", "familiales", "en famille", "pour enfants")
_add(_genre(FAMILY), "pour les enfants", "avec les enfants", "pour les petits", "film pour enfants")
_add(_genre(FANTASY), "fantasy", "fantasies", "fantastique", "fantastiques", "heroic fantasy")
_add(_genre(HISTORY), "history", "historical", "period piece", "period drama", "historique", "historiques")
_add(_genre(HISTORY), "film historique", "films historiques", "film d epoque", "films d epoque")
_add(_genre(HORROR), "horror", "horror movie", "horror movies", "horror film", "horror films", "horreur")
_add(
    _genre(HORROR), "d horreur", "film d horreur", "films d horreur", "epouvante", "d epouvante", "l horreur"
)
_add(_topic("slasher", genres=(HORROR,)), "slasher", "slashers")
_add(_genre(MUSIC), "music", "musical", "musicals", "musique", "comedie musicale", "comedies musicales")
_add(_genre(MUSIC), "musicale", "musicales", "concert", "concerts")
_add(_genre(MYSTERY), "mystery", "mysteries", "whodunit", "whodunnit", "detective", "detective story")
_add(_genre(MYSTERY), "murder mystery", "mystere", "mysteres", "enquete", "enquetes", "film d enquete")
_add(_genre(ROMANCE), "romance", "romances", "love story", "love stories", "histoire d amour")
_add(_genre(ROMANCE), "histoires d amour")
_add(_genre(SCIFI), "sci fi", "scifi", "science fiction", "sf", "sci fi movie", "sci fi movies", "futuristic")
_add(_genre(SCIFI), "de science fiction", "film de science fiction", "films de science fiction", "futuriste")
_add(_genre(SCIFI), "de sf", "futuristes")
_add(_genre(TV_MOVIE), "tv movie", "tv movies", "made for tv", "telefilm", "telefilms")
_add(_genre(THRILLER), "thriller", "thrillers")
_add(_genre(WAR), "war", "war movie", "war movies", "war film", "war films", "guerre", "de guerre")
_add(_genre(WAR), "film de guerre", "films de guerre")
_add(_genre(WESTERN), "western", "westerns", "cowboy", "cowboys", "spaghetti western")

# -- moods ------------------------------------------------------------------------------------------
_add(_mood(COMEDY), "feel good", "feelgood", "uplifting", "heartwarming", "lighthearted", "light hearted")
_add(_mood(COMEDY), "funny", "hilarious", "laugh", "a laugh", "cheerful", "fun", "lol")
_add(_mood(COMEDY), "qui fait du bien", "qui font du bien", "bonne humeur", "pour rire", "drole", "droles")
_add(_mood(COMEDY), "marrant", "marrants", "rigolo", "rigolos", "rigolote", "leger", "legers", "humour")
_add(_mood(COMEDY), "feel good movie", "pour se detendre", "detente", "relaxing", "chill", "light")
_add(_mood(HORROR), "scary", "creepy", "terrifying", "frightening", "spooky", "chilling", "horrifying")
_add(_mood(HORROR), "qui fait peur", "qui font peur", "effrayant", "effrayants", "flippant", "flippants")
_add(_mood(HORROR), "terrifiant", "terrifiants", "pour avoir peur", "angoissant", "angoissants")
_add(_mood(THRILLER), "suspenseful", "suspense", "tense", "gripping", "edge of my seat", "nail biting")
_add(_mood(THRILLER), "thrilling", "a suspense", "haletant", "haletants", "plein de suspense", "palpitant")
_add(_mood(THRILLER), "palpitants", "prenant", "prenants")
_add(
    _mood(keywords=("twist ending", "dream", "surreal", "nonlinear")),
    "mind bending",
    "mind blowing",
    "mindbending",
    "twisty",
    "cerebral",
    "psychological",
    "psychologique",
    "psychologiques",
    "qui retourne le cerveau",
    "casse tete",
    "retors",
    "with a twist",
    "plot twist",
    "a twist",
    "twist ending",
    "surreal",
    "surrealiste",
)
_add(_mood(DRAMA), "sad", "tearjerker", "tear jerker", "emotional", "moving", "touching", "poignant")
_add(_mood(DRAMA), "pour pleurer", "qui fait pleurer", "qui font pleurer", "triste", "tristes")
_add(_mood(DRAMA), "emouvant", "emouvants", "touchant", "touchants", "bouleversant", "bouleversants")
_add(_mood(DRAMA), "inspiring", "inspirational", "inspirant", "inspirants", "motivant")
_add(_mood(ROMANCE), "romantic", "romantique", "romantiques", "date night", "for a date", "pour un date")
_add(_mood(ACTION), "action packed", "explosive", "adrenaline", "qui bouge", "qui bougent", "bourrin")
_add(_mood(ACTION), "bourrins", "plein d action")
_add(_mood(ADVENTURE), "epic", "epique", "epiques", "swashbuckling")
_add(
    _mood(DRAMA, keywords=("philosophy", "philosophical", "thought-provoking")),
    "thought provoking",
    "philosophical",
    "qui fait reflechir",
    "qui font reflechir",
    "philosophique",
    "philosophiques",
)

# -- topics (TMDb keywords) -------------------------------------------------------------------------
_add(_topic("zombie"), "zombie", "zombies", "undead", "morts vivants")
_add(_topic("time travel"), "time travel", "time traveling", "voyage dans le temps", "voyages dans le temps")
_add(_topic("heist"), "heist", "heists", "heist movie", "braquage", "braquages", "casse", "film de casse")
_add(_topic("christmas"), "christmas", "xmas", "noel", "de noel")
_add(_topic("superhero"), "superhero", "superheroes", "super hero", "super heroes", "super heros", "marvel")
_add(_topic("space"), "space", "in space", "outer space", "dans l espace", "l espace", "spatial")
_add(_topic("robot"), "robot", "robots")
_add(_topic("vampire"), "vampire", "vampires")
_add(_topic("werewolf"), "werewolf", "werewolves", "loup garou", "loups garous")
_add(_topic("serial killer"), "serial killer", "serial killers", "tueur en serie", "tueurs en serie")
_add(
    _topic("based on true story"),
    "true story",
    "based on a true story",
    "based on true story",
    "based on true events",
    "true events",
    "histoire vraie",
    "histoires vraies",
    "faits reels",
    "inspire de faits reels",
    "tire d une histoire vraie",
)
_add(_topic("revenge"), "revenge", "vengeance")
_add(_topic("dystopia"), "dystopia", "dystopian", "dystopie", "dystopique", "dystopiques")
_add(_topic("post-apocalyptic"), "post apocalyptic", "apocalyptic", "post apocalyptique", "apocalypse")
_add(_topic("martial arts"), "martial arts", "kung fu", "arts martiaux", "karate")
_add(_topic("spy"), "spy", "spies", "espionage", "espion", "espions", "espionnage")
_add(
    _topic("alien"),
    "alien",
    "aliens",
    "extraterrestre",
    "extraterrestres",
    "extra terrestre",
    "extra terrestres",
)
_add(_topic("artificial intelligence"), "artificial intelligence", "ia", "intelligence artificielle")
_add(_topic("sport"), "sport", "sports", "sports movie", "de sport")
_add(_topic("road trip"), "road trip", "road movie", "road trips")
_add(_topic("high school"), "high school", "lycee", "lyceens")
_add(
    _topic("coming of age"), "coming of age", "passage a l age adulte", "teen", "teens", "ados", "adolescents"
)
_add(_topic("ghost"), "ghost", "ghosts", "fantome", "fantomes", "haunted house", "maison hantee")
_add(_topic("dinosaur"), "dinosaur", "dinosaurs", "dinosaure", "dinosaures")
_add(_topic("shark"), "shark", "sharks", "requin", "requins")
_add(_topic("pirate"), "pirate", "pirates")
_add(_topic("boxing"), "boxing", "boxe")
_add(_topic("world war ii", genres=(WAR,)), "world war ii", "world war 2", "ww2", "wwii", "second world war")
_add(_topic("world war ii", genres=(WAR,)), "seconde guerre mondiale", "deuxieme guerre mondiale")
_add(_topic("biography"), "biopic", "biopics", "biography", "biographical", "biographie", "biographique")
_add(_topic("musical"), "broadway")
_add(_topic("magic"), "magic", "magie", "wizard", "wizards", "sorcier", "sorciers")
_add(_topic("witch"), "witch", "witches", "sorciere", "sorcieres")
_add(_topic("monster"), "monster", "monsters", "monstre", "monstres")
_add(_topic("cyberpunk"), "cyberpunk")
_add(_topic("conspiracy"), "conspiracy", "complot", "complots")
_add(_topic("prison"), "prison", "jail", "en prison")
_add(_topic("wedding"), "wedding", "weddings", "mariage", "mariages")
_add(_topic("paris"), "paris", "in paris", "a paris")
_add(_topic("new york city"), "new york", "nyc", "a new york")
_add(_topic("friendship"), "friendship", "amitie")
_add(_topic("survival"), "survival", "survie")
_add(_topic("disaster"), "disaster", "disaster movie", "catastrophe", "film catastrophe")
_add(_topic("hacker"), "hacker", "hackers", "hacking", "pirate informatique")
_add(_topic("virtual reality"), "virtual reality", "realite virtuelle")
_add(_topic("dog"), "dog", "dogs", "chien", "chiens")
_add(_topic("samurai"), "samurai", "samourai", "samourais")
_add(_topic("fairy tale"), "fairy tale", "fairy tales", "conte de fees", "contes de fees", "conte")
_add(_topic("found footage"), "found footage")
_add(_topic("police"), "cop", "cops", "flic", "flics")

# -- languages and countries ------------------------------------------------------------------------
_LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "fr": (
        "french",
        "in french",
        "francais",
        "francaise",
        "francaises",
        "en francais",
        "quebecois",
        "frenchy",
    ),
    "ko": ("korean", "south korean", "coreen", "coreens", "coreenne", "coreennes", "en coreen", "k drama"),
    "ja": ("japanese", "japonais", "japonaise", "japonaises", "en japonais"),
    "es": (
        "spanish",
        "in spanish",
        "espagnol",
        "espagnols",
        "espagnole",
        "espagnoles",
        "mexican",
        "mexicain",
    ),
    "it": ("italian", "in italian", "italien", "italiens", "italienne", "italiennes"),
    "de": ("german", "in german", "allemand", "allemands", "allemande", "allemandes"),
    "zh": ("chinese", "mandarin", "chinois", "chinoise", "chinoises", "en chinois"),
    "cn": ("cantonese", "hong kong", "cantonais", "hongkongais"),
    "hi": ("indian", "bollywood", "hindi", "indien", "indiens", "indienne", "indiennes"),
    "ru": ("russian", "in russian", "russe", "russes", "sovietique", "soviet"),
    "sv": ("swedish", "suedois", "suedoise", "suedoises"),
    "da": ("danish", "danois", "danoise", "danoises"),
    "no": ("norwegian", "norvegien", "norvegiens", "norvegienne", "norvegiennes"),
    "fi": ("finnish", "finlandais", "finlandaise"),
    "pt": ("portuguese", "brazilian", "portugais", "portugaise", "bresilien", "bresiliens", "bresilienne"),
    "tr": ("turkish", "turc", "turcs", "turque", "turques"),
    "fa": ("iranian", "persian", "iranien", "iraniens", "iranienne"),
    "th": ("thai", "thailandais", "thailandaise"),
    "nl": ("dutch", "neerlandais", "hollandais"),
    "pl": ("polish", "polonais", "polonaise"),
    "el": ("greek", "grec", "grecs", "grecque", "grecques"),
    "ar": ("arabic", "arabe", "arabes"),
    "he": ("hebrew", "israeli", "israelien", "israeliens"),
    "en": (
        "english",
        "in english",
        "english language",
        "american",
        "british",
        "hollywood",
        "anglais",
        "anglaise",
        "en anglais",
        "americain",
        "americains",
        "americaine",
        "americaines",
        "britannique",
        "britanniques",
    ),
}
for _code, _words in _LANGUAGE_WORDS.items():
    _add(Effect("language", language=_code), *_words)
# Original version / subtitles: understood, but no language constraint by themselves.
_add(Effect("noise"), "en vo", "vo", "vost", "vostfr", "version originale", "subtitled", "with subtitles")
_add(Effect("noise"), "sous titre", "sous titres", "original language", "in the original language", "en v o")

# -- time -------------------------------------------------------------------------------------------
_add(Effect("time", relative="recent"), "recent", "recents", "recente", "recentes", "new", "new releases")
_add(
    Effect("time", relative="recent"),
    "nouveau",
    "nouveaux",
    "nouvelle",
    "nouvelles",
    "nouveautes",
    "latest releases",
)
_add(Effect("time", relative="recent"), "dernieres sorties", "sortis recemment", "recently released", "fresh")
_add(Effect("time", relative="this_year"), "this year", "cette annee", "de cette annee")
_add(Effect("time", relative="last_year"), "last year", "l annee derniere", "de l annee derniere")
_add(
    Effect("time", year_to=CLASSIC_YEAR_TO), "classic", "classics", "classique", "classiques", "old", "oldies"
)
_add(Effect("time", year_to=CLASSIC_YEAR_TO), "vieux", "vieux films", "anciens", "old school", "golden age")
_add(Effect("time", year_to=CLASSIC_YEAR_TO), "old movies", "old films", "vintage", "retro", "de l age d or")
_add(Effect("time", year_to=1965), "black and white", "noir et blanc", "silent", "muet", "muets")
_add(_genre(FAMILY), "year old", "years old", "year olds")
_add(
    Effect("time", year_from=MODERN_YEAR_FROM),
    "modern",
    "modernes",
    "moderne",
    "contemporary",
    "contemporain",
)

# -- quality ----------------------------------------------------------------------------------------
_add(
    Effect("quality", min_vote_average=ACCLAIMED_RATING), "critically acclaimed", "acclaimed", "award winning"
)
_add(Effect("quality", min_vote_average=ACCLAIMED_RATING), "acclame", "acclames", "encense", "encenses")
_add(Effect("quality", min_vote_average=ACCLAIMED_RATING), "oscar winning", "oscarise", "oscarises")
_add(Effect("quality", min_vote_average=ACCLAIMED_RATING), "salue par la critique", "critically praised")
_add(
    Effect("quality", min_vote_average=GOOD_RATING), "highly rated", "well rated", "good ratings", "bien note"
)
_add(
    Effect("quality", min_vote_average=GOOD_RATING), "bien notes", "bien notee", "bien notees", "good reviews"
)
_add(Effect("quality", min_vote_average=GOOD_RATING), "bonnes critiques", "bonnes notes", "tres bien note")
_add(
    Effect("quality", min_vote_average=GOOD_RATING), "well reviewed", "highly regarded", "reconnu", "reconnus"
)
_add(Effect("quality", min_vote_average=MASTERPIECE_RATING), "masterpiece", "masterpieces", "chef d oeuvre")
_add(Effect("quality", min_vote_average=MASTERPIECE_RATING), "chefs d oeuvre", "must see", "incontournable")
_add(Effect("quality", min_vote_average=MASTERPIECE_RATING), "incontournables", "a voir absolument")

# -- length -----------------------------------------------------------------------------------------
_add(Effect("length", runtime_max=SHORT_RUNTIME), "short", "shortish", "quick", "court", "courts", "courte")
_add(Effect("length", runtime_max=SHORT_RUNTIME), "courtes", "pas long", "pas longs", "not long")
_add(Effect("length", runtime_max=NOT_TOO_LONG_RUNTIME), "not too long", "pas trop long", "pas trop longs")
_add(Effect("length", runtime_max=NOT_TOO_LONG_RUNTIME), "nothing too long", "rien de trop long")
_add(
    Effect("length", runtime_max=NOT_TOO_LONG_RUNTIME),
    "pas trop longue",
    "not very long",
    "reasonable length",
)
_add(
    Effect("length", runtime_min=LONG_RUNTIME),
    "long movie",
    "long movies",
    "long film",
    "long films",
    "film long",
)
_add(
    Effect("length", runtime_min=LONG_RUNTIME),
    "films longs",
    "something long",
    "epic length",
    "fleuve",
    "long ones",
)

# -- sorting, trending ------------------------------------------------------------------------------
_add(
    Effect("sort", sort="RELEASE_DATE_DESC"),
    "newest",
    "newest first",
    "latest",
    "most recent",
    "les plus recents",
)
_add(
    Effect("sort", sort="RELEASE_DATE_DESC"),
    "les derniers",
    "derniers sortis",
    "du plus recent au plus ancien",
)
_add(Effect("sort", sort="RELEASE_DATE_DESC"), "most recent first", "by release date", "par date de sortie")
_add(
    Effect("sort", sort="RELEASE_DATE_ASC"),
    "oldest first",
    "oldest",
    "chronological",
    "in chronological order",
)
_add(
    Effect("sort", sort="RELEASE_DATE_ASC"),
    "ordre chronologique",
    "du plus ancien au plus recent",
    "les plus anciens",
)
_add(Effect("sort", sort="VOTE_AVERAGE_DESC"), "best", "top rated", "highest rated", "best rated", "the best")
_add(Effect("sort", sort="VOTE_AVERAGE_DESC"), "les meilleurs", "meilleurs", "meilleur", "les mieux notes")
_add(Effect("sort", sort="VOTE_AVERAGE_DESC"), "mieux notes", "best first", "by rating", "par note", "top")
_add(
    Effect("sort", sort="VOTE_AVERAGE_DESC"),
    "greatest",
    "greatest of all time",
    "of all time",
    "de tous les temps",
)
_add(Effect("sort", sort="IMDB_RATING_DESC"), "by imdb rating", "highest imdb", "top imdb", "best on imdb")
_add(
    Effect("sort", sort="IMDB_RATING_DESC"),
    "imdb top",
    "top rated on imdb",
    "meilleure note imdb",
    "par note imdb",
)
_add(Effect("sort", sort="IMDB_RATING_DESC"), "highest rated on imdb", "les mieux notes sur imdb")
_add(Effect("sort", sort="TITLE_ASC"), "alphabetical", "alphabetically", "a to z", "a z", "by title")
_add(
    Effect("sort", sort="TITLE_ASC"), "par ordre alphabetique", "ordre alphabetique", "de a a z", "par titre"
)
_add(Effect("sort", sort="POPULARITY_DESC"), "popular", "most popular", "populaire", "populaires")
_add(
    Effect("sort", sort="POPULARITY_DESC"),
    "les plus populaires",
    "famous",
    "well known",
    "connus",
    "celebres",
)
_add(Effect("sort", sort="POPULARITY_DESC"), "blockbuster", "blockbusters", "plus connus")
_add(Effect("trending"), "trending", "trending now", "what s trending", "whats trending", "what is trending")
_add(
    Effect("trending"),
    "what s popular",
    "whats popular",
    "what is popular",
    "popular right now",
    "what s hot",
)
_add(Effect("trending"), "whats hot", "hot right now", "everyone is watching", "everyone s watching", "buzz")
_add(Effect("trending"), "tendance", "tendances", "les tendances", "a la mode", "du moment", "en ce moment")
_add(Effect("trending"), "qui cartonne", "qui cartonnent", "ce qui marche", "populaire en ce moment")
_add(
    Effect("trending"),
    "right now",
    "at the moment",
    "these days",
    "this week",
    "cette semaine",
    "actuellement",
)
_add(Effect("trending"), "in theaters", "au cinema", "a l affiche", "populaires en ce moment", "hype")

# -- comparatives (meaningful relative to the previous turn) ---------------------------------------
_add(
    Effect("compare", relative="newer"), "more recent", "newer", "plus recent", "plus recents", "plus recente"
)
_add(
    Effect("compare", relative="newer"),
    "plus recentes",
    "less old",
    "moins vieux",
    "moins ancien",
    "more modern",
)
_add(
    Effect("compare", relative="older"), "older", "more classic", "plus ancien", "plus anciens", "plus vieux"
)
_add(Effect("compare", relative="older"), "plus ancienne", "plus anciennes", "less recent", "moins recent")
_add(Effect("compare", relative="older"), "moins recents", "plus classique", "plus classiques")
_add(
    Effect("compare", relative="shorter"),
    "shorter",
    "plus court",
    "plus courts",
    "plus courte",
    "plus courtes",
)
_add(Effect("compare", relative="shorter"), "less long", "moins long", "moins longs", "moins longue")
_add(Effect("compare", relative="longer"), "longer", "plus long", "plus longs", "plus longue", "plus longues")
_add(Effect("compare", relative="better"), "better", "better rated", "higher rated", "mieux", "mieux note")
_add(Effect("compare", relative="better"), "mieux notee", "mieux notees", "plus acclame", "better reviewed")
_add(Effect("compare", relative="better"), "higher ratings", "better ratings", "de meilleure qualite")
_add(
    Effect("compare", relative="popular"), "more popular", "plus populaire", "plus populaires", "better known"
)
_add(Effect("compare", relative="popular"), "more famous", "mainstream", "plus mainstream", "plus connu")
_add(
    _mood(COMEDY), "funnier", "plus drole", "plus droles", "more fun", "lighter", "plus leger", "plus legers"
)
_add(_mood(COMEDY), "less serious", "moins serieux", "more lighthearted", "plus marrant", "plus marrants")
_add(_mood(HORROR), "scarier", "plus effrayant", "plus effrayants", "more scary", "plus flippant", "creepier")
_add(_mood(ACTION), "more action", "plus d action", "more exciting")
_add(_mood(ROMANCE), "more romantic", "plus romantique", "plus romantiques")
_add(_mood(DRAMA), "more serious", "plus serieux", "sadder", "plus triste", "plus tristes", "deeper")

# -- conversation markers (whole-token sets and phrases, read by the parser) ------------------------
# A follow-up that starts with one of these is elliptical ("with Tom Hanks", "and from the 90s"):
# it refines the previous turn instead of starting over.
ELLIPTIC_STARTS: Final = frozenset(
    {
        "with", "without", "and", "but", "in", "from", "only", "just", "no", "not", "same", "now", "also",
        "avec", "sans", "et", "mais", "en", "que", "seulement", "pas", "uniquement", "plutot", "aussi",
        "then", "ok", "okay", "ah", "alors", "maintenant", "more", "less", "plus", "moins", "under",
        "over", "before", "after", "since", "avant", "apres", "depuis", "except", "sauf", "or", "ou",
        "preferably", "rated", "directed", "starring", "none", "nothing", "aucun",
    }
)  # fmt: skip
# Anaphora and refinement words: the turn talks about the previous results.
REFINE_WORDS: Final = frozenset(
    {
        "ones", "one", "them", "those", "these", "same", "again", "instead", "rather", "only", "also",
        "too", "still", "but", "else", "ceux", "celles", "encore", "aussi", "plutot",
        "seulement", "uniquement", "pareil", "memes", "idem", "mais", "egalement", "either",
    }
)  # fmt: skip
REFINE_PHRASES: Final = (
    "what about", "how about", "and what about", "et si", "et pour", "et avec", "et en", "et des",
    "la meme chose", "same thing", "same but", "but with", "mais avec", "mais en", "un peu plus",
    "a bit more", "a little more", "something more", "quelque chose de plus", "in that genre",
    "dans ce genre", "du meme genre",
)  # fmt: skip
# "What about comedies?": the new genres replace the previous ones instead of adding to them.
SWITCH_PHRASES: Final = (
    "what about", "how about", "instead", "rather", "plutot", "et si", "what if", "switch to",
    "change to", "et pour", "now", "maintenant", "actually",
)  # fmt: skip
# "Also comedies": genres are added with ANY (either genre will do).
ANY_WORDS: Final = frozenset({"or", "ou", "either", "soit", "also", "too", "aussi", "egalement", "or maybe"})
RESET_PHRASES: Final = (
    "start over", "new search", "forget that", "forget it", "forget about", "forget everything",
    "something completely different", "something totally different", "from scratch", "reset",
    "on recommence", "nouvelle recherche", "oublie", "oublions", "recommencons", "autre chose de completement",
    "completely different", "tout autre chose", "a zero", "let s start again", "start again",
)  # fmt: skip
# Asking to see something even without any filter ("what should I watch tonight?").
WATCH_PHRASES: Final = (
    "what should i watch", "what to watch", "something to watch", "anything to watch", "quoi regarder",
    "que regarder", "un truc a regarder", "quelque chose a regarder", "a voir ce soir", "je veux voir",
    "i want to watch", "let s watch", "on regarde quoi", "surprise me", "surprends moi", "recommend",
    "recommande", "recommande moi", "conseille moi", "suggest", "propose moi",
)  # fmt: skip
SMALLTALK_PHRASES: Final = (
    "hi", "hello", "hey", "hiya", "yo", "good morning", "good evening", "bonjour", "salut", "coucou",
    "bonsoir", "thanks", "thank you", "thx", "merci", "merci beaucoup", "who are you", "what are you",
    "what can you do", "help", "aide", "how are you", "ca va", "comment ca va", "bye", "goodbye",
    "au revoir", "a plus", "qui es tu", "tu es qui", "que sais tu faire", "tu fais quoi", "cool",
    "great", "super", "genial", "nice", "ok", "okay", "d accord", "parfait", "perfect", "awesome",
)  # fmt: skip

# Words that negate the genre, mood or person that follows them ("no horror", "sans Tom Cruise").
NEGATORS: Final = frozenset(
    {
        "no", "not", "without", "except", "excluding", "nothing", "never", "nor", "non", "sans", "pas",
        "sauf", "hormis", "excepte", "aucun", "aucune", "ni", "hate", "hates", "dislike", "deteste",
        "avoid", "skip", "evite", "eviter", "minus", "but not", "less",
    }
)  # fmt: skip
NEGATOR_PHRASES: Final = (
    "anything but", "other than", "apart from", "except for", "don t like", "don t want", "do not like",
    "do not want", "not a fan of", "can t stand", "n aime pas", "j aime pas", "je n aime pas",
    "i don t like", "pas de", "pas d", "not into", "no more", "rather not", "en dehors de",
    "a part", "je ne veux pas", "je veux pas", "pas trop de", "nothing too", "not too",
)  # fmt: skip
# Tokens a negation may skip on its way to what it negates ("no more horror", "pas de films d'horreur").
NEGATION_FILLERS: Final = frozenset(
    {
        "a", "an", "the", "any", "more", "too", "very", "really", "so", "some", "movies", "movie", "films",
        "film", "of", "de", "d", "l", "le", "la", "les", "des", "du", "un", "une", "trop", "tres", "plus",
        "genre", "type", "kind", "style", "with", "avec", "stuff", "truc", "trucs", "that", "thats", "s",
        "is", "t", "like", "want", "aime", "veux",
    }
)  # fmt: skip
# Negation does not cross these ("no horror, but comedy").
NEGATION_BREAKS: Final = frozenset(
    {",", "but", "mais", "and", "et", "instead", "plutot", "rather", "please", "svp"}
)

# Words that are never names or titles on their own: they do not count as leftovers.
STOPWORDS: Final = frozenset(
    {
        # English
        "a", "an", "the", "i", "me", "my", "we", "us", "our", "you", "your", "it", "its", "this", "that",
        "these", "those", "some", "any", "something", "anything", "thing", "things", "stuff", "one",
        "ones", "movie", "movies", "film", "films", "flick", "flicks", "cinema", "watch", "watching",
        "see", "seen", "want", "wanna", "would", "like", "love", "loved", "liked", "enjoy", "enjoyed",
        "please", "pls", "plz", "thanks", "show", "give", "find", "get", "recommend", "recommendation",
        "recommendations", "suggest", "suggestion", "suggestions", "looking", "look", "for", "to", "of",
        "in", "on", "at", "by", "with", "without", "and", "or", "but", "so", "then", "now", "tonight",
        "today", "tomorrow", "weekend", "evening", "night", "good", "great", "nice", "cool", "really",
        "very", "more", "less", "most", "much", "many", "also", "too", "just", "only", "maybe", "perhaps",
        "what", "whats", "which", "who", "how", "about", "is", "are", "was", "were", "be", "been", "do",
        "does", "did", "can", "could", "should", "s", "t", "m", "d", "ll", "re", "ve", "im",
        "id", "let", "lets", "need", "have", "has", "had", "there", "here", "from", "since", "before",
        "after", "between", "than", "other", "others", "another", "same", "again", "instead", "rather",
        "mood", "feel", "feeling", "kind", "sort", "type", "genre", "genres", "style", "all",
        "every", "ok", "okay", "yes", "yeah", "no", "not", "nope", "hmm", "well", "actually", "still",
        "else", "them", "they", "he", "she", "him", "her", "his", "hers", "their", "theirs", "into",
        "up", "out", "over", "under", "if", "when", "while", "where", "why", "hey", "hi", "hello",
        "either", "both", "each", "few", "bit", "little", "lot", "lots", "kinda", "sorta", "ish",
        "preferably", "ideally", "possibly", "definitely", "probably", "someone",
        "starring", "featuring", "directed", "made", "released", "came", "come", "couple",
        "friend", "friends", "wife", "husband", "girlfriend", "boyfriend", "partner", "date", "alone",
        "family", "home", "couch", "sunday", "saturday", "friday", "afternoon", "rainy", "day",
        "minutes", "minute", "hours", "hour", "year", "years", "time", "times", "ago", "version",
        "pick", "picks", "options", "option", "list", "top", "number", "thank",
        # French
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "au", "aux", "et", "ou", "mais",
        "donc", "ni", "car", "je", "j", "tu", "il", "elle", "nous", "vous", "ils", "elles",
        "te", "se", "moi", "toi", "lui", "eux", "mon", "ma", "mes", "ton", "ta", "tes",
        "son", "sa", "ses", "notre", "nos", "votre", "vos", "leur", "leurs", "ce", "cet", "cette", "ces",
        "ca", "cela", "ceci", "qui", "que", "qu", "quoi", "quel", "quelle", "quels", "quelles", "dont",
        "est", "sont", "suis", "es", "etre", "ai", "as", "avons", "avez", "ont", "avoir", "fait",
        "faire", "veux", "voudrais", "aimerais", "aime", "aimer", "adore", "voir", "regarder", "cherche",
        "chercher", "montre", "montrer", "propose", "proposer", "conseille", "conseiller", "recommande",
        "recommander", "donne", "trouve", "envie", "truc", "trucs", "chose", "choses", "quelque",
        "cine", "soir", "ce soir", "demain", "week", "end", "avec", "sans", "pour",
        "par", "dans", "sur", "sous", "en", "vers", "chez", "tres", "trop", "peu", "bien", "bon", "bonne",
        "bons", "bonnes", "super", "plus", "moins", "aussi", "encore", "deja", "juste", "seulement",
        "peut", "stp", "svp", "merci", "sorte", "oui", "non", "ouais",
        "bah", "euh", "alors", "puis", "ensuite", "maintenant", "autre", "autres", "meme",
        "memes", "tout", "tous", "toute", "toutes", "y", "n", "ne", "pas", "c", "comme",
        "ami", "amis", "copine", "copain", "famille", "soiree", "dimanche", "samedi", "vendredi",
        "pluie", "plutot", "vraiment", "sorti", "sortis", "sortie", "realise", "joue", "heures", "heure", "ans", "annee", "annees", "fois", "sympa", "idee", "idees", "rire",
        "pleurer", "frissonner", "decouvrir", "soit", "voila", "hein", "quand", "comment", "pourquoi",
    }
)  # fmt: skip

# Person triggers: what comes after them is a name ("with Tom Hanks", "réalisé par Nolan").
PERSON_TRIGGERS: Final = (
    "with", "starring", "featuring", "feat", "ft", "directed by", "by director", "by", "from director",
    "director", "actor", "actress", "played by", "made by", "avec", "realise par", "realises par",
    "realisee par", "de", "par", "joue par", "avec l acteur", "avec l actrice", "du realisateur",
    "de la realisatrice", "le realisateur", "la realisatrice", "l acteur", "l actrice", "movies by",
    "films by", "films de", "film de", "un film de", "les films de", "with actor", "with actress",
    "dirigé par", "signe", "signes", "something by", "anything with", "anything by",
)  # fmt: skip
# Similar-to triggers: what comes after them is a title ("like Inception", "comme Amélie").
SIMILAR_TRIGGERS: Final = (
    "like", "similar to", "similar", "in the vein of", "in the style of", "reminiscent of", "along the lines of",
    "movies like", "films like", "something like", "anything like", "stuff like", "more like", "the likes of",
    "comme", "du genre de", "dans le genre de", "dans le style de", "similaire a", "similaires a",
    "qui ressemble a", "qui ressemblent a", "proche de", "proches de", "du meme genre que",
    "i liked", "i loved", "i enjoyed", "if i liked", "if you liked", "fans of", "fan of", "j ai aime",
    "j ai adore", "j ai bien aime", "since i liked", "because i liked", "apres avoir vu", "i just watched",
    "je viens de voir", "plus comme", "same vibe as", "same as", "le meme que", "pareil que",
)  # fmt: skip
# Title triggers: the user asks about one movie ("tell me about Inception").
TITLE_TRIGGERS: Final = (
    "tell me about", "tell me more about", "what is", "what s", "whats", "info on", "info about",
    "information about", "information on", "details on", "details about", "who directed", "who is in",
    "who s in", "who stars in", "is it good", "the movie", "the film", "parle moi de", "parle moi du",
    "parlez moi de", "c est quoi", "qu est ce que", "infos sur", "info sur", "des infos sur",
    "que penses tu de", "qui a realise", "qui joue dans", "le film", "parle moi d", "parlez moi d",
    "des infos sur", "dis moi tout sur", "raconte moi", "infos sur le film", "is worth watching", "should i watch",
    "resume de", "synopsis de", "what happens in", "plot of",
)  # fmt: skip

# Ordinals for "the second one", "le deuxième".
ORDINALS: Final[dict[str, int]] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7,
    "8th": 8, "9th": 9, "10th": 10, "last": -1, "premier": 1, "premiere": 1, "deuxieme": 2,
    "seconde": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7,
    "huitieme": 8, "neuvieme": 9, "dixieme": 10, "dernier": -1, "derniere": -1, "1er": 1, "1ere": 1,
    "2e": 2, "2eme": 2, "3e": 3, "3eme": 3, "4e": 4, "4eme": 4, "5e": 5, "5eme": 5,
}  # fmt: skip

NUMBER_WORDS: Final[dict[str, int]] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "un": 1, "une": 1, "deux": 2,
    "trois": 3, "quatre": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "ninety": 90, "hundred": 100,
    "cent": 100, "sixty": 60, "soixante": 60, "seventy": 70, "eighty": 80,
}  # fmt: skip

# Decade words: "the nineties", "les années quatre-vingt".
DECADE_WORDS: Final[dict[str, int]] = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000, "aughts": 2000,
    "vingt": 1920, "trente": 1930, "quarante": 1940, "cinquante": 1950, "soixante": 1960,
    "soixante dix": 1970, "quatre vingt": 1980, "quatre vingts": 1980, "quatre vingt dix": 1990,
}  # fmt: skip

# French function words: more of these than English ones means the message is French.
FRENCH_HINTS: Final = frozenset(
    {
        "le", "la", "les", "des", "du", "un", "une", "avec", "sans", "je", "moi", "pour", "qui", "et",
        "est", "pas", "plus", "moins", "comme", "annees", "quelque", "chose", "veux", "cherche", "montre",
        "propose", "bien", "drole", "tendances", "ceux", "celui", "deuxieme", "premier", "dernier",
        "realise", "par", "dans", "mais", "aussi", "ou", "voir", "soir", "genre", "merci", "bonjour",
        "salut", "ca", "quoi", "cette", "film", "de", "d", "l", "en", "francais", "policier", "dessin",
        "recents", "note", "notes", "heures", "plutot", "trop", "tres", "noel", "autre", "autres",
    }
)  # fmt: skip
ENGLISH_HINTS: Final = frozenset(
    {
        "the", "with", "without", "something", "movie", "movies", "show", "me", "i", "want", "like", "and",
        "from", "for", "some", "any", "more", "less", "about", "what", "who", "is", "are", "please",
        "not", "no", "but", "these", "those", "ones", "one", "under", "over", "before", "after", "recent",
        "funny", "scary", "rated", "hours", "minutes", "by", "directed", "starring", "popular",
        "trending", "thanks", "hello", "hi", "in", "of", "to", "a", "an", "good", "best", "older",
        "newer", "shorter", "longer", "also", "too", "instead", "s", "t", "it", "that", "this",
    }
)  # fmt: skip


def genre_name(genre_id: int, language: str = "en") -> str:
    names = GENRE_NAMES.get(genre_id)
    if names is None:
        return str(genre_id)
    return names[1] if language == "fr" else names[0]


def language_name(code: str, language: str = "en") -> str:
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return code
    return names[1] if language == "fr" else names[0]


def genre_id_for(name: str) -> int | None:
    """Genre id for a genre name or everyday word in English or French ("Sci-Fi", "policier")."""
    key = tuple(normalize(name).split())
    for genre_id, names in GENRE_NAMES.items():
        if key in (tuple(normalize(names[0]).split()), tuple(normalize(names[1]).split())):
            return genre_id
    effect = PHRASES.get(key)
    if effect is not None and effect.kind in ("genre", "mood") and len(effect.genres) == 1:
        return effect.genres[0]
    return None


MAX_PHRASE_TOKENS: Final = max(len(k) for k in PHRASES)
