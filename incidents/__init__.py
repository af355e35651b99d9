"""The breach-incident workflow and its regulatory clocks."""
