"""The node: settings, ledger, services, HTTP API, CLI; the composition root lives in edge.bootstrap."""
