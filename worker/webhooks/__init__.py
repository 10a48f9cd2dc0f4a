"""Webhook deliveries: the sender (one pinned HTTP request) and the delivery use case."""
