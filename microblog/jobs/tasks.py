"""Tasks run by ``microblog worker`` (and the worker inside ``microblog serve``)."""
