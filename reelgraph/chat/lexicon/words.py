"""Vocabulary: the words the rule parser reads around the phrases. Conversation markers,
negation, stopwords, the triggers before names and titles, ordinals, number words and the
hints that tell French from English."""

from __future__ import annotations

from typing import Final

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
        "sais", "sait", "savons", "savez", "savent", "savoir", "connais", "connait", "pense", "crois",
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
        # interjections and slang that carry no filter
        "lol", "lmao", "haha", "mdr", "gimme", "gonna", "dunno",
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
# Person triggers that name a director: a bare surname after them prefers people who direct.
DIRECTING_TRIGGERS: Final = frozenset(
    {
        "directed by", "by director", "from director", "director", "made by", "realise par",
        "realises par", "realisee par", "du realisateur", "de la realisatrice", "le realisateur",
        "la realisatrice", "dirigé par", "movies by", "films by", "films de", "film de", "un film de",
        "les films de", "signe", "signes",
    }
)  # fmt: skip
# Similar-to triggers: what comes after them is a title ("like Inception", "comme Amélie").
_SIMILAR_PHRASES = (
    "like", "similar to", "similar", "in the vein of", "in the style of", "reminiscent of", "along the lines of",
    "movies like", "films like", "something like", "anything like", "stuff like", "more like", "the likes of",
    "comme", "du genre de", "dans le genre de", "dans le style de", "similaire a", "similaires a",
    "qui ressemble a", "qui ressemblent a", "proche de", "proches de", "du meme genre que",
    "i liked", "i loved", "i enjoyed", "if i liked", "if you liked", "fans of", "fan of", "j ai aime",
    "j ai adore", "j ai bien aime", "since i liked", "because i liked", "apres avoir vu", "i just watched",
    "je viens de voir", "plus comme", "same vibe as", "same as", "le meme que", "pareil que",
)  # fmt: skip
# Taste statements: "I loved Alien" asks for more like it (and a signed-in viewer may rate it);
# "I hated Alien" hides it and what is like it. The liked ones are similar-to triggers too.
LIKED_TRIGGERS: Final = (
    "i liked", "i loved", "i enjoyed", "i adored", "i really liked", "i really loved", "i really enjoyed",
    "i just loved", "i absolutely loved", "i love", "i like", "i enjoy", "loved", "really liked",
    "really enjoyed", "j ai aime", "j ai adore", "j ai bien aime", "j ai beaucoup aime", "j ai vraiment aime",
    "j ai vraiment adore", "j ai kiffe", "j adore", "j aime", "j ai ador", "j ai trop aime", "adore",
    "j aime bien", "j aime beaucoup", "j adore vraiment",
    # "we really enjoyed Up": the same statements by several viewers
    *(
        f"we {adverb}{verb}"
        for adverb in ("", "really ", "just ", "absolutely ", "all ", "both ")
        for verb in ("liked", "loved", "enjoyed", "adored", "love", "like", "enjoy")
    ),
    "on a adore", "on a aime", "on a bien aime", "on a vraiment aime", "on a vraiment adore", "nous avons adore",
    "nous avons aime",
)  # fmt: skip
DISLIKED_TRIGGERS: Final = (
    "i hated", "i hate", "i disliked", "i didn t like", "i did not like", "i didn t enjoy", "i did not enjoy",
    "i really hated", "i really disliked", "i couldn t stand", "i can t stand", "hated", "not a fan of",
    "j ai deteste", "je deteste", "j ai pas aime", "je n ai pas aime", "j ai horreur de", "j ai vraiment deteste",
    "j ai pas du tout aime", "je n ai pas du tout aime", "deteste",
)  # fmt: skip
SIMILAR_TRIGGERS: Final = (*_SIMILAR_PHRASES, *(t for t in LIKED_TRIGGERS if t not in _SIMILAR_PHRASES))
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
        "j", "ai", "adore", "aime", "deteste", "vu", "sur", "ce", "ces", "sont",
        "mon", "ma", "mes", "nous", "vous", "tu", "te", "sais", "peux", "voudrais", "aimerais", "envie",
        "sorti", "sortis", "duree", "entre", "apres", "avant", "depuis", "celle",
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
        "liked", "loved", "hated", "enjoyed", "watch", "watched", "set", "based", "story", "true", "my",
        "you", "can", "could", "would", "we", "tonight", "which", "where",
    }
)  # fmt: skip
