"""Data manifests and loaders: see ``course_data``, which is also released to students."""
