"""Feed strategies written only for the tests, registered the way a plugin would be."""
