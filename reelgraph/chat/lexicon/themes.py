"""Themes: the phrases a user names a subject with ("based on a true story", "un film de braquage"),
kept in ``ChatFilters.keywords`` in the user's own words, and what to search for them.

``THEME_PHRASES``: folded phrase -> (the keyword it keeps, genres it implies). A phrase may mark
the keyword part in brackets: "tire d une [histoire vraie]" keeps "histoire vraie".
``SEARCH_TERMS``: keyword -> the English phrases searched for it (the catalog's keywords, taglines
and overviews are English); every keyword is also searched as written.
``WORDS_FR_EN``: word by word, for a French theme the table does not list ("la guerre froide").
"""

from __future__ import annotations

from typing import Final

from reelgraph.chat.lexicon.genres import CRIME

ThemePhrase = tuple[str, tuple[int, ...]]

_PHRASES: dict[tuple[str, ...], ThemePhrase] = {}


def _theme(*phrases: str, genres: tuple[int, ...] = ()) -> None:
    for written in phrases:
        tokens = written.replace("[", " [ ").replace("]", " ] ").split()
        if "[" in tokens:
            start, end = tokens.index("["), tokens.index("]")
            core = tokens[start + 1 : end]
            tokens = [t for t in tokens if t not in ("[", "]")]
        else:
            core = tokens
        key = tuple(tokens)
        if key in _PHRASES:
            raise ValueError(f"theme phrase {written!r} defined twice")
        _PHRASES[key] = (" ".join(core), genres)


# -- true stories -----------------------------------------------------------------------------------
_theme("based on a true story", "based on true story", "based on true events", "based on a true event")
_theme("based on real events", "true story", "true stories", "true events", "real events")
_theme("histoire vraie", "histoires vraies", "faits reels", "fait reel")
for _lead in (
    "tire d une",
    "tiree d une",
    "tire d",
    "d apres une",
    "base sur une",
    "basee sur une",
    "inspire d une",
):
    _theme(f"{_lead} [histoire vraie]")
for _lead in (
    "tire de",
    "tires de",
    "inspire de",
    "inspiree de",
    "inspires de",
    "d apres des",
    "base sur des",
):
    _theme(f"{_lead} [faits reels]")
_theme("tires d [histoires vraies]", "inspires d [histoires vraies]", "d apres des [histoires vraies]")
# -- time travel (French: the English one is the lexicon's topic already) ---------------------------
_theme("voyage dans le temps", "voyages dans le temps", "voyager dans le temps", "voyage temporel")
_theme("voyages temporels", "machine a remonter le temps")
# -- heists -----------------------------------------------------------------------------------------
_theme("braquage", "braquages", "braqueur", "braqueurs", "film de [braquage]", "films de [braquage]")
# -- space --------------------------------------------------------------------------------------------
_theme("dans l [espace]", "l [espace]", "set in [space]", "takes place in [space]", "in [outer space]")
_theme("se passe dans l [espace]", "qui se passe dans l [espace]", "espace", "conquete spatiale")
# -- the cold war (not a war movie: spies and politics) -------------------------------------------
_theme("cold war", "the [cold war]", "guerre froide", "la [guerre froide]")
# -- vampires, the mafia, prison escapes ----------------------------------------------------------
_theme("vampires")
_theme("mafia", "mafieux", "la [mafia]", "mob", "the [mob]", genres=(CRIME,))
_theme("prison escape", "prison escapes", "prison break", "jailbreak", "escape from prison")
_theme("escaping from prison", "evasion de prison", "evasions de prison", "evader de prison")
_theme("s evader de [prison]", "s evade de [prison]", "s evadent de [prison]")

THEME_PHRASES: Final[dict[tuple[str, ...], ThemePhrase]] = dict(_PHRASES)
MAX_THEME_TOKENS: Final = max(len(k) for k in THEME_PHRASES)

SEARCH_TERMS: Final[dict[str, tuple[str, ...]]] = {
    "based on a true story": ("based on true story", "true story", "true events", "real events"),
    "based on true story": ("true story", "true events", "real events"),
    "based on true events": ("based on true story", "true story", "true events", "real events"),
    "based on a true event": ("based on true story", "true story", "true events", "real events"),
    "based on real events": ("based on true story", "true story", "true events", "real events"),
    "true story": ("based on true story", "true events", "real events"),
    "true stories": ("based on true story", "true story", "true events"),
    "true events": ("based on true story", "true story", "real events"),
    "real events": ("based on true story", "true story", "true events"),
    "histoire vraie": ("based on true story", "true story", "true events", "real events"),
    "histoires vraies": ("based on true story", "true story", "true events", "real events"),
    "faits reels": ("based on true story", "true story", "true events", "real events"),
    "fait reel": ("based on true story", "true story", "true events", "real events"),
    "time travel": (
        "time travel",
        "time machine",
        "time traveler",
        "sent back in time",
        "transported back in time",
        "goes back in time",
        "go back in time",
    ),
    "voyage dans le temps": (
        "time travel",
        "time machine",
        "travel in time",
        "back in time",
        "time traveler",
    ),
    "voyages dans le temps": (
        "time travel",
        "time machine",
        "travel in time",
        "back in time",
        "time traveler",
    ),
    "voyager dans le temps": (
        "time travel",
        "time machine",
        "travel in time",
        "back in time",
        "time traveler",
    ),
    "voyage temporel": ("time travel", "time machine", "time traveler"),
    "voyages temporels": ("time travel", "time machine", "time traveler"),
    "machine a remonter le temps": ("time machine", "time travel"),
    "heist": ("heist", "robbery", "robbers", "rob"),
    "braquage": ("heist", "robbery", "robbers", "rob"),
    "braquages": ("heist", "robbery", "robbers", "rob"),
    "braqueur": ("robber", "heist", "bank robbery"),
    "braqueurs": ("robbers", "heist", "bank robbery"),
    "space": ("space", "outer space", "spaceship", "spacecraft", "astronaut", "space station"),
    "outer space": ("space", "spaceship", "spacecraft", "astronaut", "space station"),
    "espace": ("space", "outer space", "spaceship", "spacecraft", "astronaut", "space station"),
    "conquete spatiale": ("space race", "astronaut", "space program", "space mission"),
    "vampire": ("vampire", "dracula"),
    "vampires": ("vampire", "dracula"),
    "mafia": ("mafia", "mob", "mobster", "organized crime", "gangster", "cosa nostra"),
    "mafieux": ("mafia", "mob", "mobster", "organized crime", "gangster"),
    "mob": ("mafia", "mob", "mobster", "organized crime", "gangster"),
    "prison escape": ("prison escape", "prison break", "jailbreak", "escaped convict", "escaped prisoner"),
    "prison escapes": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "prison break": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "jailbreak": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "escape from prison": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "escaping from prison": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "evasion de prison": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "evader de prison": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "evasions de prison": ("prison escape", "prison break", "jailbreak", "escaped convict"),
    "prison": ("prison", "jail", "prisoner", "inmate", "penitentiary"),
    "cold war": ("cold war", "soviet", "kgb", "iron curtain"),
    "guerre froide": ("cold war", "soviet", "kgb", "iron curtain"),
    "dystopia": ("dystopia", "dystopian", "totalitarian"),
    "serial killer": ("serial killer", "serial murder"),
    "artificial intelligence": ("artificial intelligence", "android", "robot", "cyborg", "computer"),
    "revenge": ("revenge", "vengeance", "avenge"),
    "world war ii": ("world war ii", "world war 2", "second world war", "nazi", "wwii"),
}

WORDS_FR_EN: Final[dict[str, str]] = {
    "guerre": "war", "froide": "cold", "esclavage": "slavery", "esclaves": "slaves", "amitie": "friendship",
    "amour": "love", "mariage": "wedding", "divorce": "divorce", "famille": "family", "enfance": "childhood",
    "ecole": "school", "lycee": "high school", "universite": "college", "prison": "prison",
    "evasion": "escape", "vengeance": "revenge", "requin": "shark", "requins": "shark", "chien": "dog",
    "chiens": "dog", "chat": "cat", "chats": "cat", "cheval": "horse", "chevaux": "horse",
    "dragon": "dragon", "dragons": "dragon", "sorciere": "witch", "sorcieres": "witch", "fantome": "ghost",
    "fantomes": "ghost", "extraterrestre": "alien", "extraterrestres": "alien", "robot": "robot",
    "robots": "robot", "pirates": "pirate", "espion": "spy", "espions": "spy", "espace": "space",
    "temps": "time", "voyage": "travel", "mer": "sea", "ocean": "ocean", "ile": "island", "desert": "desert",
    "montagne": "mountain", "jungle": "jungle", "ville": "city", "campagne": "countryside",
    "noel": "christmas", "drogue": "drug", "drogues": "drug", "argent": "money", "banque": "bank",
    "vol": "robbery", "meurtre": "murder", "meurtres": "murder", "tueur": "killer", "enquete": "investigation",
    "police": "police", "flic": "cop", "flics": "cop", "avocat": "lawyer", "proces": "trial",
    "justice": "justice", "politique": "politics", "president": "president", "election": "election",
    "journaliste": "journalist", "journalisme": "journalism", "musique": "music", "danse": "dance",
    "cuisine": "cooking", "football": "football", "boxe": "boxing", "course": "race", "voiture": "car",
    "voitures": "car", "train": "train", "avion": "airplane", "sous": "under", "marin": "submarine",
    "sous-marin": "submarine", "zombies": "zombie", "morts": "dead", "vivants": "living", "mafia": "mafia",
    "gangsters": "gangster", "gang": "gang", "fin": "end", "monde": "world", "apocalypse": "apocalypse",
    "catastrophe": "disaster", "survie": "survival", "nature": "nature", "animaux": "animal",
    "revolution": "revolution", "roi": "king", "reine": "queen", "chevalier": "knight", "chevaliers": "knight",
    "moyen": "middle", "age": "age", "rome": "rome", "egypte": "egypt", "grece": "greece",
    "vampire": "vampire", "vampires": "vampire", "loup": "wolf", "loups": "wolf", "ours": "bear",
}  # fmt: skip
