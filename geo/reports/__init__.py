"""Map reports for coordination meetings (rakor): a PDF atlas, an offline HTML file, an XLSX annex.

`gather()` reads everything a report shows into one plain, sorted, JSON-safe `ReportData`;
the renderers (pdf, html, xlsx) only lay it out, so the three formats show the same figures and
the content hash printed on every page is computed over exactly what was rendered.
"""

