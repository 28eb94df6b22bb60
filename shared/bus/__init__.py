"""The Redis Streams bus: publishing, consumer groups, the outbox relay, durable timers."""
