"""geo.maps.csp: inline scripts are written only when their text cannot leave the element, and
allowed by the hash of exactly that text (the browser tests run the pages under those policies)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from geo.maps.csp import InlineScripts, UnsafeInlineScript, script_element, script_hash


@pytest.mark.parametrize("source", ["a = '</script><script>alert(1)</script>';", "x = '<!--';", "y = '<SCRIPT>';"])
def test_script_that_would_break_out_is_refused(source):
    with pytest.raises(UnsafeInlineScript):
        script_element(source)


def test_hash_is_of_the_exact_text_as_the_parser_sees_it():
    scripts = InlineScripts()
    tag = scripts.element("var a = 1;\r\nvar b = 2;")
    assert tag == "<script>var a = 1;\nvar b = 2;</script>"
    expected = base64.b64encode(hashlib.sha256(b"var a = 1;\nvar b = 2;").digest()).decode()
    assert scripts.hashes == [f"'sha256-{expected}'"] == [script_hash("var a = 1;\nvar b = 2;")]
    scripts.element("var a = 1;\nvar b = 2;")
    assert len(scripts.hashes) == 1  # the same script twice: one hash
