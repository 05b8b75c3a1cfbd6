"""Tests of the Bender / ebee REST API v1 vendor."""
