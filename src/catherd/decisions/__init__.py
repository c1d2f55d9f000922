"""The decision log: proposals, their statuses over time, votes, and what disagrees."""
