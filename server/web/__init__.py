"""aiohttp and Socket.IO transport, kept thin."""
