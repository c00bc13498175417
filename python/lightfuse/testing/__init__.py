"""Test helpers for lightfuse: numpy references written from shared/spec/OPS.md."""
