"""HTTP: the HTML pages and the JSON API, both thin layers over ``microblog.service``."""
