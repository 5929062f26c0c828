"""In-script API implementation, re-exported by ``runar``; loads only the standard library."""
