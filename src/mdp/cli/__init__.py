"""The ``mdp`` console script: thin commands that parse, call the library and render through ``output``."""
