"""The one-company sheet ("Lembar perusahaan"): one company's data, its workers aggregated (named
only when made with personal data), its inspections with follow-up, and a small location map.

`content.gather` reads and protects the data, `pdf.render` and `xlsx.render` lay it out,
`locator.draw` draws the map. The caller checks the company is in the user's scope and whether the
user may have personal data (api/routes/reports.py)."""
