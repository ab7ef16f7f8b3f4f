"""Audition: the audio device, the mixer and the decoded-clip cache."""
