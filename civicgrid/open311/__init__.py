"""Open311 GeoReport v2: the standard door for civic apps, city CRMs and open-data tools (docs/open311.md)."""
