"""The Textual dashboard `runar` opens with no arguments; reads views, never writes the log."""
