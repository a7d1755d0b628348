"""Pure map rendering (folium advocacy maps, matplotlib print maps and dossier PDFs):
GeoDataFrames and plain dicts in, HTML / PNG / PDF bytes out. No database, no HTTP."""
