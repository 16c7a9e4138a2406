"""Refuses over-long documents before graphql-core's parser sees them.

graphql-core's lexer is pure Python (about 15 µs a token here), so its own max_tokens check still
spends 30-90 ms reading the first 2,000 tokens of a hostile document. This guard counts tokens
with one C-level regular expression first and rejects with the same GRAPHQL_PARSE_FAILED error in
well under a millisecond; MaxTokensLimiter stays on as the exact check for what gets through.

For a valid document the count is graphql-core's (3.3): strings, block strings and comments are one
token each; commas and whitespace none. An invalid document may be refused for its length rather
than its first bad character: GRAPHQL_PARSE_FAILED either way. The count takes linear time
whatever the input (see _TOKEN).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from graphql import GraphQLSyntaxError, Source
from strawberry.extensions import SchemaExtension

# One match per token, with the whitespace and commas before it; the last match may be trailing
# whitespace without a token. Comments count as tokens: graphql-core counts them too, so that
# comment padding cannot get round the limit.
#
# Every search must succeed where it starts: a failed match is retried from the next character,
# and a run of whitespace before a stray character, or a line of unclosed `\"` pairs, then cost
# quadratic time (40 KB: 4.7 s). So an unterminated string is one token to the end of its line
# (a block string: of the document), and any character the lexer would reject is a token of its
# own. Such documents are invalid anyway; they may be refused for their length instead.
_TOKEN = re.compile(
    r"""
    [\s,\ufeff]*+
    (?:
        (?P<token>
            \"\"\" (?: [^"\\]++ | \\\"\"\" | \\ | "(?!"") )*+ (?: \"\"\" | \Z )   # block string
          | " (?: [^"\\\n\r]++ | \\. )*+ "?                            # string
          | \#[^\n\r]*+                                                # comment
          | \.\.\.
          | -?[0-9]++ (?: \.[0-9]++ )? (?: [eE][+-]?[0-9]++ )?             # int or float
          | [_A-Za-z][_0-9A-Za-z]*+                                     # name
          | .                                                         # punctuator, or invalid
        )
      | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)


def over_budget_at(query: str, max_tokens: int) -> int | None:
    """The offset of the token past max_tokens, or None when the document fits."""
    if len(query) <= max_tokens:  # every token takes at least one character
        return None
    # islice walks the matches in C: no Python work per token.
    past = next(islice(_TOKEN.finditer(query), max_tokens, None), None)
    if past is None or past.group("token") is None:
        return None
    return past.start("token")


class TokenBudget(SchemaExtension):
    """Rejects documents longer than max_length characters, or with more than max_tokens tokens
    (as graphql-core would, but faster).

    The length limit is for documents with few but long tokens: graphql-core lexes a 1 MB string,
    comment or name in 0.3-0.8 s. Long values belong in variables, which are JSON.
    """

    def __init__(self, max_tokens: int, max_length: int) -> None:
        self.max_tokens = max_tokens
        self.max_length = max_length

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query and self.execution_context.graphql_document is None:
            if len(query) > self.max_length:
                raise GraphQLSyntaxError(
                    Source(query[: self.max_length + 1]),  # locating the error reads the source
                    self.max_length,
                    f"Document is longer than {self.max_length} characters. Parsing aborted; "
                    "send long values as variables.",
                )
            position = over_budget_at(query, self.max_tokens)
            if position is not None:
                raise GraphQLSyntaxError(
                    Source(query),
                    position,
                    f"Document contains more than {self.max_tokens} tokens. Parsing aborted.",
                )
        yield
