"""Figures: style, maps, run and sweep figures, languages. Figures draw; they compute nothing.

Imports :mod:`sim.analysis` and the layers below it."""
