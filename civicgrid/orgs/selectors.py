"""Reads of the organisation tree, its people and posts."""
