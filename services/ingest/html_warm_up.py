"""Imported once by the server process that extraction workers fork from (see
:mod:`services.ingest.extraction`): readies trafilatura there — imported, and a first
extraction done, which loads its stoplists and compiles its patterns — so that a new
worker's first page costs what any other page does. Nothing else imports it.
"""

from services.ingest.html_text import page_text

page_text(
    "<html><body><article><h1>Harbour budget approved</h1>"
    + "<p>The harbour council voted on Tuesday to approve the budget for the old docks.</p>" * 5
    + "</article></body></html>"
)
