"""Tests of the Kempower ChargEye vendor: client against the simulator, and the HA side."""
