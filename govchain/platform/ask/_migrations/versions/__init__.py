"""Revisions of the ASK catalogue, oldest first; written by hand, checked against the models."""
