"""The contracts and plumbing every Dateline service shares (schemas, settings, logs, streams)."""
