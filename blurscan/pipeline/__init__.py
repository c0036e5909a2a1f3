"""The pass over one video: windows in a ring buffer, batches sized by memory, the streaming pass itself."""
