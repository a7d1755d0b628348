"""OGC API – Features pieces that are not routes: parameters, OpenAPI 3.0, HTML pages."""
