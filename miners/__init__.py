"""Miners: one module per source, the `Mention` record, source errors and the local API emulator."""

from miners.mention import Mention, MentionKind, Source

__all__ = ["Mention", "MentionKind", "Source"]
