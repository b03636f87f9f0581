"""The search page people open first (``GET /``): results, facets, a timeline, a map, the article.

Server-rendered HTML (Jinja templates in ``templates/``) with a little JavaScript in
``static/page.js`` for what HTML cannot do: drag over the timeline or the map, "more"
without a reload, follow a search. Everything it loads comes from this service. The URL
holds the whole state, so a search can be bookmarked and shared.

- :mod:`.state` the page's URL: parameters in, links out (pure)
- :mod:`.timeline`, :mod:`.geo`, :mod:`.marks` what the page draws (pure)
- :mod:`.views` a search or an article as what the templates show
- :mod:`.routes` the Litestar routes, mounted by :mod:`services.index.api`
"""
