"""Abstract test suites, one per port, subclassed once per adapter."""
