"""MIDI input: ``bindings`` reads ``[bridge] midi_map`` into note, CC and program-change bindings;
``input`` turns messages into actions and reads a port on its own thread. Importing the package
loads neither (nor mido).
"""
