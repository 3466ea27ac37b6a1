"""The command line: entry point, shared flags, help, input and log handling."""
