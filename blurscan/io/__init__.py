"""Shared infrastructure every writer uses: atomic files, escaping per output, output names, the folder lock."""
