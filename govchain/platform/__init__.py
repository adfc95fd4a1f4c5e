"""The platform services: anchoring first, then archive, mailroom, open data, ..."""
