"""Vocabulary: what a movie is about. Genres (the everyday words too), moods, topics (TMDb
keywords), and languages and countries, in the folded form ``folding.normalize`` produces."""

from __future__ import annotations

from reelgraph.chat.lexicon.effects import Effect, PhraseTable, genre, mood, topic
from reelgraph.chat.lexicon.genres import (
    ACTION,
    ADVENTURE,
    ANIMATION,
    COMEDY,
    CRIME,
    DOCUMENTARY,
    DRAMA,
    FAMILY,
    FANTASY,
    HISTORY,
    HORROR,
    MUSIC,
    MYSTERY,
    ROMANCE,
    SCIFI,
    THRILLER,
    TV_MOVIE,
    WAR,
    WESTERN,
)

SUBJECT_PHRASES = PhraseTable()
_add = SUBJECT_PHRASES.add

# -- genres (the everyday words too) ---------------------------------------------------------------
_add(genre(ACTION), "action", "action movie", "action movies", "action film", "action films", "actioner")
_add(genre(ACTION), "film d action", "films d action", "de l action", "d action")
_add(genre(ADVENTURE), "adventure", "adventures", "adventure movie", "adventure movies")
_add(
    genre(ADVENTURE),
    "aventure",
    "aventures",
    "film d aventure",
    "films d aventure",
    "d aventure",
    "d aventures",
)
_add(genre(ANIMATION), "animation", "animated", "cartoon", "cartoons", "animated movie", "animated movies")
_add(genre(ANIMATION), "dessin anime", "dessins animes", "dessin animated", "dessins animated")
_add(genre(ANIMATION), "film d animation", "films d animation", "d animation", "pixar")
_add(Effect("genre", genres=(ANIMATION,), language="ja"), "anime", "animes", "japanimation")
_add(genre(COMEDY), "comedy", "comedies", "comedie", "comedies", "comique", "comiques", "comedy movie")
_add(
    genre(COMEDY, ROMANCE),
    "rom com",
    "romcom",
    "rom coms",
    "romcoms",
    "romantic comedy",
    "romantic comedies",
)
_add(genre(COMEDY, ROMANCE), "comedie romantique", "comedies romantiques")
_add(topic("dark comedy", genres=(COMEDY,)), "dark comedy", "black comedy", "comedie noire", "humour noir")
_add(
    genre(CRIME),
    "crime",
    "crime movie",
    "crime movies",
    "crime film",
    "crime films",
    "gangster",
    "gangsters",
)
_add(genre(CRIME), "mafia", "mob", "mob movie", "mob movies", "film noir", "noir")
_add(genre(CRIME), "policier", "policiers", "polar", "polars", "film policier", "films policiers")
_add(genre(CRIME), "film de gangsters", "films de gangsters", "de gangsters")
_add(genre(DOCUMENTARY), "documentary", "documentaries", "doc", "docs", "docu", "docus")
_add(genre(DOCUMENTARY), "documentaire", "documentaires")
_add(genre(DRAMA), "drama", "dramas", "dramatic", "drame", "drames", "dramatique", "dramatiques")
_add(genre(FAMILY), "family", "family movie", "family movies", "family friendly", "kid friendly", "kids")
_add(genre(FAMILY), "for kids", "for the kids", "with the kids", "with my kids", "children", "for children")
_add(genre(FAMILY), "familial", "familiale", "familiaux", "familiales", "en famille", "pour enfants")
_add(genre(FAMILY), "pour les enfants", "avec les enfants", "pour les petits", "film pour enfants")
_add(genre(FAMILY), "pour toute la famille", "toute la famille", "for the whole family", "whole family")
_add(genre(FANTASY), "fantasy", "fantasies", "fantastique", "fantastiques", "heroic fantasy")
_add(genre(HISTORY), "history", "historical", "period piece", "period drama", "historique", "historiques")
_add(genre(HISTORY), "film historique", "films historiques", "film d epoque", "films d epoque")
_add(genre(HORROR), "horror", "horror movie", "horror movies", "horror film", "horror films", "horreur")
_add(genre(HORROR), "d horreur", "film d horreur", "films d horreur", "epouvante", "d epouvante", "l horreur")
_add(topic("slasher", genres=(HORROR,)), "slasher", "slashers")
_add(genre(MUSIC), "music", "musical", "musicals", "musique", "comedie musicale", "comedies musicales")
_add(genre(MUSIC), "musicale", "musicales", "concert", "concerts")
_add(genre(MYSTERY), "mystery", "mysteries", "whodunit", "whodunnit", "detective", "detective story")
_add(genre(MYSTERY), "murder mystery", "mystere", "mysteres", "enquete", "enquetes", "film d enquete")
_add(genre(ROMANCE), "romance", "romances", "love story", "love stories", "histoire d amour")
_add(genre(ROMANCE), "histoires d amour")
_add(genre(SCIFI), "sci fi", "scifi", "science fiction", "sf", "sci fi movie", "sci fi movies", "futuristic")
_add(genre(SCIFI), "de science fiction", "film de science fiction", "films de science fiction", "futuriste")
_add(genre(SCIFI), "de sf", "futuristes")
_add(genre(TV_MOVIE), "tv movie", "tv movies", "made for tv", "telefilm", "telefilms")
_add(genre(THRILLER), "thriller", "thrillers")
_add(genre(WAR), "war", "war movie", "war movies", "war film", "war films", "guerre", "de guerre")
_add(genre(WAR), "film de guerre", "films de guerre")
_add(genre(WESTERN), "western", "westerns", "cowboy", "cowboys", "spaghetti western")

# -- moods ------------------------------------------------------------------------------------------
_add(mood(COMEDY), "feel good", "feelgood", "uplifting", "heartwarming", "lighthearted", "light hearted")
_add(mood(COMEDY), "funny", "hilarious", "laugh", "a laugh", "cheerful", "fun")
_add(mood(COMEDY), "qui fait du bien", "qui font du bien", "bonne humeur", "pour rire", "drole", "droles")
_add(mood(COMEDY), "marrant", "marrants", "rigolo", "rigolos", "rigolote", "leger", "legers", "humour")
_add(mood(COMEDY), "feel good movie", "pour se detendre", "detente", "relaxing", "chill", "light")
_add(mood(HORROR), "scary", "creepy", "terrifying", "frightening", "spooky", "chilling", "horrifying")
_add(mood(HORROR), "qui fait peur", "qui font peur", "effrayant", "effrayants", "flippant", "flippants")
_add(mood(HORROR), "terrifiant", "terrifiants", "pour avoir peur", "angoissant", "angoissants")
_add(mood(THRILLER), "suspenseful", "suspense", "tense", "gripping", "edge of my seat", "nail biting")
_add(mood(THRILLER), "thrilling", "a suspense", "haletant", "haletants", "plein de suspense", "palpitant")
_add(mood(THRILLER), "palpitants", "prenant", "prenants")
_add(
    mood(keywords=("twist ending", "dream", "surreal", "nonlinear")),
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
_add(mood(DRAMA), "sad", "tearjerker", "tear jerker", "emotional", "moving", "touching", "poignant")
_add(mood(DRAMA), "pour pleurer", "qui fait pleurer", "qui font pleurer", "triste", "tristes")
_add(mood(DRAMA), "emouvant", "emouvants", "touchant", "touchants", "bouleversant", "bouleversants")
_add(mood(DRAMA), "inspiring", "inspirational", "inspirant", "inspirants", "motivant")
_add(mood(ROMANCE), "romantic", "romantique", "romantiques", "date night", "for a date", "pour un date")
_add(mood(ACTION), "action packed", "explosive", "adrenaline", "qui bouge", "qui bougent", "bourrin")
_add(mood(ACTION), "bourrins", "plein d action")
_add(mood(ADVENTURE), "epic", "epics", "epique", "epiques", "swashbuckling")
_add(
    mood(DRAMA, keywords=("philosophy", "philosophical", "thought-provoking")),
    "thought provoking",
    "philosophical",
    "qui fait reflechir",
    "qui font reflechir",
    "philosophique",
    "philosophiques",
)

# -- topics (TMDb keywords) -------------------------------------------------------------------------
_add(topic("zombie"), "zombie", "zombies", "undead", "morts vivants")
_add(topic("time travel"), "time travel", "time traveling", "voyage dans le temps", "voyages dans le temps")
_add(topic("heist"), "heist", "heists", "heist movie", "braquage", "braquages", "casse", "film de casse")
_add(topic("christmas"), "christmas", "xmas", "noel", "de noel")
_add(topic("superhero"), "superhero", "superheroes", "super hero", "super heroes", "super heros", "marvel")
_add(topic("space"), "space", "in space", "outer space", "dans l espace", "l espace", "spatial")
_add(topic("robot"), "robot", "robots")
_add(topic("vampire"), "vampire", "vampires")
_add(topic("werewolf"), "werewolf", "werewolves", "loup garou", "loups garous")
_add(topic("serial killer"), "serial killer", "serial killers", "tueur en serie", "tueurs en serie")
_add(
    topic("based on true story"),
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
_add(topic("revenge"), "revenge", "vengeance")
_add(topic("dystopia"), "dystopia", "dystopian", "dystopie", "dystopique", "dystopiques")
_add(topic("post-apocalyptic"), "post apocalyptic", "apocalyptic", "post apocalyptique", "apocalypse")
_add(topic("martial arts"), "martial arts", "kung fu", "arts martiaux", "karate")
_add(topic("spy"), "spy", "spies", "espionage", "espion", "espions", "espionnage")
_add(
    topic("alien"),
    "alien",
    "aliens",
    "extraterrestre",
    "extraterrestres",
    "extra terrestre",
    "extra terrestres",
)
_add(topic("artificial intelligence"), "artificial intelligence", "ia", "intelligence artificielle")
_add(topic("sport"), "sport", "sports", "sports movie", "de sport")
_add(topic("road trip"), "road trip", "road movie", "road trips")
_add(topic("high school"), "high school", "lycee", "lyceens")
_add(
    topic("coming of age"), "coming of age", "passage a l age adulte", "teen", "teens", "ados", "adolescents"
)
_add(topic("ghost"), "ghost", "ghosts", "fantome", "fantomes", "haunted house", "maison hantee")
_add(topic("dinosaur"), "dinosaur", "dinosaurs", "dinosaure", "dinosaures")
_add(topic("shark"), "shark", "sharks", "requin", "requins")
_add(topic("pirate"), "pirate", "pirates")
_add(topic("boxing"), "boxing", "boxe")
_add(topic("world war ii", genres=(WAR,)), "world war ii", "world war 2", "ww2", "wwii", "second world war")
_add(topic("world war ii", genres=(WAR,)), "seconde guerre mondiale", "deuxieme guerre mondiale")
_add(topic("biography"), "biopic", "biopics", "biography", "biographical", "biographie", "biographique")
_add(topic("musical"), "broadway")
_add(topic("magic"), "magic", "magie", "wizard", "wizards", "sorcier", "sorciers")
_add(topic("witch"), "witch", "witches", "sorciere", "sorcieres")
_add(topic("monster"), "monster", "monsters", "monstre", "monstres")
_add(topic("cyberpunk"), "cyberpunk")
_add(topic("conspiracy"), "conspiracy", "complot", "complots")
_add(topic("prison"), "prison", "jail", "en prison")
_add(topic("wedding"), "wedding", "weddings", "mariage", "mariages")
_add(topic("paris"), "paris", "in paris", "a paris")
_add(topic("new york city"), "new york", "nyc", "a new york")
_add(topic("friendship"), "friendship", "amitie")
_add(topic("survival"), "survival", "survie")
_add(topic("disaster"), "disaster", "disaster movie", "catastrophe", "film catastrophe")
_add(topic("hacker"), "hacker", "hackers", "hacking", "pirate informatique")
_add(topic("virtual reality"), "virtual reality", "realite virtuelle")
_add(topic("dog"), "dog", "dogs", "chien", "chiens")
_add(topic("samurai"), "samurai", "samourai", "samourais")
_add(topic("fairy tale"), "fairy tale", "fairy tales", "conte de fees", "contes de fees", "conte")
_add(topic("found footage"), "found footage")
_add(topic("police"), "cop", "cops", "flic", "flics")

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
