"""Note templates: the sections a visit note has and what the model is told to write in each."""
