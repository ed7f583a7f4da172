"""Backup and moving up: ``dump`` every record and report file to one portable JSON file, ``load`` it."""
