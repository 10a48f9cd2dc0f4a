"""Use cases the views call: each takes the app's services and plain values, never a request."""
