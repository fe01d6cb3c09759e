"""The pure core: meetings, captions, questions and the floor. No I/O, no asyncio."""
