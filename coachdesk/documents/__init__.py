"""Document engine: templates filled from the vault, written as PDF and DOCX, handed to mail."""

# The frozen app re-runs itself with this flag to start a template worker (see sandbox.py).
WORKER_FLAG = "--template-worker"
