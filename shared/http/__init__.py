"""The HTTP edge every service's routes use: the route table and OpenAPI, bodies, errors."""
