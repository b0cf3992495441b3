"""Patient splits, leakage checks, frozen dataset versions, exports and imports.

Sits above `annotator` (it reads annotations) and below `mlbackend` (which trains on versions).
The pure parts (`splitting`, `leakage`, `formats`) never import Django.
"""
