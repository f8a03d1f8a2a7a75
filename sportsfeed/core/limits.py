"""Record size limits, set on purpose end to end (see the README's guarantees).

Kafka refuses a record over the topic's `max.message.bytes` (the broker's default is 1 MiB),
and a client refuses one over its own `max_request_size` before sending it: a frame over either
used to end the producer with a misleading "is the cluster reachable?" and, restarted, at the
same frame again. Here every limit derives from one frame limit:

- a raw frame of up to FRAME_LIMIT bytes is published as it came; a larger one is replaced by a
  stand-in record (empty value, an `oversized` header with its size) so the stream goes on and
  positions still count every frame; the processors dead-letter the stand-in, naming it;
- the raw topics and `rejected` accept RECORD_LIMIT (a frame plus key, headers and framing),
  and the producer's and the worker's requests carry at least one such record;
- a dead letter is cut to DEAD_LETTER_LIMIT bytes of value, so it always fits.

A producer's batch (what it writes to one partition in one request) is BATCH_LIMIT bytes at
most. aiokafka keeps one request in flight per broker and one open batch per partition, and a
send waits while that batch is full; so what a partition takes per round trip is a batch. With
the client's default of 16 KiB a worker's table changelog (states of several KB each) fell
behind at a few hundred records a second, and every output waited behind it.
"""

from __future__ import annotations

from typing import Final

FRAME_LIMIT: Final = 1 << 20  # real frames are tens of KB
RECORD_OVERHEAD: Final = 64 << 10  # key, headers, record and batch framing
RECORD_LIMIT: Final = FRAME_LIMIT + RECORD_OVERHEAD  # topics' max.message.bytes
REQUEST_LIMIT: Final = RECORD_LIMIT  # producers' max_request_size: one record always fits
DEAD_LETTER_LIMIT: Final = FRAME_LIMIT - RECORD_OVERHEAD  # a dead letter's value, truncated
BATCH_LIMIT: Final = 512 << 10  # below the topics' default max.message.bytes (1 MiB)
OVERSIZED_HEADER: Final = "oversized"  # on a stand-in: the size of the frame it stands for
