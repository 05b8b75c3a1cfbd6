"""Tests of the session core, without Home Assistant."""
