"""Places: the GeoNames gazetteer, transliteration, geoparsing and resolving a place query."""
