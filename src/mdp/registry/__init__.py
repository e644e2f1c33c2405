"""The schema registry: use cases (:mod:`.service`), storage port and adapters (:mod:`.storage`), the
native REST API (:mod:`.api`) and its app factory (:mod:`.app`). See ``docs/registry.md``."""
