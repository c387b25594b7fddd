"""Operating the bot: the metrics it counts and the health and metrics HTTP endpoint."""
