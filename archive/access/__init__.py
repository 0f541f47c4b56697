"""Who may act: people, devices, tokens and the jurisdiction scope."""
