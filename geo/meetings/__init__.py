"""Coordination meetings and their recommendations (issue 19): store, access rules, files."""
