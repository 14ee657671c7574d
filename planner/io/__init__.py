"""Reading inputs and writing outputs: files on disk, never half-written."""
