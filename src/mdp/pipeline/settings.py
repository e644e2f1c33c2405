"""``PipelineSettings``: what ``mdp pipeline run`` reads from the environment (CLI flags override).

It extends :class:`~mdp.pulse.settings.PulseSettings` (bus, Redis, delivery knobs) and therefore
:class:`~mdp.settings.MdpSettings` (``REGISTRY_*`` enforcement settings of seed 002). Built in ``main()``
or the app factory, never at import.
"""

from __future__ import annotations

import os
import re
import socket

from pydantic import Field, field_validator

from mdp.pulse.settings import PulseSettings
from mdp.pulse.streams import BARS, BARS_RAW

DEFAULT_PORT = 8080  # seed 002: curl http://localhost:8080/health
_STREAM = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
_BINDING = re.compile(r"^(?:(v[0-9]{1,3})/)?([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)$")


def default_consumer() -> str:
    """``<hostname>-<pid>``: unique per process, readable in XINFO CONSUMERS."""
    return f"{socket.gethostname()}-{os.getpid()}"


class PipelineSettings(PulseSettings):
    """Settings of the pipeline service (consume, enforce, forward or dead-letter)."""

    pipeline_host: str = Field(default="127.0.0.1", validation_alias="MDP_PIPELINE_HOST")
    pipeline_port: int = Field(default=DEFAULT_PORT, ge=1, le=65_535, validation_alias="MDP_PIPELINE_PORT")
    pipeline_input_stream: str = Field(
        default=BARS_RAW,
        pattern=_STREAM,
        validation_alias="MDP_PIPELINE_INPUT_STREAM",
        description="Stream the pipeline consumes (group 'pipeline').",
    )
    pipeline_output_stream: str = Field(
        default=BARS,
        pattern=_STREAM,
        validation_alias="MDP_PIPELINE_OUTPUT_STREAM",
        description="Stream valid (and warn-mode) messages are forwarded to.",
    )
    pipeline_dlq_stream: str | None = Field(
        default=None,
        pattern=_STREAM,
        validation_alias="MDP_PIPELINE_DLQ_STREAM",
        description="Where rejected messages go. Default: <output stream>.dlq (md.bars.dlq).",
    )
    pipeline_schema: str = Field(
        default="md.Bar",
        validation_alias="MDP_PIPELINE_SCHEMA",
        description="Schema the input stream carries: NAME (on REGISTRY_TRACK) or TRACK/NAME.",
    )
    pipeline_batch_size: int = Field(
        default=1000, ge=1, le=100_000, validation_alias="MDP_PIPELINE_BATCH_SIZE"
    )
    pipeline_block_ms: int = Field(default=1000, ge=1, le=60_000, validation_alias="MDP_PIPELINE_BLOCK_MS")
    pipeline_consumer: str = Field(
        default_factory=default_consumer,
        min_length=1,
        max_length=200,
        validation_alias="MDP_PIPELINE_CONSUMER",
        description="Consumer name in the group. Default <hostname>-<pid>.",
    )
    pipeline_soft_delay_ms: int = Field(
        default=200,
        ge=0,
        le=60_000,
        validation_alias="MDP_PIPELINE_SOFT_DELAY_MS",
        description="Pause between batches while the store reports soft backpressure (batches also halve).",
    )
    pipeline_feedback_ttl_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        validation_alias="MDP_PIPELINE_FEEDBACK_TTL_S",
        description="A coordinator's feedback level not refreshed for this long expires (to ok).",
    )
    pipeline_max_output_backlog: int = Field(
        default=2_000_000,
        ge=0,
        validation_alias="MDP_PIPELINE_MAX_OUTPUT_BACKLOG",
        description="Entries of the output stream the downstream group has not finished; at this many the "
        "pipeline pauses whatever feedback says (soft from 80 %). 0 disables the guard.",
    )
    pipeline_downstream_group: str = Field(
        default="store",
        min_length=1,
        validation_alias="MDP_PIPELINE_DOWNSTREAM_GROUP",
        description="Consumer group of the output stream whose backlog the guard watches.",
    )
    pipeline_stats_interval_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        validation_alias="MDP_PIPELINE_STATS_INTERVAL_S",
        description="How often windowed ValidationStats are published on telemetry.validation.",
    )
    pipeline_housekeeping_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        validation_alias="MDP_PIPELINE_HOUSEKEEPING_S",
        description="How often the DLQ depth and the output backlog are read and the consumed input trimmed.",
    )

    @field_validator("pipeline_schema")
    @classmethod
    def _binding(cls, value: str) -> str:
        if not _BINDING.match(value):
            raise ValueError("must be NAME or TRACK/NAME, e.g. md.Bar or v1/md.Bar")
        return value

    @property
    def dlq_stream(self) -> str:
        """The DLQ stream in force."""
        return self.pipeline_dlq_stream or f"{self.pipeline_output_stream}.dlq"

    @property
    def binding(self) -> tuple[str, str]:
        """``(track, name)`` of the input stream's schema."""
        match = _BINDING.match(self.pipeline_schema)
        assert match is not None  # checked by the validator
        return match.group(1) or self.registry_track, match.group(2)


__all__ = ["DEFAULT_PORT", "PipelineSettings", "default_consumer"]
