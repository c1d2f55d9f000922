"""Decision documents (SLEPs, PEPs, NEPs, KEPs, Rust RFCs, ADRs...) read from git."""
