"""The command line: database, seed, users, tokens, export, import, report and the benchmark."""
