"""The pure conversation core: inbound message + stored state -> replies."""
