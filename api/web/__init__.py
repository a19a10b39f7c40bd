"""HTML pages (Bahasa Indonesia), one module per page family, each exposing `router`."""
