"""The one exception the plugin shows to users."""

from __future__ import annotations


class VoiceProblem(Exception):
    """Speech could not be made or heard; the message is a short, clear reply for the user."""


class ModelMissing(VoiceProblem):
    """The Whisper model is not here and could not be fetched."""


class Busy(VoiceProblem):
    """Too much speech is waiting; the message says to try again in a moment."""
