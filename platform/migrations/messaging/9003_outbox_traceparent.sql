-- The trace context of the transaction that wrote the row (W3C traceparent), so the relay's publish
-- and the consumers on the other side continue the trace that caused the event. Null when tracing
-- is off or the writer was not inside a span.
alter table outbox add column if not exists traceparent text;
