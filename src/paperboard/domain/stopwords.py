"""Words that carry no content for search: a query's free words that are one of these match
nothing, in any field, whichever keyword engine answers.

The list is PostgreSQL's ``english`` text search stop list (``tsearch_data/english.stop``, the
Snowball one), so the tsvector engine (which drops these from every ``english`` tsquery) and
the tantivy index drop the same words. Dropping them only from titles and abstracts is not
enough: in author names ("Shideh Davarpanah for the NUSES Collaboration", "Hou In Ivan Tam",
the initial "A.") they are rare, so they score high and rank papers that share no content
word with the query (issue 18).
"""

from __future__ import annotations

_STOP_LIST = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under
    again further then once here there when where why how all any both each few more most
    other some such no nor not only own same so than too very s t can will just don should now
"""
STOPWORDS = frozenset(_STOP_LIST.split())


def content_words(words: list[str]) -> list[str]:
    """``words`` (lower case) without stopwords, in order."""
    return [word for word in words if word not in STOPWORDS]
