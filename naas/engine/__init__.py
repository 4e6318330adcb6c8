"""The rules of assessment, kept pure: no Flask, no database, no clock, no global randomness.

Everything here takes plain data and returns plain data, so that scoring, assembly and
results can be tested exhaustively and re-run years later against the item versions a
candidate actually saw.
"""
