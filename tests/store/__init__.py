"""Store tests: real SQLCipher files in temporary folders."""
