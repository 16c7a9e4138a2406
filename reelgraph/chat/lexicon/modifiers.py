"""Vocabulary: how the user narrows a search. Time, quality, length, sorting and trending, and
the comparatives measured against the previous turn ("shorter", "funnier")."""

from __future__ import annotations

from reelgraph.chat.lexicon.defaults import (
    ACCLAIMED_RATING,
    CLASSIC_YEAR_TO,
    GOOD_RATING,
    LONG_RUNTIME,
    MASTERPIECE_RATING,
    MODERN_YEAR_FROM,
    NOT_TOO_LONG_RUNTIME,
    SHORT_RUNTIME,
)
from reelgraph.chat.lexicon.effects import Effect, PhraseTable, genre, mood
from reelgraph.chat.lexicon.genres import ACTION, COMEDY, DRAMA, FAMILY, HORROR, ROMANCE

MODIFIER_PHRASES = PhraseTable()
_add = MODIFIER_PHRASES.add

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
_add(genre(FAMILY), "year old", "years old", "year olds")
# Negated age: "pas trop ancien" asks for recent movies.
_add(Effect("time", relative="recent"), "pas trop ancien", "pas trop ancienne", "pas trop anciens")
_add(Effect("time", relative="recent"), "pas trop anciennes", "pas trop vieux", "pas trop vieille")
_add(Effect("time", relative="recent"), "not too old", "nothing too old", "rien de trop ancien")
# "the older the better": a preference said as an idiom, not a comparison with the last turn.
_add(Effect("time", year_to=CLASSIC_YEAR_TO), "the older the better", "plus c est vieux mieux c est")
_add(Effect("time", relative="recent"), "the newer the better", "the more recent the better")
_add(Effect("length", runtime_max=SHORT_RUNTIME), "the shorter the better", "plus c est court mieux c est")
_add(mood(COMEDY), "the funnier the better")
_add(mood(HORROR), "the scarier the better")
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
_add(Effect("sort", sort="VOTE_AVERAGE_DESC"), "best first", "by rating", "par note", "top")
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
_add(Effect("compare", relative="better"), "mieux notes")
_add(Effect("compare", relative="better"), "higher ratings", "better ratings", "de meilleure qualite")
_add(
    Effect("compare", relative="popular"), "more popular", "plus populaire", "plus populaires", "better known"
)
_add(Effect("compare", relative="popular"), "more famous", "mainstream", "plus mainstream", "plus connu")
_add(mood(COMEDY), "funnier", "plus drole", "plus droles", "more fun", "lighter", "plus leger", "plus legers")
_add(mood(COMEDY), "less serious", "moins serieux", "more lighthearted", "plus marrant", "plus marrants")
_add(mood(HORROR), "scarier", "plus effrayant", "plus effrayants", "more scary", "plus flippant", "creepier")
_add(mood(ACTION), "more action", "plus d action", "more exciting")
_add(mood(ROMANCE), "more romantic", "plus romantique", "plus romantiques")
_add(mood(DRAMA), "more serious", "plus serieux", "sadder", "plus triste", "plus tristes", "deeper")
