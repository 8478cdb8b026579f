"""Scenarios beyond one node: filled in below."""

SCENARIOS = {}
