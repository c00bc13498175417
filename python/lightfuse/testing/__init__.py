"""Test helpers for lightfuse: numpy references written from docs/spec.md."""
