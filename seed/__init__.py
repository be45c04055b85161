"""Sandbox seed data and its generator."""
