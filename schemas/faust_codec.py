"""The Avro serde as a Faust codec: `topic(value_serializer=avro_codec(codec))`.

Faust codecs are synchronous, as `AvroCodec` is: no registry call happens per message.
"""

from __future__ import annotations

from typing import Any

from faust.serializers.codecs import Codec

from schemas.serde import AvroCodec


class FaustAvroCodec(Codec):
    """Confluent-wire-format Avro for one topic, inside Faust."""

    def __init__(self, codec: AvroCodec, **kwargs: Any) -> None:
        self._codec = codec
        super().__init__(**kwargs)

    def _dumps(self, value: Any) -> bytes:
        return self._codec.encode(value)

    def _loads(self, data: bytes) -> Any:
        return self._codec.decode(data)


def avro_codec(codec: AvroCodec) -> FaustAvroCodec:
    return FaustAvroCodec(codec)
