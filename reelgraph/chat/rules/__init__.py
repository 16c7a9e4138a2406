"""The rule-based chat parser: passes over the message's tokens, then a merge with the previous
turn. The pipeline is declared in ``parser.PASSES`` and described in ``parser``'s docstring.

Modules: ``text`` (tokens and their marks), ``turn`` (what the passes share and fill in), the
passes ``references``, ``names``, ``numbers``, ``vocabulary`` and ``leftovers``, ``merge`` (the
turn combined with the previous state) and ``parser`` (``RuleParser``, running them in order).
"""

from reelgraph.chat.rules.parser import PASSES, RuleParser

__all__ = ["PASSES", "RuleParser"]
