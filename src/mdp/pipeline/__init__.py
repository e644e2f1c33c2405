"""The enforcement pipeline: consume ``md.bars.raw``, enforce, forward to ``md.bars`` or dead-letter.

Modules: :mod:`~mdp.pipeline.service` (the loop), :mod:`~mdp.pipeline.feedback` (flow control, pure),
:mod:`~mdp.pipeline.dlq` (DLQ records and tools), :mod:`~mdp.pipeline.replay` (feeding files in),
:mod:`~mdp.pipeline.relay` (the registry outbox relay), :mod:`~mdp.pipeline.runtime` (wiring),
:mod:`~mdp.pipeline.app` (/health, /metrics). See docs/pipeline.md.
"""
