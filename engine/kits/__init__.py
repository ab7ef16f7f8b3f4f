"""Drum kits: building one around a sound and exporting it for samplers."""
