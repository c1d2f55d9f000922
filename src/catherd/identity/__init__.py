"""Who is who: identities merged into people, bots recognised, organisations over time."""
