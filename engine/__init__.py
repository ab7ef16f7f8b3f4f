"""soundalike's engine: decode, embed, catalog and index audio, and answer similarity queries."""
