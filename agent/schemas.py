"""Marshmallow schemas for the agent's request bodies (unknown fields rejected).

Numbers are strict: a JSON string such as "2" or a boolean is not a number
here, so a controller bug surfaces as a 422 instead of a surprising limit.
The node-dependent ceilings (CPU cores, memory) come from the config and are
given to the schema's constructor (marshmallow 4 has no Schema.context).
"""

from __future__ import annotations

import math
import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from agent.config import DEFAULT_ENV_ALLOWLIST, ENV_NAME_RE

BOOKING_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
CONTAINER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
CONTROLLER_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
MIN_MEMORY_GB = 1 / 64  # 16 MiB: below that Docker refuses or the container cannot start
MIN_CPU_CORES = 0.01  # Docker's own floor for NanoCpus
MAX_GPU_COUNT = 16  # GPUs one session may ask for
MAX_START_IN = 10  # seconds a start may be sent ahead of its instant


class StrictFloat(fields.Float):
    """A JSON number (int or float), never a string or a boolean; finite."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid number.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Not a finite number.")
        return float(value)


class StrictInteger(fields.Integer):
    """A JSON integer, never a float, string or boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return value


class StrictString(fields.String):
    """A JSON string without NUL characters (Docker cannot pass those on)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        if "\x00" in value:
            raise ValidationError("Must not contain NUL characters.")
        return value


class BookingId(fields.Field):
    """A booking id: a positive integer or a short [A-Za-z0-9_.-] string; loaded as str."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid booking id.")
        if isinstance(value, int):
            if value < 0:
                raise ValidationError("Must be a non-negative integer or a short string.")
            return str(value)
        if isinstance(value, str) and BOOKING_ID_RE.match(value):
            return value
        raise ValidationError("Must be an integer or match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.")


class StartContainerSchema(Schema):
    """Body of POST /start_container."""

    class Meta:
        unknown = RAISE

    booking_id = BookingId(required=True)
    image = StrictString(required=True, validate=validate.Length(min=1, max=255))
    cpu_cores = StrictFloat(required=True)
    memory_gb = StrictFloat(required=True)
    gpu_count = StrictInteger(load_default=0, validate=validate.Range(min=0, max=MAX_GPU_COUNT))
    port = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(1, 65535))
    command = fields.List(
        StrictString(validate=validate.Length(max=4096)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
    )
    env = fields.Dict(
        keys=StrictString(validate=validate.Regexp(ENV_NAME_RE)),
        values=StrictString(validate=validate.Length(max=4096)),
        load_default=dict,
        validate=validate.Length(max=64),
    )
    # Publish the session's port on the node (AGENT_PUBLISH_ADDRESS), off AGENT_SESSION_NETWORK
    # if one is set: for a session that is not HTTP (SSH), which no proxy carries.
    publish = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    # The controller installation's id: in the container's name and labels, so that
    # controllers sharing an engine never meet each other's containers.
    controller_id = StrictString(load_default=None, allow_none=True,
                                 validate=validate.Regexp(CONTROLLER_ID_RE))
    # Make the container ahead of the booking's start, paused; the start unpauses it.
    prepare = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    # Seconds to hold a start before running it (a prepared session's start sent ahead).
    start_in = StrictFloat(load_default=None, allow_none=True, validate=validate.Range(0, MAX_START_IN))

    def __init__(self, *, max_cpu_cores: float, max_memory_gb: float,
                 env_allowlist: tuple[str, ...] = DEFAULT_ENV_ALLOWLIST, **kwargs):
        super().__init__(**kwargs)
        self.max_cpu_cores = max_cpu_cores
        self.max_memory_gb = max_memory_gb
        self.env_allowlist = frozenset(env_allowlist)

    @validates("env")
    def _check_env_names(self, value: dict, data_key: str) -> None:
        refused = sorted(name for name in value if name not in self.env_allowlist)
        if refused:
            raise ValidationError({
                name: ["Not a variable this node passes to containers (see AGENT_ENV_ALLOWLIST)."]
                for name in refused
            })

    @validates("cpu_cores")
    def _check_cpu(self, value: float, data_key: str) -> None:
        if not MIN_CPU_CORES <= value <= self.max_cpu_cores:
            raise ValidationError(
                f"Must be between {MIN_CPU_CORES} and {self.max_cpu_cores:g} (this node's limit)."
            )

    @validates("memory_gb")
    def _check_memory(self, value: float, data_key: str) -> None:
        if not MIN_MEMORY_GB <= value <= self.max_memory_gb:
            raise ValidationError(
                f"Must be between {MIN_MEMORY_GB:g} and {self.max_memory_gb:g} GiB (this node's limit)."
            )


class StopContainerSchema(Schema):
    """Optional body of POST /stop_container/<name>."""

    class Meta:
        unknown = RAISE

    timeout = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(0, 300))
