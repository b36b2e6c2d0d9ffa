"""The weekly topic report: assembled from the store and the week's insight, rendered to a
self-contained HTML file (inline SVG charts), Markdown, CSV/JSON tables and Prefect artifacts.

    weeks.py      ISO weeks in the brand's timezone ([start, end), previous weeks)
    metrics.py    headline numbers and the 8-week trend, from the store
    assemble.py   the `Report` model (insight + metrics + data coverage + what to do next)
    charts.py     inline SVG charts (no JS, no network)
    render.py     HTML (autoescaped), Markdown (escaped), CSV (formula-safe), JSON
    artifacts.py  Prefect artifacts for a flow run (escaped)
"""
