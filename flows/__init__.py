"""Guided flows (step-by-step guides), their engine and the services catalogue."""
