"""The transcript of a visit: final speech segments, timed from the room's start."""
