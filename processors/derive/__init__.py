"""Processor, step 2 (pure): derivations from parsed frames to the records of the Avro topics.

`fixture.apply(state, frame, meta) -> Applied(state, outputs)` is the one step per raw frame;
it calls `fixture_score`, `period_delta` and `fixture_finished`, each named after its topic.
Nothing here awaits, logs or touches Kafka; nothing depends on the wall clock.
"""
