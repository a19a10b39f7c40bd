"""Offline assets: Folium's CDN links rewritten to /static/vendor, and the single-file inliner."""

from __future__ import annotations

import re

import folium
import folium.plugins
import pytest

from geo.maps.assets import STATIC_DIR, AssetError, inline_assets, localize
from geo.maps.classify import ZERO_COLOR, classify


def folium_map() -> folium.Map:
    m = folium.Map(location=[-1.5, 113.5], zoom_start=7, tiles=None, maxZoom=18)
    folium.plugins.MarkerCluster().add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.HeatMap([[-1.5, 113.5, 1]]).add_to(m)
    return m


def test_localize_leaves_no_external_asset():
    html = localize(folium_map()).get_root().render()
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/static/vendor/") for u in urls), urls
    for url in urls:
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url
    # Another map built afterwards is untouched (the rewrite is per instance).
    assert "cdn.jsdelivr.net" in folium.Map().get_root().render()


def test_inline_assets_makes_one_self_contained_file():
    html = inline_assets(localize(folium_map()).get_root().render())
    assert not re.search(r'(?:src|href)="/static/', html)
    assert not re.search(r"url\(\s*[\"']?(?!data:)[^)]*\.(png|svg|woff2?|ttf)", html)
    assert "L.markerClusterGroup" in html and "data:image/png;base64," in html  # Leaflet CSS images


def test_unknown_external_assets_are_refused():
    with pytest.raises(AssetError, match="example.org"):
        inline_assets('<script src="https://example.org/x.js"></script>')
    m = folium.Map(tiles=None)
    m.default_js = [*m.default_js, ("mystery", "https://example.org/m.js")]
    with pytest.raises(AssetError, match="mystery"):
        localize(m)


def test_classification_says_how_it_classed():
    natural = classify([0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 50, 51, 100, 3, 2])
    assert natural.method.startswith("natural breaks (Fisher-Jenks)")
    assert natural.bins[0].label == "0" and natural.bins[0].color == ZERO_COLOR
    assert sum(b.count for b in natural.bins) == 15
    assert natural.bins[-1].upper == 100
    unique = classify([0, 3, 3, 7])
    assert unique.method.startswith("nilai unik") and [b.label for b in unique.bins] == ["0", "3", "7"]
    assert unique.color(7) != unique.color(3) != unique.color(0)
    equal = classify([1, 2, 3, 4, 5, 9, 10])
    assert equal.method.startswith("interval sama") and sum(b.count for b in equal.bins) == 7
