"""Processor, step 2 (pure): derivations from parsed frames to the records of the Avro topics.

`fixture.apply(state, frame, meta) -> Applied(state, outputs)` is the one step per raw frame;
it calls `fixture_score`, `period_delta` and `fixture_finished`, each named after its topic.
`market_state.step(market, event, now) -> (market, outputs)` decides a fixture's market state
from the facts its frames state, the producer's liveness records and the time, which it is
given. Nothing here awaits, logs or touches Kafka, or reads the wall clock.
"""
