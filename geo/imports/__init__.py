"""Imports of agencies' CSV/XLSX files: read, validate row by row, write in one transaction.

Modules, one job each: `reading` (bytes → table of strings with file lines), `templates` (column
names per kind), `parsing` (vectorised value parsers), `countries`, `positions`, `places`, `codes`
(controlled lists), `problems` (rejections by line), `validate` (rows → normalised frame +
rejections), `store` (staging COPY and set-based upserts), `report`, `service` (the whole import);
`foreign` and `foreign_store` do the validation and the writing for the foreign-national templates
(orang_asing, penginapan, kegiatan; issue 17), `freetext` the warnings on free text.
"""
