"""Reading papers: a paper as Markdown, with its full text from arXiv's HTML rendering.

markdown.py    the Markdown page of a paper (metadata, abstract, full text or a note)
arxiv_html.py  arXiv's HTML rendering (LaTeXML) -> Markdown, bounded
fulltext.py    what a reader gets of the full text: the text, or why there is none
service.py     ``Reader``: fetches on first read in a small pool, stores, serves
"""
