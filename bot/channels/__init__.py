"""Input channels: REST with masking, web widget (socket.io), Telegram bridge, Zalo OA."""
